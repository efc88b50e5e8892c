"""Writes of logins: every user is created here, validated and in one transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.core.errors import DownlineError

from .models import User


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
) -> User:
    """Create a login. ``superuser`` implies ``staff``; the language must be one that ships.

    ``active=False`` creates a login that cannot sign in until ``do_activate_user`` (a new
    member who has not yet confirmed their e-mail address).
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
        )


def _check_language(language: str) -> None:
    languages = [code for code, _name in settings.LANGUAGES]
    if language not in languages:
        raise AccountError(
            _("Language %(language)r is not one of %(languages)s.")
            % {"language": language, "languages": ", ".join(languages)},
            field="language",
        )


def do_activate_user(user: User, *, email: str) -> User:
    """Confirm ``email`` for ``user``: the login becomes usable and carries that address.

    Refused when another login already uses the address (it was taken between the request and
    the confirmation).
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if User.objects.filter(email__iexact=email).exclude(pk=locked.pk).exists():
            raise AccountError(
                _("The e-mail address %(email)s is already used by another login.")
                % {"email": email},
                field="email",
            )
        locked.email = email
        locked.is_active = True
        locked.save(update_fields=["email", "is_active"])
        return locked


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


def do_confirm_totp(device: TOTPDevice, token: str) -> bool:
    """Confirm ``device`` with a current code from the app; ``False`` (nothing changed) when the
    code does not match. A confirmed device replaces the user's earlier ones."""
    with transaction.atomic():
        if not device.verify_token(token):
            return False
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return True
