"""The dashboard connected to the commission runs: projected earnings with the run's time,
every condition of the next rank from the trace, the plan's activity condition, and rank
advancements among the team events."""

import re

import pytest
from django.urls import reverse

from downline.genealogy.models import Distributor
from downline.orders.volumes import fold_volume_changes
from downline.web import team_events

# every page here shows the current period: the settled company's open one, 2026-10
pytestmark = pytest.mark.usefixtures("open_period_clock")


@pytest.fixture
def alice(client, settled):
    client.force_login(settled.team.alice_user)
    return client


def test_the_dashboard_shows_the_latest_projection_and_its_time(alice, settled):
    text = alice.get(reverse("web:dashboard")).text
    assert 'id="no-projection"' not in text
    # Carol's tea this period (CV 20.00): Alice's unilevel on level 2 is 5 % = 1.00, and her
    # matching is 50 % of Bob's unilevel of 10 % = 1.00
    assert "Projected earnings: <strong>€2.00</strong>" in text
    assert "computed" in text


def test_the_next_rank_lists_every_condition_with_what_is_missing(alice):
    text = alice.get(reverse("web:dashboard")).text
    table = text.split("What Leader requires")[1].split("</table>")[0]
    cell = r"<td[^>]*>(.*?)</td>"  # cells carry their column's name for phones (data-label)
    rows = re.findall(rf"<tr>{cell}{cell}{cell}{cell}</tr>", table)
    assert rows == [
        ("Personal volume (PV)", "20.00", "0.00", "20.00"),
        ("Group volume (GV)", "30.00", "25.00", "5.00"),
    ]


def test_pv_met_follows_the_plans_activity_condition(alice):
    # plan.yaml: activity pv_at_least 0, so every member meets it
    text = alice.get(reverse("web:dashboard")).text
    assert "Active: personal volume met" in text
    team = alice.get(reverse("web:team")).text
    assert "PV met" in team


def test_rank_advancements_are_team_events(alice, settled):
    events = alice.get(reverse("web:dashboard")).text.split('id="events-heading"')[1]
    # Bob reached Leader in September (Carol in August is two finals back)
    assert "Bob Brown (BOB) reached Leader in 2026-09." in events
    assert "Carol Clark (CAROL) reached Leader" not in events


def test_projected_advancements_say_on_track(settled, monkeypatch):
    from django.utils import timezone

    from downline.compensation.runs import do_run_projection
    from downline.orders.actions import do_place_order
    from downline.periods.actions import do_ensure_period_for

    team = settled.team
    do_place_order(team.alice, [(team.product, 1)], "EUR")  # Alice PV 25, GV 50: Leader
    do_run_projection(do_ensure_period_for(timezone.now()))
    root = Distributor.objects.get(pk=team.root.pk)
    texts = [event.text for event in team_events.recent_team_events(root, 10)]
    assert any("Alice Adams (ALICE) is on track to reach Leader" in t for t in texts)


def test_a_large_team_finds_advancements_walking_up(settled, monkeypatch):
    monkeypatch.setattr("downline.web.selectors.SMALL_TEAM", 0)
    events = team_events.recent_team_events(settled.team.alice, 10)
    kinds = [(e.kind, e.member_id) for e in events if e.kind == team_events.RANK_ADVANCEMENT]
    assert kinds == [("rank_advancement", "BOB")]
    # Dave's team holds no one who advanced
    assert not [
        e
        for e in team_events.recent_team_events(settled.team.dave, 10)
        if e.kind == team_events.RANK_ADVANCEMENT
    ]


def test_dashboard_query_count_with_runs_is_pinned(alice, django_assert_num_queries):
    # session, user, member, period, volumes, placement legs, enrollment legs, front-line
    # count, recruits; latest projection, result; two finals and the projection for rank
    # events, one walk per pair, the advanced members; plan version for the activity rule;
    # whether orders wait to be folded, for the volumes and for the activity rule (none: the
    # worker's folder has run)
    fold_volume_changes()
    with django_assert_num_queries(20 + 9):
        assert alice.get(reverse("web:dashboard")).status_code == 200


def test_team_lists_show_the_projected_rank_and_filter_by_it(alice, settled):
    from downline.compensation.models import RunResult
    from downline.web.selectors import current_period, level_page, rank_source

    period = current_period().period
    ranks = rank_source(period)
    assert ranks.run_id == settled.projection.pk
    assert ranks.names == ["Member", "Leader"]
    everyone = level_page(settled.team.alice, "enrollment", 1, period, ranks=ranks).rows
    assert everyone
    projected = dict(
        RunResult.objects.filter(run=settled.projection).values_list(
            "distributor__member_id", "paid_as_rank"
        )
    )
    for row in everyone:
        assert row.rank_name == ranks.names[projected[row.member_id]]
    for index in (0, 1):
        kept = level_page(settled.team.alice, "enrollment", 1, period, ranks=ranks, rank=index)
        assert [r.member_id for r in kept.rows] == [
            r.member_id for r in everyone if projected[r.member_id] == index
        ]
    text = alice.get(reverse("web:team_levels"), {"level": 1}).text
    assert f"Rank: {everyone[0].rank_name}" in text
    assert 'name="rank"' in text
