"""Final, preview and projection runs on a small network with hand-computed results.

September 2026: B buys 3 shakes (PV 37.50, CV 30.00). The test plan pays:

* unilevel on CV per order: A (sponsor, level 1) 10% × 30.00 = 3.00; R (level 2) 5% = 1.50;
* personal 5% of own CV: B 1.50;
* matching 50% of each direct enrollee's unilevel: R on A's 3.00 = 1.50;
* advancement: B is paid as Leader (PV 37.50 ≥ 20, GV 37.50 ≥ 30): 100.00.

Totals: A 3.00, R 3.00, B 101.50; the run pays 107.50 EUR.
"""

from __future__ import annotations

import json
import zlib

import pytest
from django.core.management import call_command

from downline.compensation.errors import CompensationError
from downline.compensation.models import LineBlock, PlanVersion, Run, RunResult
from downline.compensation.plans import do_update_plan_version
from downline.compensation.runs import do_run_final, do_run_preview, do_run_projection
from downline.compensation.selectors import run_lines, trace_of
from downline.ledger.checks import violations
from downline.ledger.models import Account, Entry
from downline.ledger.selectors import balance
from downline.periods.actions import do_reopen_period
from downline.periods.errors import PeriodError

from .conftest import at


def earned(run: Run) -> dict[str, int]:
    return {
        r.distributor.member_id: r.earned
        for r in RunResult.objects.filter(run=run).select_related("distributor")
    }


@pytest.fixture
def september(world):
    world.order("B", 3, at(2026, 9, 10))
    return world.period("2026-09")


def test_final_run_stores_lines_results_state_posts_and_closes(world, september):
    run = do_run_final(september)
    assert run.total_paid == 10750
    assert earned(run) == {"R": 300, "A": 300, "B": 10150, "C": 0}
    lines = {
        member: [(line.bonus, line.level, line.amount) for line in run_lines(run, world[member])]
        for member in "RABC"
    }
    assert lines == {
        "R": [("unilevel", 2, 150), ("matching", 1, 150)],
        "A": [("unilevel", 1, 300)],
        "B": [("personal", 0, 150), ("advancement", 1, 10000)],  # level: the rank awarded
        "C": [],
    }
    [unilevel] = run_lines(run, world["A"])
    assert (unilevel.base, unilevel.rate_num, unilevel.rate_den) == (3000, 1, 10)
    assert unilevel.source_id == world["B"].pk
    assert unilevel.source_order_id is not None
    september.refresh_from_db()
    assert not september.is_open
    assert balance(world["B"], "EUR").wallet == 10150
    assert balance(world["A"], "EUR").wallet == 300
    expense = Account.objects.get(kind=Account.Kind.COMMISSION_EXPENSE, currency="EUR")
    assert expense.balance == 10750
    assert violations() == []
    state = json.loads(zlib.decompress(bytes(run.state)))
    assert state["distributors"]["B"]["highest_rank"] == "Leader"
    trace = trace_of(RunResult.objects.get(run=run, distributor=world["B"]))
    assert trace["rank"]["paid_as"] == "Leader"
    assert PlanVersion.objects.get(pk=run.plan_version_id).is_locked


def test_a_final_runs_once_and_the_period_cannot_be_reopened(world, september):
    do_run_final(september)
    with pytest.raises(CompensationError, match="already has its final run"):
        do_run_final(september)
    september.refresh_from_db()
    with pytest.raises(PeriodError, match="posted commissions"):
        do_reopen_period(september, reason="test")
    assert Run.objects.filter(kind=Run.Kind.FINAL).count() == 1


def test_a_locked_plan_version_cannot_change(world, september):
    run = do_run_final(september)
    with pytest.raises(CompensationError, match="can no longer change"):
        do_update_plan_version(run.plan_version, run.plan_version.text + "\n# edit\n")


def test_finals_run_in_period_order_and_only_after_the_end(world, september):
    world.order("A", 1, at(2026, 10, 5))
    with pytest.raises(CompensationError, match="before period 2026-10"):
        do_run_final(world.period("2026-10"))
    with pytest.raises(CompensationError, match="has not ended"):
        do_run_final(world.period("2099-01"))
    assert not Run.objects.exists()
    assert not Entry.objects.exists()


def test_state_carries_to_the_next_period_so_advancement_is_paid_once(world, september):
    do_run_final(september)
    world.order("B", 3, at(2026, 10, 10))
    october = do_run_final(world.period("2026-10"))
    assert earned(october)["B"] == 150  # personal only: Leader was awarded in September


def test_preview_and_projection_post_nothing(world, september):
    preview = do_run_preview(september)
    assert preview.total_paid == 10750
    assert preview.kind == Run.Kind.PREVIEW
    assert not Entry.objects.exists()
    assert not LineBlock.objects.exists()
    september.refresh_from_db()
    assert september.is_open
    projections = [do_run_projection(september) for _ in range(4)]
    assert Run.objects.filter(kind=Run.Kind.PROJECTION).count() == 3
    assert not Run.objects.filter(pk=projections[0].pk).exists()
    assert earned(projections[-1]) == earned(preview)


def test_preview_compared_with_the_final(world, september):
    from downline.compensation.compare import compare_runs

    preview = do_run_preview(september)
    world.order("C", 2, at(2026, 9, 20))
    # C's 2 shakes (CV 20.00): A 2.00 unilevel; R 1.00 unilevel + 1.00 matching; C 1.00 personal
    final = do_run_final(september)
    comparison = compare_runs(preview, final)
    changes = {row.member_id: (row.before, row.after) for row in comparison.distributors}
    assert changes == {"A": (300, 500), "R": (300, 500), "C": (0, 100)}
    assert comparison.total_after - comparison.total_before == 500


def test_no_plan_is_a_clear_error(db):
    from downline.periods.actions import do_ensure_period

    with pytest.raises(CompensationError, match="No plan is active"):
        do_run_preview(do_ensure_period("2026-09"))


def test_run_command_and_ledger_check_command(world, september, capsys):
    from django.contrib.auth.models import Group

    from downline.accounts.actions import do_create_user

    finance = do_create_user("fin", password="a-long-secret-phrase", staff=True)
    finance.groups.add(Group.objects.get(name="finance"))
    call_command("run_period", "final", "--period", "2026-09", "--user", "fin")
    assert "107.50 EUR paid" in capsys.readouterr().out
    call_command("ledger", "check")
    assert "sound" in capsys.readouterr().out
