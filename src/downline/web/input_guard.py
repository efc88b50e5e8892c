"""Requests that no page can answer sensibly are refused before any view runs.

Rule: a NUL character (U+0000, ``%00``) in the path, in a query parameter (name or value) or in
a form field of a POST body (``application/x-www-form-urlencoded`` or ``multipart/form-data``;
uploaded files' content is not inspected) is answered ``400 Bad Request`` with a sentence that
says why. No field of Downline accepts NUL (Django's form fields refuse it too), and PostgreSQL
cannot store or compare it in text: a search for ``"a\\x00"`` once ended in a 500 there. One
check here covers every search box (team, console distributors, a run's results) and every
``?q=`` added later.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict
from django.utils.translation import gettext as _

NUL = "\x00"


def _has_nul(data: QueryDict) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


def has_nul(request: HttpRequest) -> bool:
    """Whether the path, the query string or the POST form fields of ``request`` hold a NUL."""
    if NUL in request.path or _has_nul(request.GET):
        return True
    return request.method == "POST" and _has_nul(request.POST)


class RefuseNulMiddleware:
    """Answer 400 to a request with a NUL character (see the module rules)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request) and request.path.startswith("/api/"):
            # the API answers every refusal as RFC 9457 problem details (downline.api.errors)
            return JsonResponse(
                {
                    "type": "https://downline.dev/problems/bad-request",
                    "title": _("Bad request"),
                    "status": 400,
                    "detail": _(
                        "The request contains a NUL character (U+0000), which no field accepts."
                    ),
                    "instance": request.path.replace(NUL, ""),
                    "errors": [],
                },
                status=400,
                content_type="application/problem+json",
            )
        if has_nul(request):
            return HttpResponseBadRequest(
                _(
                    "The request contains a NUL character (U+0000), which no field accepts. "
                    "Remove it and try again."
                ),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
