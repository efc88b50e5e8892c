"""``/healthz``: the health check a load balancer polls.

``GET /healthz`` (or ``HEAD``) runs ``SELECT 1`` on the default database and answers 200
``{"status": "ok", "database": "ok"}``, or 503 ``{"status": "error", "database": "error"}``
when the database does not answer (the failure is logged with its traceback). It needs no login
and opens no session.

Load balancers ask by address, over plain HTTP, with whatever Host header they like. So
``HealthCheckMiddleware``, first in ``MIDDLEWARE``, answers the path before Django checks the
host against ``ALLOWED_HOSTS``, redirects to HTTPS (``DOWNLINE_HTTPS``) or reads a session. The
URL is also routed in ``downline.urls`` (name ``healthz``) for a site run without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

PATH = "/healthz"
logger = logging.getLogger(__name__)


def database_ok() -> bool:
    """True when the default database answers ``SELECT 1``; a failure is logged."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return False
    return True


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 when it does not."""
    if database_ok():
        response = JsonResponse({"status": "ok", "database": "ok"})
    else:
        response = JsonResponse({"status": "error", "database": "error"}, status=503)
    response["X-Content-Type-Options"] = "nosniff"  # answered before SecurityMiddleware
    return response


class HealthCheckMiddleware:
    """Answers ``/healthz`` before host checks, HTTPS redirects and sessions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH:
            return healthz(request)
        return self.get_response(request)
