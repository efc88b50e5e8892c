"""Two finals at once, and a final killed mid-way (kill -9), on the suite's database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import close_old_connections, connection

from downline.compensation.errors import CompensationError
from downline.compensation.models import LineBlock, Run, RunResult
from downline.compensation.runs import do_run_final
from downline.ledger.checks import violations
from downline.ledger.models import Entry
from downline.periods.models import Period

from .conftest import activate_plan, at, build_world

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_two_finals_at_once_exactly_one_wins():
    world = build_world()
    activate_plan()
    world.order("B", 3, at(2026, 9, 10))
    period_id = world.period("2026-09").pk
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def final() -> None:
        try:
            barrier.wait()
            outcomes.append(do_run_final(Period.objects.get(pk=period_id)))
        except CompensationError as error:
            outcomes.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=final) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    runs = [o for o in outcomes if isinstance(o, Run)]
    errors = [str(o) for o in outcomes if isinstance(o, CompensationError)]
    assert len(runs) == 1, outcomes
    assert len(errors) == 1
    assert "final run" in errors[0]
    assert Run.objects.filter(kind=Run.Kind.FINAL).count() == 1
    assert violations() == []


KILLER = """
import os, signal, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "downline.settings.test"
django.setup()
from downline.compensation.runs import do_run_final
from downline.periods.models import Period

def step(name):
    if name == sys.argv[1]:
        os.kill(os.getpid(), signal.SIGKILL)

do_run_final(Period.objects.get(code="2026-09"), on_step=step)
"""


def _database_env() -> dict[str, str]:
    """The environment a child process needs to open the suite's (committed) test database."""
    settings = connection.settings_dict
    env = dict(os.environ)
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        )
    return env


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", ["load", "lines", "results", "ledger"])
def test_a_final_killed_mid_way_leaves_nothing_and_runs_again(step):
    world = build_world()
    activate_plan()
    world.order("B", 3, at(2026, 9, 10))
    world.period("2026-09")
    child = subprocess.run(
        [sys.executable, "-c", KILLER, step], env=_database_env(), cwd=ROOT, timeout=120
    )
    assert child.returncode == -9
    period = Period.objects.get(code="2026-09")
    assert period.is_open
    assert not Run.objects.exists()
    assert not RunResult.objects.exists()
    assert not LineBlock.objects.exists()
    assert not Entry.objects.exists()
    run = do_run_final(period)
    assert run.total_paid == 10750
    assert violations() == []
