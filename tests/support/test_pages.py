"""Every support page answers, in the reader's language, and only to whom it should."""

from __future__ import annotations

import pytest

from downline.support.evidence import lines_of
from downline.support.selectors import statement_line_ids

from .conftest import verified_staff


def test_distributor_pages(client, settled):
    client.force_login(settled.team.alice_user)
    line = lines_of(settled.team.alice, settled.august)[0][0]
    for url in (
        "/support/",
        "/support/new/",
        "/support/kb/",
        "/support/kb/?q=provision",
        "/support/kb/plan-ranks/",
        "/support/disputes/lines/",
        "/support/disputes/lines/?period=2026-08",
        f"/support/disputes/new/?line={line}",
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        assert response.status_code == 200, url
    page = client.get("/support/disputes/lines/?period=2026-08")
    assert f"/support/disputes/new/?line={line}".encode() in page.content


def test_plan_article_page_in_russian(client, settled):
    client.force_login(settled.team.alice_user)
    client.cookies["django_language"] = "ru"
    response = client.get("/support/kb/plan-bonuses/")
    assert response.status_code == 200
    assert "уровень 1: 10%" in response.content.decode()


def test_statement_line_ids_follow_run_lines(settled):
    from downline.compensation.selectors import run_lines

    ids = statement_line_ids(settled.august, settled.team.alice)
    assert len(ids) == len(run_lines(settled.august, settled.team.alice)) == 2


def test_others_lines_and_pages_are_not_found(client, settled):
    client.force_login(settled.team.dave_user)
    line = lines_of(settled.team.alice, settled.august)[0][0]
    assert client.get(f"/support/disputes/new/?line={line}").status_code == 404
    assert client.get("/support/disputes/new/").status_code == 404


@pytest.mark.parametrize(
    ("role", "helpdesk", "disputes"),
    [("support", 200, 403), ("finance", 403, 200), ("admin", 200, 200)],
)
def test_console_capabilities(client, team, role, helpdesk, disputes):
    verified_staff(client, f"user-{role}", role)
    assert client.get("/console/support/").status_code == helpdesk
    assert client.get("/console/support/sla/").status_code == helpdesk
    assert client.get("/console/support/disputes/").status_code == disputes


def test_console_is_hidden_from_members(client, team):
    client.force_login(team.alice_user)
    assert client.get("/console/support/").status_code == 404


def test_console_edits_an_article_and_search_follows(client, team):
    from downline.support.models import Article
    from downline.support.selectors import search

    verified_staff(client, "writer", "support")
    assert client.get("/console/support/kb/").status_code == 200
    page = client.get("/console/support/kb/payouts/?language=de")
    assert page.status_code == 200
    version = Article.objects.get(key="payouts").version
    response = client.post(
        "/console/support/kb/payouts/",
        {
            "language": "de",
            "title": "Auszahlungen",
            "body": "Auszahlungen kommen freitags per Überweisung.",
            "status": "published",
        },
    )
    assert response.status_code == 302
    assert Article.objects.get(key="payouts").version == version + 1
    assert "payouts" in [a.key for a, _t in search("Überweisungen", "de")]


def test_dashboard_card_counts_open_tickets(team):
    from django.template.loader import render_to_string

    from downline.support.actions import do_open_ticket

    do_open_ticket(team.alice, subject="Question", body="Hello")
    html = render_to_string("support/_dashboard.html", {"member": team.alice})
    assert "1 open ticket" in html
