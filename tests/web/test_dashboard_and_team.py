"""Live figures on the dashboard, the lazy tree, levels, customers; pinned query counts."""

import re

import pytest
import time_machine
from django.urls import reverse

from downline.orders.actions import do_place_order
from downline.orders.volumes import fold_volume_changes
from downline.web import team_events
from downline.web.selectors import current_period

from .conftest import at

# orders are placed "now" and the pages show the current period: both inside 2026-10
pytestmark = pytest.mark.usefixtures("open_period_clock")


def test_an_order_moves_the_dashboard_figures_at_once(alice_client, team):
    page = alice_client.get(reverse("web:dashboard"))
    assert re.search(r'id="figure-gv">0\.00<', page.text)
    do_place_order(team.carol, [(team.product, 2)], "EUR")  # 2 × 25.00 PV, 20.00 CV
    do_place_order(team.cust_a, [(team.product, 1)], "EUR")  # credited to Alice
    page = alice_client.get(reverse("web:dashboard"))
    assert re.search(r'id="figure-pv">25\.00<', page.text)
    assert re.search(r'id="figure-cv">20\.00<', page.text)
    assert re.search(r'id="figure-gv">75\.00<', page.text)
    # Bob's enrollment leg carries Carol's 50.00 PV
    assert re.search(r"Bob Brown</a>.*?50\.00", page.text, re.S)


def test_the_dashboard_says_no_projection_yet_and_shows_no_invented_numbers(alice_client):
    page = alice_client.get(reverse("web:dashboard"))
    assert 'id="no-projection"' in page.text
    assert "Projected earnings" not in page.text


def test_new_recruits_appear_among_team_events(alice_client, team):
    page = alice_client.get(reverse("web:dashboard"))
    assert "Carol Clark (CAROL) joined your team on level 2." in page.text
    assert "Bob Brown (BOB) joined your team on level 1." in page.text
    assert "DAVE" not in page.text.split("events-heading")[1]


def test_recruits_of_a_large_team_are_found_walking_up(team, settings, monkeypatch):
    monkeypatch.setattr("downline.web.selectors.SMALL_TEAM", 0)
    events = team_events.recent_team_events(team.alice, 10)
    assert [(e.member_id, e.level) for e in events] == [("CAROL", 2), ("BOB", 1)]


def test_extension_sources_are_merged_newest_first(team):
    assert team_events.team_event_sources()  # recruits are registered by the web app


# the bell (1) and the tools' dashboard cards: academy 2, outreach 2, growth, contests, support
TOOL_CARDS = 9


def test_dashboard_query_count_is_pinned(alice_client, team, django_assert_num_queries):
    do_place_order(team.bob, [(team.product, 1)], "EUR")
    # session, user, member, period, volumes, placement legs, enrollment legs, front line
    # count, recruits; latest projection (none), the latest finals and projection for rank
    # events (none), the plan version for the activity rule (none); whether orders wait to be
    # folded (none: the worker's folder has run)
    fold_volume_changes()
    with django_assert_num_queries(14 + TOOL_CARDS):
        assert alice_client.get(reverse("web:dashboard")).status_code == 200


def test_team_page_query_count_is_pinned(alice_client, team, django_assert_num_queries):
    # session, user, member, period, front-line count, front-line page; the bell's unread count
    with django_assert_num_queries(7):
        assert alice_client.get(reverse("web:team")).status_code == 200


def test_tree_children_query_count_is_pinned(alice_client, team, django_assert_num_queries):
    # session, user, member, node, subtree check, period, count, page
    with django_assert_num_queries(8):
        response = alice_client.get(
            reverse("web:tree_children", args=["BOB"]), headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "CAROL" in response.text


def test_tree_nodes_show_status_at_a_glance(alice_client, team):
    do_place_order(team.bob, [(team.product, 1)], "EUR")
    page = alice_client.get(reverse("web:team"))
    assert "Bob Brown" in page.text
    assert "PV 25.00" in page.text
    assert 'hx-get="/team/tree/BOB/?tree=enrollment"' in page.text


def test_the_placement_tree_is_its_own(alice_client, team):
    page = alice_client.get(reverse("web:team"), {"tree": "placement"})
    assert "BOB" in page.text


def test_levels_filter_active_and_joined_this_period(alice_client, team):
    from downline.genealogy.actions import do_change_status

    # Carol joined on 5 January 2026: new in January's period, no longer in February's
    with time_machine.travel(at(2026, 1, 20), tick=False):
        do_change_status(team.carol, "suspended", reason="test")
        page = alice_client.get(reverse("web:team_levels"), {"level": 2, "active": "on"})
        assert "CAROL" not in page.text
        page = alice_client.get(reverse("web:team_levels"), {"level": 2})
        assert "CAROL" in page.text
        assert current_period().code == "2026-01"
        page = alice_client.get(reverse("web:team_levels"), {"level": 2, "new": "on"})
        assert "CAROL" in page.text
    with time_machine.travel(at(2026, 2, 1, 9), tick=False):
        assert current_period().code == "2026-02"
        page = alice_client.get(reverse("web:team_levels"), {"level": 2, "new": "on"})
        assert "CAROL" not in page.text


def test_customers_and_their_orders(alice_client, team):
    do_place_order(team.cust_a, [(team.product, 3)], "EUR")
    page = alice_client.get(reverse("web:customers"))
    assert "Cora Buyer" in page.text
    assert "Dora Buyer" not in page.text
    detail = alice_client.get(reverse("web:customer", args=["CUST-A"]))
    assert "3 × Green tea" in detail.text
    assert "€119.70" in detail.text


def test_pages_carry_a_content_security_policy_and_no_inline_script(alice_client):
    for name in ("web:dashboard", "web:team", "web:team_levels", "web:customers", "web:profile"):
        response = alice_client.get(reverse(name))
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        scripts = re.findall(r"<script\b[^>]*>", response.text)
        assert scripts
        assert all("src=" in tag for tag in scripts)
        assert " on" not in "".join(re.findall(r"<[^>]+ on[a-z]+=", response.text))
        assert response["X-Frame-Options"] == "DENY"


def test_every_form_field_has_a_label(alice_client):
    for name in ("web:profile", "web:team_levels"):
        text = alice_client.get(reverse(name)).text
        for field_id in re.findall(
            r'<(?:input(?![^>]*type="hidden")|select)[^>]*\bid="([^"]+)"', text
        ):
            assert f'for="{field_id}"' in text, (name, field_id)
