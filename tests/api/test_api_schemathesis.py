"""Schemathesis against the OpenAPI document, in-process through Django's WSGI app (no network):
for a staff key with every scope and for a distributor's personal token, no answer is a 500 and
every answer matches its documented status, content type and schema.

Bounded and repeatable: a few examples per operation, derandomized (the same examples on every
run), no deadline.
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


def run_every_operation(api_schema, token: str) -> int:
    """Run the checks on generated cases of every operation; the number of operations."""
    count = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @EXAMPLES
        @given(case=operation.as_strategy())
        def check(case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            case.validate_response(response, checks=CHECKS)

        check()
        count += 1
    return count


def test_staff_key_conforms(api_schema, net, shake, staff_token):
    assert run_every_operation(api_schema, staff_token) >= 17


def test_distributor_token_conforms(api_schema, net, shake, anna_token):
    assert run_every_operation(api_schema, anna_token) >= 17
