"""Staff confirm a one-time code (TOTP) before anything else.

A signed-in staff login whose session has no confirmed authenticator (``user.is_verified()``,
from django-otp's middleware) reaches only the two-factor page, sign-out, the language switch
and static files; every other page sends them to the two-factor page. The Django admin is
covered too when ``DOWNLINE_ADMIN_REQUIRES_2FA`` is set (it keeps its own login otherwise).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse

OPEN_NAMES = ("two_factor", "logout", "set_language")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and not user.is_verified()
            and self._guarded(request.path_info)
        ):
            target = reverse("web:two_factor")
            return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _guarded(self, path: str) -> bool:
        if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return False
        if path.startswith("/admin/"):
            return settings.DOWNLINE_ADMIN_REQUIRES_2FA
        return path not in {reverse(f"web:{name}") for name in OPEN_NAMES}
