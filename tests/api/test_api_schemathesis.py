"""Schemathesis against the OpenAPI document, in-process through Django's WSGI app (no network):
for a staff key with every scope and for a distributor's personal token, no answer is a 500 and
every answer matches its documented status, content type and schema.

Bounded and repeatable: a few examples per operation, derandomized (the same examples on every
run), no deadline. The database holds a network, a product, contacts of several owners and
academy progress (lessons, quiz attempts, a certificate), so lists answer with real rows; a few
known cases on top reach a real contact and member (generated ids rarely do), checked the same
way, with the statuses each caller must get.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .test_academy_api import training  # noqa: F401  (fixture: progress, quizzes, certificate)
from .test_contacts_api import book  # noqa: F401  (fixture: contacts of several owners)

OPERATIONS = 31  # members 4, products 2, orders 5, periods 5, money 4, contacts 6, academy 5
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def api_schema(db) -> Iterator[object]:
    """The document, read through the WSGI app inside the test's transaction (Django's own
    connection closing after each request is switched off, as the test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def run_every_operation(api_schema, token: str) -> set[str]:
    """Run the checks on generated cases of every operation; the operations (``GET /path``)."""
    seen = set()
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @EXAMPLES
        @given(case=operation.as_strategy())
        def check(case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            case.validate_response(response, checks=CHECKS)

        check()
        seen.add(f"{operation.method.upper()} {operation.path}")
    return seen


def run_known_cases(api_schema, token: str, contact_id: int) -> list[int]:
    """The checks on cases that reach real rows (generated ids rarely do): read, change, note
    and erase a contact of A, and A's course progress; the statuses in that order."""
    path = "/api/v1/contacts/{contact_id}"
    cases = [
        (path, "GET", {"path_parameters": {"contact_id": contact_id}}),
        (path, "PATCH", {"path_parameters": {"contact_id": contact_id}, "body": {"stage": "presented", "tags": ["x"]}}),
        (path + "/notes", "POST", {"path_parameters": {"contact_id": contact_id}, "body": {"text": "hi"}}),
        ("/api/v1/academy/members/{member_id}/courses", "GET", {"path_parameters": {"member_id": "A"}}),
        ("/api/v1/academy/members/{member_id}/courses", "GET", {"path_parameters": {"member_id": "B"}}),
        ("/api/v1/contacts", "POST", {"body": {"owner": "A", "email": "ola.known@example.com", "consent": {"text_shown": "Yes."}}}),
        (path, "DELETE", {"path_parameters": {"contact_id": contact_id}}),
    ]  # fmt: skip
    statuses = []
    for template, method, parts in cases:
        case = api_schema[template][method].Case(**parts)
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        case.validate_response(response, checks=CHECKS)
        statuses.append(response.status_code)
    return statuses


NEW = {
    "GET /api/v1/contacts",
    "POST /api/v1/contacts",
    "GET /api/v1/contacts/{contact_id}",
    "PATCH /api/v1/contacts/{contact_id}",
    "DELETE /api/v1/contacts/{contact_id}",
    "POST /api/v1/contacts/{contact_id}/notes",
    "GET /api/v1/academy/members",
    "GET /api/v1/academy/members/{member_id}/courses",
    "GET /api/v1/academy/progress",
    "GET /api/v1/academy/quiz-results",
    "GET /api/v1/academy/certificates",
}


@pytest.fixture
def jana_id(request) -> int:
    """A's contact Jana (``book`` of test_contacts_api)."""
    return request.getfixturevalue("book")["jana"].pk


@pytest.mark.usefixtures("training")
def test_staff_key_conforms(api_schema, net, shake, jana_id, staff_token):
    seen = run_every_operation(api_schema, staff_token)
    assert len(seen) >= OPERATIONS
    assert seen >= NEW
    # a staff key reads and writes any owner's contact, and any member's training
    statuses = run_known_cases(api_schema, staff_token, jana_id)
    assert statuses == [200, 200, 201, 200, 200, 201, 204]


@pytest.mark.usefixtures("training")
def test_distributor_token_conforms(api_schema, net, shake, jana_id, anna_token):
    seen = run_every_operation(api_schema, anna_token)
    assert len(seen) >= OPERATIONS
    assert seen >= NEW
    # her own contact: read, never written; her own training, not B's
    statuses = run_known_cases(api_schema, anna_token, jana_id)
    assert statuses == [200, 403, 403, 200, 404, 403, 403]
