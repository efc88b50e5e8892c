"""Members through the API: enroll and move with the console's rules and audit; cursor pages,
filters and field selection; the document and its reference page."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.staticfiles import finders

from downline.api.models import ApiWrite
from downline.genealogy.models import Distributor, StructureEvent

from .conftest import add


def test_enroll_places_the_member_and_audits_the_write(net, staff_api, staff):
    response = staff_api.post(
        "/api/v1/members",
        {
            "member_id": "N1",
            "sponsor": "C",
            "joined_on": "2024-02-01",
            "name": "Nina",
            "placement_parent": "C",
            "position": 2,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["sponsor"], body["placement_parent"], body["placement_position"]) == ("C", "C", 2)
    event = StructureEvent.objects.get(distributor__member_id="N1")
    assert event.actor == staff
    write = ApiWrite.objects.get()
    assert (write.operation, write.target, write.key.name) == ("members.enroll", "N1", "shop")


def test_an_unknown_sponsor_is_named(net, staff_api):
    response = staff_api.post(
        "/api/v1/members", {"member_id": "N1", "sponsor": "ZZ", "joined_on": "2024-02-01"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.sponsor"
    assert not Distributor.objects.filter(member_id="N1").exists()


def test_a_move_breaking_a_rule_is_a_conflict_and_writes_nothing(net, staff_api):
    # A under her own downline C: a cycle
    response = staff_api.post("/api/v1/members/A/move", {"sponsor": "C", "reason": "test"})
    assert response.status_code in (409, 422)
    assert response["Content-Type"] == "application/problem+json"
    assert "A" in response.json()["detail"]
    assert Distributor.objects.get(member_id="A").sponsor.member_id == "R"
    assert ApiWrite.objects.count() == 0


def test_a_move_records_events_and_the_key(net, staff_api):
    response = staff_api.post(
        "/api/v1/members/C/move",
        {"sponsor": "B", "placement_parent": "B", "position": 1, "reason": "support ticket 42"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["sponsor"] == "B"
    kinds = set(
        StructureEvent.objects.filter(
            distributor__member_id="C", reason__contains="42"
        ).values_list("kind", flat=True)
    )
    assert kinds == {"sponsor_changed", "placement_changed"}
    assert ApiWrite.objects.get().operation == "members.move"


def test_cursor_pages_cover_every_member_once(net, staff_api):
    for n in range(7):
        add(f"X{n}", net["B"], None, kind=Distributor.Kind.CUSTOMER)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = staff_api.get("/api/v1/members", **params).json()
        seen += [item["member_id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert sorted(seen) == sorted(Distributor.objects.values_list("member_id", flat=True))
    assert len(seen) == len(set(seen)) == 12


def test_filters_and_field_selection(net, staff_api):
    body = staff_api.get("/api/v1/members", sponsor="R", fields="member_id,sponsor").json()
    assert body["items"] == [
        {"member_id": "A", "sponsor": "R"},
        {"member_id": "B", "sponsor": "R"},
    ]
    bad = staff_api.get("/api/v1/members", fields="member_id,password")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.fields"
    assert "password" in bad.json()["detail"]
    forged = staff_api.get("/api/v1/members", cursor="not-a-cursor")
    assert forged.status_code == 422
    assert forged.json()["errors"][0]["field"] == "query.cursor"


def test_the_document_and_its_reference_page_need_no_other_host(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "Problem" in document["components"]["schemas"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(s.startswith("/") for s in sources), sources
    bundle = next(s for s in sources if s.endswith("swagger-ui-bundle.js"))
    # served from the project's static files (WhiteNoise in ``serve``)
    assert finders.find(
        bundle.removeprefix(settings.STATIC_URL).lstrip("/").removeprefix("static/")
    )
