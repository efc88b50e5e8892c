from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login: staff, or a distributor who signs in to their back office.

    ``is_active`` and ``email_verified`` are independent: ``is_active`` is changed only by
    staff (a deactivated login cannot sign in, whatever it confirms); ``email_verified`` says
    that the owner opened a confirmation link sent to ``email``. Signing in needs both.
    """

    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    email_verified = models.BooleanField(
        _("e-mail address confirmed"),
        default=True,
        help_text=_(
            "Off for a member who joined through a referral link until they open the "
            "confirmation link (logins the company creates count as confirmed)."
        ),
    )
    previous_email = models.EmailField(
        _("previous confirmed e-mail address"),
        blank=True,
        help_text=_(
            "The confirmed address this login had before its most recent change of address; "
            "notices of payout-details changes go to it too."
        ),
    )
    email_changed_at = models.DateTimeField(
        _("e-mail address last changed at"), null=True, blank=True
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")


class SecurityEvent(models.Model):
    """An audited change to a login's security: an authenticator added or removed, a change of
    e-mail address, of the staff or superuser flag, of ``is_active`` or of the login's groups
    (staff roles); ``detail`` says what changed (``old -> new``).

    Written only by ``accounts.actions``; never edited or deleted (the admin lists them
    read-only). ``actor`` is who did it, ``user`` whose login it concerns (the same person when
    staff replace their own authenticator), ``device`` the authenticator's name and id. The
    usernames are kept as text too, so the record outlives a deleted login.
    """

    class Kind(models.TextChoices):
        AUTHENTICATOR_ADDED = "authenticator_added", _("authenticator added")
        AUTHENTICATOR_REMOVED = "authenticator_removed", _("authenticator removed")
        EMAIL_CHANGED = "email_changed", _("e-mail address changed")
        STAFF_CHANGED = "staff_changed", _("staff flag changed")
        SUPERUSER_CHANGED = "superuser_changed", _("superuser flag changed")
        ACTIVE_CHANGED = "active_changed", _("login activated or deactivated")
        GROUPS_CHANGED = "groups_changed", _("roles (groups) changed")

    class How(models.TextChoices):
        OWN_CODE = "own_code", _("by its owner, with a code from it")
        ADMINISTRATOR = "administrator", _("by another administrator")
        CONFIRMATION_LINK = "confirmation_link", _("by a link sent to the new address")
        ACCOUNT_CHANGE = "account_change", _("by a change of the login (admin, console or code)")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="security_actions",
        verbose_name=_("done by"),
    )
    actor_name = models.CharField(_("done by (username)"), max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="security_events",
        verbose_name=_("login"),
    )
    user_name = models.CharField(_("login (username)"), max_length=150)
    device = models.CharField(_("authenticator"), max_length=200, blank=True)
    detail = models.CharField(_("what changed"), max_length=500, blank=True)
    how = models.CharField(_("how"), max_length=32, choices=How.choices)
    address = models.CharField(_("client address"), max_length=64, blank=True)

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.device} ({self.at:%Y-%m-%d %H:%M})"
