"""The console: upload with errors shown, publish, freeze, points criteria, the PDF report."""

from __future__ import annotations

from downline.contests.models import Contest, FrozenResult, PointRule
from downline.orders.actions import do_place_order

from .conftest import CONTEST, at, verified_staff


def test_console_flow(team, client):
    verified_staff(client, "boss", "admin")
    page = client.post(
        "/console/contests/", {"source": CONTEST.replace("customer_volume", "new_distributors")}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert (
        "contest.yaml:3: metric: refused: the metric new_distributors rewards recruiting alone"
        in text
    )
    assert not Contest.objects.exists()
    early = CONTEST.replace("to: 2026-03-31", "to: 2026-03-10")  # over by the 15th
    response = client.post("/console/contests/", {"source": early})
    assert response.status_code == 302
    contest = Contest.objects.get()
    assert contest.status == "draft"
    client.post(f"/console/contests/{contest.slug}/publish/")
    contest.refresh_from_db()
    assert contest.status == "published"
    do_place_order(team.cust_a1, [(team.product, 5)], "EUR", paid_at=at(2026, 3, 2))
    client.post(f"/console/contests/{contest.slug}/freeze/")
    contest.refresh_from_db()
    assert contest.status == "finished"
    assert FrozenResult.objects.get(contest=contest).member == team.alice
    detail = client.get(f"/console/contests/{contest.slug}/").content.decode()
    assert "frozen-results" in detail
    assert "freeze" in detail
    client.post(
        "/console/contests/points/",
        {"what": "rule", "key": "quiz_passed", "points": "15", "active": "on"},
    )
    assert PointRule.objects.get(key="quiz_passed").points == 15
    pdf = client.get("/console/contests/recognition.pdf?month=2026-03")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_console_needs_the_contests_capability(team, client):
    verified_staff(client, "helper", "support")
    assert client.get("/console/contests/").status_code == 403
    client.force_login(team.alice_user)
    assert client.get("/console/contests/").status_code == 404
