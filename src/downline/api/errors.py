"""Errors of the API as RFC 9457 problem details (``application/problem+json``).

Every answer that is not a success carries::

    {"type": "https://downline.dev/problems/<slug>", "title": "...", "status": 4xx,
     "detail": "the sentence that says where and why", "instance": "/api/v1/...",
     "errors": [{"field": "body.lines.0.quantity", "message": "..."}]}

``errors`` names each field at fault (empty when no single field is). The status says what
kind of refusal it is:

* 401 — no credentials, or a key that is unknown, expired or revoked;
* 403 — the key is valid but its scopes (or a personal token's fixed read-only scopes) do not
  allow the operation;
* 404 — nothing there, or nothing the caller may see (a distributor's token asking for another
  member's data gets 404, like the back office: a guessed id tells nothing);
* 409 — a rule of the business refuses the request as things stand (an action's
  ``DownlineError`` or ``NetworkIntegrityError`` without a field, an idempotency key reused
  for another request);
* 422 — the input itself is wrong: schema validation, or an action's refusal naming a field;
* 429 — the key's rate limit is spent; ``Retry-After`` says in how many seconds to try again.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from downline.core.errors import DownlineError

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://downline.dev/problems/"


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    """An RFC 9457 problem details object with the fields at fault."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] = Field(default_factory=list)


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: ("bad-request", _("Bad request")),
        401: ("unauthenticated", _("Authentication required")),
        403: ("forbidden", _("Not allowed")),
        404: ("not-found", _("Not found")),
        405: ("method-not-allowed", _("Method not allowed")),
        409: ("conflict", _("Refused by a business rule")),
        422: ("invalid-input", _("Invalid input")),
        429: ("rate-limited", _("Too many requests")),
    }


class ApiProblem(Exception):
    """Raised by API code to answer with a problem; ``errors`` are ``(field, message)`` pairs."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


def problem_response(
    request: HttpRequest,
    status: int,
    detail: str,
    errors: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """The problem details answer for ``status``, naming ``errors`` (field, message)."""
    slug, title = _titles().get(status, ("error", _("Error")))
    body = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "errors": [{"field": field, "message": message} for field, message in errors or []],
    }
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _location(loc: Any) -> str:
    """``("body", "payload", "lines", 0, "quantity")`` → ``body.lines.0.quantity`` (ninja's
    wrapper names such as ``payload`` are left out)."""
    parts = [str(part) for part in loc]
    # ninja puts the parameter's Python name second for body and grouped query schemas
    if len(parts) >= 2 and parts[0] == "body" and parts[1] in {"payload", "data"}:
        parts = [parts[0], *parts[2:]]
    return ".".join(parts) or "body"


def validation_errors(exc: NinjaValidationError) -> list[tuple[str, str]]:
    return [(_location(item.get("loc", ())), str(item.get("msg", ""))) for item in exc.errors]


def django_errors(exc: DjangoValidationError) -> list[tuple[str, str]]:
    """A model ``ValidationError``'s messages with their field names (``__all__`` → none)."""
    if hasattr(exc, "error_dict"):
        return [
            (field, message)
            for field, messages in exc.message_dict.items()
            if field != "__all__"
            for message in messages
        ]
    return []


def install(api) -> None:
    """Register the handlers that turn every error into problem details."""

    @api.exception_handler(ApiProblem)
    def _problem(request, exc: ApiProblem):
        return problem_response(request, exc.status, exc.detail, exc.errors, exc.headers)

    @api.exception_handler(NinjaValidationError)
    def _invalid(request, exc: NinjaValidationError):
        errors = validation_errors(exc)
        detail = "; ".join(f"{field}: {message}" for field, message in errors)
        return problem_response(request, 422, detail or _("The input is not valid."), errors)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return problem_response(
            request,
            401,
            _("Send a valid API key or personal token as 'Authorization: Bearer <token>'."),
            headers={"WWW-Authenticate": 'Bearer realm="downline"'},
        )

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return problem_response(request, 404, str(exc) or _("Nothing is there."))

    @api.exception_handler(HttpError)
    def _http(request, exc: HttpError):
        return problem_response(request, exc.status_code, str(exc.message))

    @api.exception_handler(DownlineError)
    def _refused(request, exc: DownlineError):
        if exc.field:
            return problem_response(request, 422, str(exc), [(exc.field, str(exc))])
        return problem_response(request, 409, str(exc))

    @api.exception_handler(DjangoValidationError)
    def _model_invalid(request, exc: DjangoValidationError):
        errors = django_errors(exc)
        detail = " ".join(str(message) for message in exc.messages)
        return problem_response(request, 422 if errors else 409, detail, errors)


def utc_instant(value, field: str):
    """``value`` (an aware instant, or ``None``) in UTC: the database takes any instant in UTC,
    but not every offset (PostgreSQL refuses offsets beyond ±15:59). An instant that falls
    outside the calendar in UTC is refused, naming ``field``."""
    if value is None:
        return None
    from datetime import UTC

    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        message = _("%(value)s is outside the supported calendar range.") % {"value": value}
        raise ApiProblem(422, message, errors=[(field, message)]) from None
