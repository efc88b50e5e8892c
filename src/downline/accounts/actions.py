"""Writes of logins: every user is created here, validated and in one transaction.

Security rules kept here:

* confirming an e-mail address marks it confirmed and nothing else: ``is_active`` is never
  changed by a confirmation (a deactivated login stays deactivated);
* an authenticator (TOTP device) is removed only with a current code from it (its owner) or
  by another staff member allowed to delete authenticators; every addition and removal is a
  ``SecurityEvent`` (who, when, whose device).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.core.errors import DownlineError

from .models import SecurityEvent, User

logger = logging.getLogger("downline.security")


class AccountError(DownlineError):
    """A login that cannot be created as asked."""


def do_create_user(
    username: str,
    *,
    password: str,
    email: str = "",
    language: str = "en",
    first_name: str = "",
    last_name: str = "",
    staff: bool = False,
    superuser: bool = False,
    active: bool = True,
    email_verified: bool = True,
) -> User:
    """Create a login. ``superuser`` implies ``staff``; the language must be one that ships.

    Logins created by the company (command line, demo, console) carry a confirmed address;
    ``email_verified=False`` creates a login that cannot sign in until its owner opens the
    link of ``do_confirm_email`` (a new member joining through a referral link).
    ``active=False`` creates a deactivated login (only staff activate it).
    """
    _check_language(language)
    if not username:
        raise AccountError(_("A login needs a username."), field="username")
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise AccountError(
                _("The username %(username)s is already taken.") % {"username": username},
                field="username",
            )
        return User.objects.create_user(
            username,
            email,
            password,
            language=language,
            first_name=first_name,
            last_name=last_name,
            is_staff=staff or superuser,
            is_superuser=superuser,
            is_active=active,
            email_verified=email_verified,
        )


def _check_language(language: str) -> None:
    languages = [code for code, _name in settings.LANGUAGES]
    if language not in languages:
        raise AccountError(
            _("Language %(language)r is not one of %(languages)s.")
            % {"language": language, "languages": ", ".join(languages)},
            field="language",
        )


def do_confirm_email(user: User, *, email: str) -> User:
    """Confirm ``email`` for ``user``: the login carries that address, marked confirmed.

    Nothing else changes: a deactivated login stays deactivated (confirmation never touches
    ``is_active``). Refused when another login already uses the address (it was taken between
    the request and the confirmation). When a confirmed address is replaced by another, the old
    one is kept as ``previous_email`` (with ``email_changed_at``; notices of payout-details
    changes go to it too) and the change is a ``SecurityEvent``.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if User.objects.filter(email__iexact=email).exclude(pk=locked.pk).exists():
            raise AccountError(
                _("The e-mail address %(email)s is already used by another login.")
                % {"email": email},
                field="email",
            )
        fields = ["email", "email_verified"]
        old = locked.email
        if locked.email_verified and old and old.lower() != email.lower():
            locked.previous_email = old
            locked.email_changed_at = timezone.now()
            fields += ["previous_email", "email_changed_at"]
            SecurityEvent.objects.create(
                kind=SecurityEvent.Kind.EMAIL_CHANGED,
                actor=locked,
                actor_name=locked.get_username(),
                user=locked,
                user_name=locked.get_username(),
                how=SecurityEvent.How.CONFIRMATION_LINK,
                detail=f"email: {old} -> {email}"[:500],
            )
        locked.email = email
        locked.email_verified = True
        locked.save(update_fields=fields)
        return locked


def confirmed_addresses(user: User) -> list[str]:
    """Where notices about a change of money details go: the login's address and, when it
    differs, the confirmed address it had before its most recent change of address (whoever
    took over a login by changing its address cannot hide later changes from its owner)."""
    addresses = [user.email] if user.email else []
    previous = (user.previous_email or "").strip()
    if previous and all(previous.lower() != known.lower() for known in addresses):
        addresses.append(previous)
    return addresses


def do_update_profile(user: User, *, first_name: str, last_name: str, language: str) -> User:
    """Change a login's name and language (the e-mail address changes only by confirmation)."""
    _check_language(language)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.first_name = first_name.strip()[:150]
        locked.last_name = last_name.strip()[:150]
        locked.language = language
        locked.save(update_fields=["first_name", "last_name", "language"])
        return locked


def do_set_language(user: User, language: str) -> User:
    """The language the login's pages and e-mails are written in."""
    _check_language(language)
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user


def do_start_totp_setup(user: User) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for ``user`` (any earlier unconfirmed one is dropped).

    The device counts for sign-in only once ``do_confirm_totp`` has seen a code from it.
    """
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def do_confirm_totp(device: TOTPDevice, token: str, *, address: str = "") -> bool:
    """Confirm ``device`` with a current code from the app; ``False`` (nothing changed) when the
    code does not match. Only a login without a confirmed authenticator sets one up (replacing
    one needs ``do_remove_totp`` first); the addition is audited."""
    with transaction.atomic():
        if TOTPDevice.objects.filter(user_id=device.user_id, confirmed=True).exists():
            raise AccountError(
                _("This login already has an authenticator; remove it first with a code from it."),
                field="code",
            )
        if not device.verify_token(token):
            return False
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        owner = device.user
        _audit(
            SecurityEvent.Kind.AUTHENTICATOR_ADDED,
            owner,
            owner,
            device,
            SecurityEvent.How.OWN_CODE,
            address,
        )
        return True


def do_remove_totp(device: TOTPDevice, *, actor: User, code: str = "", address: str = "") -> None:
    """Remove a confirmed authenticator, audited.

    Its owner removes it only with a current code from it (a password-only session cannot
    drop the second factor and enrol its own); anyone else must be staff allowed to delete
    authenticators (``otp_totp.delete_totpdevice``, every superuser). Raises ``AccountError``
    naming why otherwise; nothing is removed then.
    """
    owner = device.user
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk).first()
        if locked is None:
            raise AccountError(_("This authenticator no longer exists."), field="device")
        if actor.pk == owner.pk:
            if not code or not locked.verify_token(code.strip()):
                raise AccountError(
                    _("To remove your own authenticator, enter a current code from it."),
                    field="code",
                )
            how = SecurityEvent.How.OWN_CODE
        else:
            if not (
                actor.is_active and actor.is_staff and actor.has_perm("otp_totp.delete_totpdevice")
            ):
                raise AccountError(
                    _("Only another administrator may remove the authenticator of %(user)s.")
                    % {"user": owner.get_username()},
                    field="device",
                )
            how = SecurityEvent.How.ADMINISTRATOR
        _audit(SecurityEvent.Kind.AUTHENTICATOR_REMOVED, actor, owner, locked, how, address)
        locked.delete()


def _audit(
    kind: str, actor: User, owner: User, device: TOTPDevice, how: str, address: str
) -> SecurityEvent:
    label = f"{device.name} #{device.pk}"
    logger.info(
        "%s: %s by %s (%s) from %s",
        kind,
        label,
        actor.get_username(),
        how,
        address or "-",
        extra={"user_id": owner.pk, "actor_id": actor.pk},
    )
    return SecurityEvent.objects.create(
        kind=kind,
        actor=actor,
        actor_name=actor.get_username(),
        user=owner,
        user_name=owner.get_username(),
        device=label,
        how=how,
        address=address[:64],
    )
