"""Staff confirm a one-time code (TOTP) before anything else.

A signed-in staff login whose session has no confirmed authenticator (``user.is_verified()``,
from django-otp's middleware) reaches only the two-factor page, sign-out, the language switch,
the favicon and static files; every other page sends them to the two-factor page. The Django
admin is no exception: it has no login of its own (``core.admin_site``), and its site also
checks ``is_verified()`` itself, so a password alone never opens it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

OPEN_NAMES = ("two_factor", "logout", "set_language", "favicon")


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
        return path not in {reverse(f"web:{name}") for name in OPEN_NAMES}


class CompanyTimeZoneMiddleware:
    """Pages show instants in the company's time zone (``DOWNLINE_TIME_ZONE``), the zone its
    periods are cut in; the database and the command line keep UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.zone = ZoneInfo(settings.DOWNLINE_TIME_ZONE)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(self.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
