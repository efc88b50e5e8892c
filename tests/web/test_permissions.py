"""Least privilege: a distributor reaches only themselves and their downline; guessed ids of
anyone else answer 404, exactly like ids that do not exist. Staff pages need staff + 2FA."""

import pytest
from django.urls import reverse

OUTSIDE_OR_MISSING = ["DAVE", "ROOT", "CUST-D", "NOPE-404"]


@pytest.mark.parametrize("member_id", OUTSIDE_OR_MISSING)
@pytest.mark.parametrize("tree", ["enrollment", "placement"])
def test_tree_children_of_others_is_404(alice_client, member_id, tree):
    url = reverse("web:tree_children", args=[member_id]) + f"?tree={tree}"
    assert alice_client.get(url).status_code == 404
    assert alice_client.get(url, headers={"HX-Request": "true"}).status_code == 404


@pytest.mark.parametrize("member_id", OUTSIDE_OR_MISSING)
def test_member_detail_of_others_is_404(alice_client, member_id):
    assert alice_client.get(reverse("web:team_member", args=[member_id])).status_code == 404


@pytest.mark.parametrize("member_id", ["CUST-D", "BOB", "ALICE", "NOPE-404"])
def test_only_own_customers_open(alice_client, member_id):
    assert alice_client.get(reverse("web:customer", args=[member_id])).status_code == 404


def test_own_downline_opens_at_every_depth(alice_client):
    for member_id in ("ALICE", "BOB", "CAROL"):
        assert alice_client.get(reverse("web:team_member", args=[member_id])).status_code == 200
    response = alice_client.get(reverse("web:tree_children", args=["BOB"]))
    assert response.status_code == 200
    assert "CAROL" in response.text


def test_the_own_customer_opens(alice_client):
    response = alice_client.get(reverse("web:customer", args=["CUST-A"]))
    assert response.status_code == 200
    assert "Cora Buyer" in response.text


def test_search_never_finds_members_outside_the_downline(alice_client):
    response = alice_client.get(reverse("web:team_search"), {"q": "Dave"})
    assert response.status_code == 200
    assert "DAVE" not in response.text
    response = alice_client.get(reverse("web:team_search"), {"q": "Root"})
    assert "ROOT" not in response.text
    response = alice_client.get(reverse("web:team_search"), {"q": "carol"})
    assert "CAROL" in response.text


def test_levels_list_only_the_own_downline(alice_client):
    response = alice_client.get(reverse("web:team_levels"), {"level": 1})
    assert "BOB" in response.text
    assert "DAVE" not in response.text
    response = alice_client.get(reverse("web:team_levels"), {"level": 2})
    assert "CAROL" in response.text
    assert "DAVE" not in response.text


def test_a_login_without_membership_gets_404_on_member_pages(client, team):
    client.force_login(team.staff_user)
    # staff must pass 2FA first: every page sends them there
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:two_factor"))


def test_console_is_404_for_a_distributor(alice_client):
    assert alice_client.get(reverse("web:console")).status_code == 404


def test_console_is_404_for_the_anonymous_after_login_redirect(client, db):
    response = client.get(reverse("web:console"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
