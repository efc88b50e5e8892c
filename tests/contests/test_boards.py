"""Standings from real orders, the boards' permissions, opt-out, no income, freezing."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError

from downline.contests.actions import (
    do_freeze_contest,
    do_refresh_contest,
    do_refresh_due,
    do_set_member_settings,
)
from downline.contests.models import Contest, ContestAudit, FrozenResult, RecognitionEntry, Standing
from downline.contests.selectors import board_team, board_top, tracker
from downline.core.models import Event
from downline.orders.actions import do_place_order, do_return_order

from .conftest import at, drain


def _orders(team):
    do_place_order(team.cust_a1, [(team.product, 2)], "EUR", paid_at=at(2026, 3, 2))
    do_place_order(team.cust_a2, [(team.product, 4)], "EUR", paid_at=at(2026, 3, 3))
    do_place_order(team.cust_b, [(team.product, 1)], "EUR", paid_at=at(2026, 3, 4))
    do_place_order(team.cust_d, [(team.product, 2)], "EUR", paid_at=at(2026, 3, 5))
    do_place_order(team.carol, [(team.product, 4)], "EUR", paid_at=at(2026, 3, 6))  # own: no
    do_place_order(team.cust_b, [(team.product, 9)], "EUR", paid_at=at(2026, 2, 20))  # before


def _positions(contest):
    return {
        s.member.member_id: (s.position, s.score, s.tier)
        for s in Standing.objects.filter(contest=contest).select_related("member")
    }


def test_standings_follow_orders_with_caps_and_window(team, contest):
    _orders(team)
    do_refresh_contest(contest)
    assert _positions(contest) == {
        "ALICE": (1, 5000 + 8000, 0),  # 50 + min(100, 80) PV: the trip
        "DAVE": (2, 5000, 1),  # top three
        "BOB": (3, 2500, 1),
    }


def test_a_return_moves_the_member_down(team, contest):
    _orders(team)
    order = do_place_order(team.cust_b, [(team.product, 2)], "EUR", paid_at=at(2026, 3, 7))
    do_refresh_contest(contest)
    assert _positions(contest)["BOB"][:2] == (2, 7500)
    do_return_order(order, {order.lines.get(): 2}, refunded_at=at(2026, 3, 8), reason="r")
    do_refresh_contest(contest)
    assert _positions(contest)["BOB"][:2] == (3, 2500)


@pytest.mark.django_db(transaction=True)  # events become visible to consumers on commit
def test_refresh_due_reads_order_events_then_recomputes(team, contest):
    do_refresh_due(max_age_seconds=0)
    assert Standing.objects.filter(contest=contest).count() == 0
    do_place_order(team.cust_d, [(team.product, 1)], "EUR", paid_at=at(2026, 3, 10))
    assert Contest.objects.get(pk=contest.pk).dirty is False
    drain(1)  # the order's event marks the contest
    assert Contest.objects.get(pk=contest.pk).dirty is True
    assert do_refresh_due(max_age_seconds=0) == 1
    assert _positions(contest) == {"DAVE": (1, 2500, 1)}
    assert do_refresh_due(max_age_seconds=0) == 0  # nothing new


def test_team_board_holds_only_the_downline(team, contest):
    _orders(team)
    do_refresh_contest(contest)
    alice_team = {row.name for row in board_team(contest, team.alice)}
    assert alice_team == {"Alice Adams", "Bob Brown"}
    dave_team = {row.name for row in board_team(contest, team.dave)}
    assert dave_team == {"Dave Dodd"}


@pytest.mark.django_db(transaction=True)  # events become visible to consumers on commit
def test_board_page_shows_positions_never_income_and_respects_opt_out(team, contest, alice_client):
    _orders(team)
    do_set_member_settings(team.dave, board_anonymous=True, recognition_opt_in=False)
    do_refresh_contest(contest)
    response = alice_client.get(f"/contests/{contest.slug}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alice Adams" in page
    assert "Bob Brown" in page
    assert "Dave Dodd" not in page
    assert "a distributor" in page
    for money in ("€", "EUR", "39.90", "39,90"):
        assert money not in page
    assert 'hx-trigger="every 3s"' in page
    live = alice_client.get(f"/contests/{contest.slug}/live/").content.decode()
    assert "board-around" in live
    assert "Dave Dodd" not in live


def test_tracker_says_what_is_missing(team, contest, alice_client):
    do_place_order(team.cust_b, [(team.product, 1)], "EUR", paid_at=at(2026, 3, 4))
    do_refresh_contest(contest)
    t = tracker(contest, team.bob)
    assert (t.needed, t.next_tier, t.position) == (7500, "Lisbon trip", 1)
    page = alice_client.get("/dashboard/").content.decode()
    assert "You need 100 more customer PV by 31 March for Lisbon trip." in page


def test_drafts_and_unknown_contests_are_not_shown(team, alice_client):
    from downline.contests.actions import do_upload_contest

    from .conftest import CONTEST

    do_upload_contest(CONTEST.replace("march-customers", "secret-draft"))
    assert alice_client.get("/contests/secret-draft/").status_code == 404
    assert alice_client.get("/contests/nope/").status_code == 404


def test_freeze_writes_results_once_audited_and_published(team, contest, alice_client):
    _orders(team)
    with pytest.raises(ValidationError):
        do_freeze_contest(contest)  # the window is still open
    with time_machine.travel(at(2026, 4, 2), tick=False):
        frozen = do_freeze_contest(contest)
    assert frozen.status == Contest.Status.FINISHED
    results = list(FrozenResult.objects.filter(contest=contest).order_by("position"))
    assert [(r.member.member_id, r.tier_name) for r in results] == [
        ("ALICE", "Lisbon trip"),
        ("DAVE", "Top three"),
        ("BOB", "Top three"),
    ]
    audit = ContestAudit.objects.get(contest=contest, action="freeze")
    assert audit.params["results"] == 3
    assert len(audit.params["digest"]) == 64
    event = Event.objects.get(kind="contest.finished")
    assert event.payload["contest"] == contest.slug
    assert event.payload["winners"] == 3
    assert RecognitionEntry.objects.filter(kind="winner").count() == 3
    # a later order no longer changes anything
    do_place_order(team.cust_b, [(team.product, 9)], "EUR", paid_at=at(2026, 3, 20))
    do_refresh_due(max_age_seconds=0)
    assert [r.position for r in board_top(Contest.objects.get(pk=contest.pk), team.alice)] == [
        1,
        2,
        3,
    ]
    with pytest.raises(ValidationError):
        do_freeze_contest(contest)
    page = alice_client.get(f"/contests/{contest.slug}/").content.decode()
    assert "Final results" in page
    assert "hx-get" not in page


@pytest.mark.django_db(transaction=True)  # events become visible to consumers on commit
def test_the_refresh_task_reads_orders_and_recomputes(team, contest):
    from downline.contests.tasks import refresh_boards

    do_place_order(team.cust_d, [(team.product, 1)], "EUR", paid_at=at(2026, 3, 10))
    drain(1)
    with time_machine.travel(at(2026, 3, 15, 13), tick=True):  # past the 3-second throttle
        assert refresh_boards.call() == 1
    assert _positions(contest) == {"DAVE": (1, 2500, 1)}


def test_list_and_points_pages(team, contest, alice_client):
    from downline.contests.actions import do_award_badge, do_define_badge

    badge = do_define_badge(
        "first", name={"en": "First steps"}, description={}, criterion="points", threshold=1
    )
    assertion = do_award_badge(team.alice.pk, badge)
    listing = alice_client.get("/contests/").content.decode()
    assert "March customer drive" in listing
    assert f"/contests/{contest.slug}/" in listing
    points = alice_client.get("/contests/points/").content.decode()
    assert "First steps" in points
    assert f"/badges/assertions/{assertion.uid}.json" in points
