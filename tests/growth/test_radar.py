"""The radar's rules against the hand-built network of conftest (day 15 October 2026)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from downline.growth import radar
from downline.growth.actions import do_build_radar
from downline.growth.models import RadarItem
from downline.orders.models import Autoship, AutoshipRun

from .conftest import TODAY


def _items(sponsor, day=TODAY):
    return {
        (i.member_id, i.reason): i.params
        for i in RadarItem.objects.filter(sponsor_id=sponsor.pk, day=day)
    }


def _failed_autoship(member, due_on: date) -> None:
    autoship = Autoship.objects.create(
        distributor=member, day_of_month=due_on.day, currency="EUR", next_run_on=due_on
    )
    AutoshipRun.objects.create(
        autoship=autoship,
        due_on=due_on,
        outcome=AutoshipRun.Outcome.FAILED,
        error="card declined",
        attempts=2,
        last_attempt_at=timezone.now() - timedelta(days=1),
    )


@pytest.mark.django_db
def test_every_reason_with_its_exact_figures(settled):
    net = settled
    _failed_autoship(net.drop, date(2026, 10, 13))
    build = do_build_radar(TODAY)
    assert build.status == "done"
    items = _items(net.sam)
    # NEWBIE joined on 12 October: day 4, no order (and not listed as inactive too)
    assert items[(net.newbie.pk, radar.NEWCOMER_NO_ORDER)] == {"day_n": 4}
    assert (net.newbie.pk, radar.INACTIVE) not in items
    # INACT: 17 days left (15..31 October), the whole 20 PV missing
    assert items[(net.inact.pk, radar.INACTIVE)] == {
        "days_left": 17,
        "pv_missing": 2000,
        "cv_missing": 0,
        "period": "2026-10",
    }
    # CLOSE: 25 PV and GV 25 of Leader's 30: 5 GV missing (PV met)
    close = items[(net.close.pk, radar.CLOSE_TO_RANK)]
    assert close["rank"] == "Leader"
    assert close["missing"] == {"gv": 500}
    assert (net.close.pk, radar.INACTIVE) not in items
    # DROP: Leader in August, Member in September
    dropped = items[(net.drop.pk, radar.RANK_DROPPED)]
    assert (dropped["from_rank"], dropped["to_rank"], dropped["period"]) == (
        "Leader",
        "Member",
        "2026-09",
    )
    assert items[(net.drop.pk, radar.AUTOSHIP_FAILED)] == {"due_on": "2026-10-13", "attempts": 2}
    # nobody outside SAM's first level is on SAM's radar; OTTO sees only KID
    assert {member for member, _reason in items} == {
        net.newbie.pk,
        net.inact.pk,
        net.close.pk,
        net.drop.pk,
    }
    assert {m for m, _r in _items(net.otto)} == {net.kid.pk}


@pytest.mark.django_db
def test_newcomer_window_and_day_number(settled, settings):
    settings.DOWNLINE_RADAR_NEWCOMER_DAYS = 3  # days 1..3 only; NEWBIE is on day 4
    do_build_radar(TODAY)
    items = _items(settled.sam)
    assert (settled.newbie.pk, radar.NEWCOMER_NO_ORDER) not in items
    assert (settled.newbie.pk, radar.INACTIVE) in items


@pytest.mark.django_db
def test_a_newcomer_with_an_order_is_not_listed(settled):
    from downline.orders.actions import do_place_order

    do_place_order(settled.newbie, [(settled.product, 1)], "EUR")
    do_build_radar(TODAY)
    assert (settled.newbie.pk, radar.NEWCOMER_NO_ORDER) not in _items(settled.sam)


@pytest.mark.django_db
def test_building_twice_keeps_what_was_done(settled):
    from downline.growth.actions import do_dismiss

    do_build_radar(TODAY)
    first = RadarItem.objects.filter(day=TODAY).count()
    item = RadarItem.objects.get(
        sponsor_id=settled.sam.pk, member_id=settled.inact.pk, reason=radar.INACTIVE
    )
    do_dismiss(settled.sam, item)
    do_build_radar(TODAY)
    assert RadarItem.objects.filter(day=TODAY).count() == first
    item.refresh_from_db()
    assert item.state == "dismissed"


@pytest.mark.django_db
def test_without_a_projection_or_plan_nothing_breaks(net):
    do_build_radar(TODAY)
    items = _items(net.sam)
    # no plan: no activity rule, no projection, no final runs; only the newcomer rules apply
    assert items[(net.newbie.pk, radar.NEWCOMER_NO_ORDER)] == {"day_n": 4}
    assert {reason for _member, reason in items} <= {
        radar.NEWCOMER_NO_ORDER,
        radar.NEWCOMER_NO_LESSON,
    }


@pytest.mark.django_db
def test_the_build_is_a_job_with_a_heartbeat(settled):
    from downline.growth.tasks import run_radar_build

    build = run_radar_build(TODAY)
    assert build.status == "done"
    assert build.items > 0
    assert build.worker_pid
    assert build.heartbeat_at is not None
    assert set(build.seconds) >= {"newcomers", "inactive", "close_to_rank", "stored"}


@pytest.mark.django_db
def test_mentor_sees_the_mentee_on_their_radar(settled):
    from downline.growth.actions import do_assign_mentor

    do_assign_mentor(settled.inact, settled.close, leader=settled.sam)
    do_build_radar(TODAY)
    mine = RadarItem.objects.get(sponsor_id=settled.close.pk, member_id=settled.inact.pk)
    assert mine.via_mentor
    assert mine.reason == radar.INACTIVE
