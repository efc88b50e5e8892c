"""The sponsor's team report read through the stored sponsor path equals the recursive walk of the
sponsor tree: the same members (never beyond the downline), levels, flags, counts and pages,
also after sponsor moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from downline.academy import actions
from downline.academy.models import TrainingSummary
from downline.academy.selectors import STUCK_DAYS, team_report
from downline.genealogy.actions import do_enroll, do_move, do_recount_network
from downline.genealogy.models import Distributor
from downline.genealogy.tree_sql import ENROLLMENT, downline_cte

from .conftest import JOINED, lesson

AT = datetime(2026, 2, 20, 12, tzinfo=UTC)


def walked(sponsor: Distributor) -> list[tuple[int, int, str]]:
    """(level, pk, flag) of the sponsor's distributor downline by the recursive walk."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE {downline_cte(ENROLLMENT, distributors_only=True)} "
            "SELECT id, lvl FROM downline",
            [sponsor.pk, 10_000],
        )
        found = cursor.fetchall()
    summaries = {s.member_id: s for s in TrainingSummary.objects.all()}
    stuck_before = timezone.now() - timedelta(days=STUCK_DAYS)
    rows = []
    for pk, level in found:
        s = summaries.get(pk)
        if s is None or s.touched == 0:
            flag = "not_started"
        elif s.failed_twice > 0:
            flag = "failed_twice"
        elif s.last_at < stuck_before:
            flag = "stuck"
        else:
            flag = "active"
        rows.append((level, pk, flag))
    return sorted(rows)


def reported(sponsor: Distributor, status: str = "all") -> list[tuple[int, int, str]]:
    rows, page = [], 1
    while True:
        report = team_report(sponsor, status=status, page=page, per_page=3)
        rows += [(r["lvl"], r["pk"], r["flag"]) for r in report.rows]
        if not report.has_next:
            return rows
        page += 1


def assert_same(sponsor: Distributor) -> None:
    expected = walked(sponsor)
    assert reported(sponsor) == expected
    counts = team_report(sponsor).counts
    assert counts["all"] == len(expected)
    for status in ("not_started", "stuck", "failed_twice"):
        subset = [row for row in expected if row[2] == status]
        assert reported(sponsor, status) == subset
        assert counts.get(status, 0) == len(subset)


@pytest.fixture
def wide(net, course):
    """Below Bob: six more distributors on three levels and a retail customer."""
    made = {}
    for member_id, sponsor in (
        ("E1", net.bob), ("E2", net.bob), ("E11", "E1"), ("E12", "E1"), ("E111", "E11"),
        ("E3", net.carol),
    ):  # fmt: skip
        made[member_id] = do_enroll(
            member_id=member_id,
            sponsor=made.get(sponsor, sponsor) if isinstance(sponsor, str) else sponsor,
            joined_on=JOINED,
            effective_at=AT,
        )
    do_enroll(
        member_id="K1", sponsor=made["E1"], joined_on=JOINED, kind="customer", effective_at=AT
    )
    actions.do_complete_lesson(made["E11"], lesson("income-claims"))
    actions.do_open_lesson(made["E2"], lesson("income-claims"))
    actions.do_open_lesson(net.carol, lesson("income-claims"))
    TrainingSummary.objects.filter(member_id=net.carol.pk).update(
        last_at=timezone.now() - timedelta(days=STUCK_DAYS + 1)
    )
    TrainingSummary.objects.filter(member_id=made["E2"].pk).update(failed_twice=1)
    return made


def test_the_report_equals_the_walk_for_every_sponsor(net, wide):
    for member in Distributor.objects.filter(kind="distributor"):
        assert_same(member)
    assert {r[1] for r in walked(net.alice)} >= {wide["E111"].pk}
    assert wide["E111"].pk not in {r[1] for r in walked(net.dave)}


def test_after_a_move_the_old_sponsor_no_longer_sees_the_moved_team(net, wide, settings):
    settings.DOWNLINE_PLACEMENT = "unilevel"
    do_move(wide["E1"].member_id, sponsor=net.dave, reason="moved", effective_at=timezone.now())
    moved = {wide[m].pk for m in ("E1", "E11", "E12", "E111")}
    assert not moved & {r["pk"] for r in team_report(net.alice, per_page=100).rows}
    assert moved <= {r["pk"] for r in team_report(net.dave, per_page=100).rows}
    for member in Distributor.objects.filter(kind="distributor"):
        assert_same(member)


def test_a_repair_of_the_stored_paths_reaches_the_summaries_copies(net, wide):
    """``do_recount_network`` rewrites paths written around the actions; the summaries' copies
    (read by the report's counts) follow in the same call (``hooks.SPONSOR_PATHS_REBUILT``)."""
    TrainingSummary.objects.update(sponsor_path="")
    Distributor.objects.filter(pk=wide["E11"].pk).update(sponsor_path="")
    do_recount_network()
    paths = dict(Distributor.objects.values_list("pk", "sponsor_path"))
    copies = list(TrainingSummary.objects.values_list("member_id", "sponsor_path"))
    assert copies
    assert all(path == paths[pk] for pk, path in copies)
    for member in Distributor.objects.filter(kind="distributor"):
        assert_same(member)
