"""The Django admin behind the same sign-in and second factor as the console.

* ``/admin/login/`` is not a login form: it sends the visitor to the project's sign-in
  (``web:login``, rate-limited per account and address) with ``next`` pointing back into the
  admin; staff then confirm a code at ``/accounts/two-factor/``.
* ``has_permission`` admits only an active staff login whose session confirmed a one-time code
  (``user.is_verified()``, like django-otp's ``OTPAdminSite``): a password-only session is
  treated as if it were not staff. There is no setting that turns this off.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


class DownlineAdminSite(admin.AdminSite):
    """``admin.site`` (see ``core.admin_apps``): second factor always, no login of its own."""

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        verified = getattr(user, "is_verified", None)
        return bool(super().has_permission(request) and verified is not None and verified())

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponseRedirect:
        """Send the visitor to the project's sign-in, then back to the admin."""
        index = reverse("admin:index", current_app=self.name)
        target = request.GET.get("next") or index
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = index
        return HttpResponseRedirect(f"{reverse('web:login')}?{urlencode({'next': target})}")
