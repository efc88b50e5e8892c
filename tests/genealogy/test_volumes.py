"""Live period volumes follow the subtree when a sponsor or a placement moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from downline.genealogy.actions import (
    do_change_placement,
    do_change_sponsor,
    do_move,
    do_reverse_event,
)
from downline.orders.models import PeriodVolume
from downline.orders.volumes import VolumeDelta, apply_volume_delta
from downline.periods.actions import do_close_period, do_ensure_period_for


@pytest.fixture
def period(db, settings):
    """The open period of "now", 10 March 2026 (the clock stays there for the whole test):
    2026-03, in the company's time zone."""
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"
    settings.DOWNLINE_PERIOD_KIND = "monthly"
    with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=True):
        period = do_ensure_period_for(timezone.now())
        assert period.code == "2026-03"
        yield period


@pytest.fixture
def team(net, period):
    """R: A (L) with A1 (A.L) and A11 (A1.L, sponsored by A, spilled under A1); B (R).

    Volumes (hundredths): A11 1000 PV / 800 CV, A1 500 / 400, B 300 / 200.
    """
    net.enroll("R")
    net.enroll("A", "R")
    net.enroll("B", "R")
    net.enroll("A1", "A")
    net.enroll("A11", "A", placement_parent="A1", position=1)
    for member_id, pv, cv in (("A11", 1000, 800), ("A1", 500, 400), ("B", 300, 200)):
        apply_volume_delta(
            period_id=period.pk, distributor_id=net[member_id].pk, delta=VolumeDelta(pv=pv, cv=cv)
        )
    return net


def groups(period, *member_ids: str) -> dict[str, tuple[int, int, int, int]]:
    """(group PV, group CV, placement group PV, placement group CV) per member."""
    rows = PeriodVolume.objects.filter(period=period, distributor__member_id__in=member_ids)
    found = {
        row.distributor.member_id: (
            row.group_pv,
            row.group_cv,
            row.placement_group_pv,
            row.placement_group_cv,
        )
        for row in rows.select_related("distributor")
    }
    return {member_id: found.get(member_id, (0, 0, 0, 0)) for member_id in member_ids}


def test_the_starting_volumes(team, period):
    assert groups(period, "R", "A", "A1", "B") == {
        "R": (1800, 1400, 1800, 1400),
        "A": (1500, 1200, 1500, 1200),
        "A1": (500, 400, 1500, 1200),
        "B": (300, 200, 300, 200),
    }


def test_group_volume_follows_a_sponsor_change(team, period):
    do_change_sponsor("A1", "R", reason="sponsor left", effective_at=team.tick())
    assert groups(period, "R", "A", "A1", "B") == {
        "R": (1800, 1400, 1800, 1400),
        "A": (1000, 800, 1500, 1200),  # the placement did not move
        "A1": (500, 400, 1500, 1200),
        "B": (300, 200, 300, 200),
    }


def test_placement_group_volume_follows_a_placement_change(team, period):
    do_change_placement("A11", "A", position=2, reason="balance", effective_at=team.tick())
    assert groups(period, "R", "A", "A1", "A11") == {
        "R": (1800, 1400, 1800, 1400),
        "A": (1500, 1200, 1500, 1200),
        "A1": (500, 400, 500, 400),
        "A11": (1000, 800, 1000, 800),
    }


def test_both_volumes_follow_a_move_and_return_on_its_reversal(team, period):
    events = do_move("A11", sponsor="B", reason="team change", effective_at=team.tick())
    assert groups(period, "R", "A", "A1", "B") == {
        "R": (1800, 1400, 1800, 1400),
        "A": (500, 400, 500, 400),
        "A1": (500, 400, 500, 400),
        "B": (1300, 1000, 1300, 1000),
    }
    do_reverse_event(events[0], reason="undo", effective_at=team.tick())
    assert groups(period, "R", "A", "A1", "B") == {
        "R": (1800, 1400, 1800, 1400),
        "A": (1500, 1200, 1500, 1200),
        "A1": (500, 400, 1500, 1200),
        "B": (300, 200, 300, 200),
    }


def test_a_closed_period_keeps_its_volumes(team, period):
    earlier = do_ensure_period_for(period.starts_at - timedelta(days=1))
    apply_volume_delta(
        period_id=earlier.pk, distributor_id=team["A11"].pk, delta=VolumeDelta(pv=700, cv=600)
    )
    do_close_period(earlier, reason="month end")
    do_move("A11", sponsor="B", reason="team change", effective_at=team.tick())
    assert groups(earlier, "A", "B") == {"A": (700, 600, 700, 600), "B": (0, 0, 0, 0)}
    assert groups(period, "A", "B") == {"A": (500, 400, 500, 400), "B": (1300, 1000, 1300, 1000)}
