"""Database runs of a plan that requires a certificate: compensation asks the
``CERTIFICATES_HELD`` hook (answered here by a test handler, in production by the academy) who
holds it on the period's last day, without importing the academy.

September 2026: B buys 3 shakes (PV 37.50, CV 30.00); A holds compliance-basics, R and B do not.

* unilevel (requires the certificate) on CV per order: A level 1 10% × 30.00 = 3.00; R level 2
  5% = 1.50 is not paid (no certificate);
* personal 5% of own CV: B 1.50 (no requirement);
* matching 50% of A's unilevel 3.00: R 1.50 (no requirement);
* advancement: Leader requires the certificate, so B (PV 37.50, GV 37.50) stays Member: no 100.

Totals: A 3.00, R 1.50, B 1.50; the run pays 6.00 EUR.
"""

from __future__ import annotations

from datetime import date

import pytest

from downline.compensation.inputs import CERTIFICATES_UNAVAILABLE
from downline.compensation.models import RunResult
from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.compensation.runs import do_run_final, do_run_preview, do_run_projection
from downline.compensation.selectors import trace_of
from downline.core import hooks
from downline.periods.actions import do_ensure_period

from .conftest import PLAN, at, build_world

CERTIFIED_PLAN = (
    PLAN.read_text(encoding="utf-8")
    .replace(
        "    pv: 20\n    gv: 30\n",
        "    pv: 20\n    gv: 30\n    requires: {certificate: compliance-basics}\n",
    )
    .replace(
        "    compression: false\n",
        "    compression: false\n    requires: {certificate: compliance-basics}\n",
    )
)


@pytest.fixture
def only_our_handler():
    """The hook with no handler but the test's (the academy's, if registered, comes back)."""
    saved = hooks.CERTIFICATES_HELD.handlers
    for key in saved:
        hooks.CERTIFICATES_HELD.unregister(key)
    yield hooks.CERTIFICATES_HELD
    hooks.CERTIFICATES_HELD.unregister("tests.certificates")
    for key, handler in saved.items():
        hooks.CERTIFICATES_HELD.register(handler, key=key)


@pytest.fixture
def world(db, only_our_handler):
    world = build_world()
    version = do_create_plan_version(CERTIFIED_PLAN, note="certificates")
    do_activate_plan_version(version, do_ensure_period("2026-09"))
    world.order("B", 3, at(2026, 9, 10))
    return world


def earned(run) -> dict[str, int]:
    return {
        r.distributor.member_id: r.earned
        for r in RunResult.objects.filter(run=run).select_related("distributor")
    }


def test_the_plan_asks_the_hook_and_pays_only_certified_members(world, only_our_handler):
    calls = []

    def held(*, keys, on):
        calls.append((keys, on))
        return {"compliance-basics": [world["A"].pk]}

    only_our_handler.register(held, key="tests.certificates")
    run = do_run_final(world.period("2026-09"))
    assert calls == [(("compliance-basics",), date(2026, 9, 30))]
    assert earned(run) == {"R": 150, "A": 300, "B": 150, "C": 0}
    assert run.total_paid == 600
    assert "warnings" not in run.summary
    r = trace_of(RunResult.objects.get(run=run, distributor=world["R"]))
    assert (
        "compliance-basics certificate missing: not paid unilevel, "
        "so 1 unilevel line was not paid to you"
    ) in r["messages"]
    b = trace_of(RunResult.objects.get(run=run, distributor=world["B"]))
    assert b["rank"]["paid_as"] == "Member"
    assert b["next_rank"]["missing"] == ["compliance-basics certificate missing for Leader"]


def test_holding_the_certificate_restores_exactly_the_withheld_pay(world, only_our_handler):
    def held(*, keys, on):
        return {"compliance-basics": [world[m].pk for m in "RAB"]}

    only_our_handler.register(held, key="tests.certificates")
    run = do_run_preview(world.period("2026-09"))
    # R's 1.50 unilevel and B's Leader advancement (100.00) come back
    assert earned(run) == {"R": 300, "A": 300, "B": 10150, "C": 0}


def test_without_a_handler_nobody_holds_a_certificate_and_the_run_warns(world):
    run = do_run_projection(world.period("2026-09"))
    assert earned(run) == {"R": 0, "A": 0, "B": 150, "C": 0}
    assert run.summary["warnings"] == [
        {"key": CERTIFICATES_UNAVAILABLE, "certificates": ["compliance-basics"]}
    ]


def test_a_plan_without_certificates_never_fires_the_hook(db, only_our_handler):
    world = build_world()
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="plain")
    do_activate_plan_version(version, do_ensure_period("2026-09"))
    world.order("B", 3, at(2026, 9, 10))

    def refuse(**arguments):
        raise AssertionError("the hook fired for a plan without certificates")

    only_our_handler.register(refuse, key="tests.certificates")
    run = do_run_preview(world.period("2026-09"))
    assert run.total_paid == 10750
