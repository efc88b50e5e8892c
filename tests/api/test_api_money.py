"""Statements, commission lines and wallets through the API, on a settled network (two closed
periods with final runs, a return after close): the numbers are the final run's, and a
personal token reads only its own member's."""

from __future__ import annotations

from downline.api.actions import do_create_api_key, do_create_personal_token
from downline.api.scopes import SCOPES
from downline.compensation.models import RunResult

from .conftest import Api


def test_a_statement_is_the_final_runs_result(settled):
    team = settled.team
    staff = Api(do_create_api_key(name="bi", scopes=list(SCOPES), created_by=team.staff_user).token)
    result = RunResult.objects.get(run=settled.august, distributor=team.alice)

    statement = staff.get("/api/v1/members/ALICE/statements/2026-08").json()
    lines = staff.get("/api/v1/members/ALICE/commission-lines", period="2026-08").json()

    assert statement["earned"] == result.earned > 0
    assert sum(statement["by_bonus"].values()) == result.earned
    assert sum(line["amount"] for line in lines["items"]) == result.earned
    assert {line["source_order"] for line in lines["items"]} >= {settled.carol_order.number}


def test_a_personal_token_reads_its_own_money_only(settled):
    team = settled.team
    alice = Api(do_create_personal_token(team.alice, name="sheet").token)

    assert alice.get("/api/v1/members/ALICE/statements/2026-08").status_code == 200
    assert alice.get("/api/v1/members/ALICE/commission-lines", period="2026-08").status_code == 200
    assert alice.get("/api/v1/members/ALICE/wallets").status_code == 200
    # Bob is in her downline: the back office shows him, but not his money
    assert alice.get("/api/v1/members/BOB").status_code == 200
    for path in (
        "/api/v1/members/BOB/statements/2026-08",
        "/api/v1/members/BOB/commission-lines?period=2026-08",
        "/api/v1/members/BOB/wallets",
        "/api/v1/members/DAVE/statements/2026-08",
    ):
        assert alice.get(path).status_code == 404, path
    payouts = alice.get("/api/v1/payouts").json()["items"]
    assert all(p["member_id"] == "ALICE" for p in payouts)
