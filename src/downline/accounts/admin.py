"""Logins, their authenticators and the security events, in the Django admin.

Authenticators (TOTP devices) are listed read-only here: none is added or edited in the admin
(a key typed or read here would defeat the second factor). An administrator deletes another
login's authenticator through ``do_remove_totp`` (audited); nobody deletes their own here: that
needs a current code from it (``/accounts/two-factor/``).
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.core.admin_views import ReadOnlyAdmin

from .actions import AccountError, do_remove_totp
from .models import SecurityEvent, User
from .security import acting_as


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Preferences"), {"fields": ("language", "email_verified")}),
    )
    list_display = (
        "username",
        "email",
        "email_verified",
        "first_name",
        "last_name",
        "language",
        "is_staff",
    )
    list_filter = (*DjangoUserAdmin.list_filter, "email_verified", "language")

    def changeform_view(self, request: HttpRequest, *args, **kwargs):
        """Changes of staff, superuser, active flags and groups are recorded with the admin
        who saved them as actor (``accounts.security``)."""
        with acting_as(request.user):
            return super().changeform_view(request, *args, **kwargs)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@admin.register(TOTPDevice)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Authenticators: who has one, since when, last used. Deleting goes through the action."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "user__email")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        do_remove_totp(obj, actor=request.user, address=_client_address(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for device in queryset.select_related("user"):
            try:
                do_remove_totp(device, actor=request.user, address=_client_address(request))
            except AccountError as error:
                self.message_user(request, error.message, messages.ERROR)


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    """Every authenticator added or removed, every change of e-mail address, staff, superuser
    or active flag and of roles: who, when, whose, what, how, from where."""

    list_display = ("at", "kind", "user_name", "device", "detail", "actor_name", "how", "address")
    list_filter = ("kind", "how")
    search_fields = ("user_name", "actor_name", "device", "detail")
    date_hierarchy = "at"
