"""Hostile plan files sent to the console: each is answered with a 400 and the plan error
(``plan.yaml:LINE: message``), nothing is stored, and no file is ever parsed inside a database
transaction (on SQLite a transaction holds the write lock every other request waits for)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from downline.compensation.models import PlanVersion
from downline.compensation.plans import (
    PlanVersionError,
    do_create_plan_version,
    do_update_plan_version,
)
from downline.engine.plan.load import MAX_PLAN_BYTES

from .conftest import PLAN, verified_staff

LAUGHS = "name: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"l{n}: &l{n} [" + ",".join([f"*{'a' if n == 0 else f'l{n - 1}'}"] * 9) + "]\n"
    for n in range(8)
)


@pytest.fixture
def admin(db) -> Client:
    client = Client()
    verified_staff(client, "ada", "admin")
    return client


def upload(client: Client, url: str, content: bytes) -> str:
    response = client.post(
        url, {"upload": SimpleUploadedFile("plan.yaml", content), "text": "", "note": "x"}
    )
    assert response.status_code == 400, response.status_code
    return response.content.decode()


def test_an_upload_over_the_size_limit_is_refused_with_the_plan_error(admin):
    content = b"# " + b"x" * MAX_PLAN_BYTES + b"\nname: big\n"
    page = upload(admin, reverse("web:console_plans"), content)
    assert "plan.yaml: the file has 257 KiB; a plan file has at most 256 KiB" in page
    assert not PlanVersion.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (LAUGHS, "values once aliases are expanded"),
        ("name: &a [x, *a]\n", "the alias *a is inside the value it names"),
        ("name: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 64 levels deep"),
        (
            "name: !!python/object/apply:os.system ['true']\n",
            "the tag !!python/object/apply:os.system is not allowed in a plan file",
        ),
    ],
    ids=["billion laughs", "recursive alias", "deep nesting", "python tag"],
)
def test_hostile_plan_files_are_answered_with_400_and_their_line(admin, content, message):
    page = upload(admin, reverse("web:console_plans"), content.encode())
    assert message in page
    assert 'href="#plan-line-' in page  # the mistake is linked to its numbered line
    assert not PlanVersion.objects.exists()
    pasted = admin.post(reverse("web:console_plans"), {"text": content, "note": "x"})
    assert pasted.status_code == 400
    assert message in pasted.content.decode()


def test_editing_a_version_with_a_hostile_file_is_refused_and_keeps_the_text(admin):
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"))
    page = upload(admin, reverse("web:console_plan", args=[version.pk]), LAUGHS.encode())
    assert "values once aliases are expanded" in page
    version.refresh_from_db()
    assert version.text == PLAN.read_text(encoding="utf-8")


def transaction_statements(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].split()[0].upper() in {"SAVEPOINT", "BEGIN", "RELEASE", "ROLLBACK"}
        or "FOR UPDATE" in query["sql"].upper()
    ]


def test_a_rejected_plan_text_never_opens_a_transaction(db):
    """The text is parsed before the transaction that stores it: a bad file costs no lock."""
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"))
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(PlanVersionError, match="values once aliases are expanded"),
    ):
        do_create_plan_version(LAUGHS)
    assert queries.captured_queries == []
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(PlanVersionError, match="recursive alias"),
    ):
        do_update_plan_version(version, "name: &a [x, *a]\n")
    assert transaction_statements(queries) == []
    assert not connection.needs_rollback
