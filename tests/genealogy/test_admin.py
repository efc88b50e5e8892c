"""The operator screens render for a superuser and make every change through the actions."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from downline.genealogy.actions import do_change_sponsor
from downline.genealogy.models import Distributor, StructureEvent


@pytest.fixture
def tree(net):
    net.enroll("R", name="Root Company", email="root@example.com")
    net.enroll("A", "R", name="Anna Alpha", email="anna@example.com", country="DE")
    net.enroll("B", "R", name="Bert Beta", country="PL", language="pl")
    net.enroll("A1", "A", name="Alex One")
    net.enroll("C", "A", kind="customer", name="Carla Customer")
    return net


def url(name: str, member: Distributor | None = None) -> str:
    args = [member.pk] if member is not None else []
    return reverse(f"admin:genealogy_distributor_{name}", args=args)


def test_changelist_with_search_and_filters(admin_client, tree):
    page = admin_client.get(url("changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Anna Alpha" in html
    assert f'<a href="{url("change", tree["R"])}">R</a> · L' in html  # A's placement
    assert admin_client.get(url("changelist"), {"q": "anna@"}).context["cl"].result_count == 1
    filtered = admin_client.get(url("changelist"), {"kind__exact": "customer"})
    assert [m.member_id for m in filtered.context["cl"].result_list] == ["C"]
    by_country = admin_client.get(url("changelist"), {"country": "PL", "status__exact": "active"})
    assert [m.member_id for m in by_country.context["cl"].result_list] == ["B"]


def test_change_form_edits_details_but_not_the_network(admin_client, tree):
    member = tree["A1"]
    page = admin_client.get(url("change", member))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="sponsor"' not in html
    assert 'name="placement_parent"' not in html
    for name in ("change_sponsor", "change_placement", "move", "change_status"):
        assert url(name, member) in html
    response = admin_client.post(
        url("change", member),
        {
            "name": "Alex Renamed",
            "email": "alex@example.com",
            "country": "AT",
            "language": "de",
            "currency": "EUR",
            "user": "",
            "structure_events-TOTAL_FORMS": "1",
            "structure_events-INITIAL_FORMS": "1",
            "structure_events-MIN_NUM_FORMS": "0",
            "structure_events-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.context and response.context.get("errors")
    member.refresh_from_db()
    assert (member.name, member.country, member.language, member.sponsor.member_id) == (
        "Alex Renamed",
        "AT",
        "de",
        "A",
    )


def test_adding_a_member_enrolls_them(admin_client, admin_user, tree):
    assert admin_client.get(url("add")).status_code == 200
    response = admin_client.post(
        url("add"),
        {
            "member_id": "N1",
            "kind": "distributor",
            "name": "New One",
            "email": "",
            "sponsor": tree["B"].pk,
            "joined_on": "2026-02-01",
            "status": "active",
            "country": "DE",
            "language": "en",
            "currency": "EUR",
            "placement_mode": "",
            "placement_parent": "",
            "position": "",
            "reason": "web signup",
        },
    )
    member = Distributor.objects.get(member_id="N1")
    assert response.status_code == 302
    assert response["Location"] == url("change", member)
    assert tree.slot("N1") == ("B", 1)
    event = StructureEvent.objects.get(distributor=member)
    assert (event.kind, event.actor, event.reason) == ("enrolled", admin_user, "web signup")


def test_adding_shows_the_refusal_on_the_form(admin_client, tree):
    response = admin_client.post(
        url("add"),
        {
            "member_id": "N2",
            "kind": "customer",
            "sponsor": tree["C"].pk,
            "joined_on": "2026-02-01",
            "status": "active",
            "language": "en",
            "currency": "EUR",
        },
    )
    assert response.status_code == 200
    assert "C is a retail customer and cannot sponsor N2" in response.content.decode()
    assert not Distributor.objects.filter(member_id="N2").exists()


def test_the_move_forms_render(admin_client, tree):
    for name in ("change_sponsor", "change_placement", "move", "change_status"):
        page = admin_client.get(url(name, tree["A1"]))
        assert page.status_code == 200, name
        assert "Now:" in page.content.decode()
    assert admin_client.get(url("upgrade", tree["C"])).status_code == 200


def test_sponsor_change_form_runs_the_action_with_the_reason(admin_client, admin_user, tree):
    response = admin_client.post(
        url("change_sponsor", tree["A1"]),
        {
            "new_sponsor": tree["R"].pk,
            "reason": "sponsor retired",
            "effective_at_0": "",
            "effective_at_1": "",
        },
    )
    assert response.status_code == 302
    event = StructureEvent.objects.get(kind="sponsor_changed")
    assert (event.new_sponsor.member_id, event.reason, event.actor) == (
        "R",
        "sponsor retired",
        admin_user,
    )


def test_move_form_shows_a_refused_change(admin_client, tree):
    response = admin_client.post(
        url("change_sponsor", tree["A"]),
        {
            "new_sponsor": tree["A1"].pk,
            "reason": "x",
        },
    )
    assert response.status_code == 200
    assert (
        "A1 is in the enrollment downline of A; A cannot be moved under their own downline."
        in response.content.decode()
    )
    response = admin_client.post(url("change_status", tree["A"]), {"status": "terminated"})
    assert response.status_code == 200
    assert tree["A"].status == "active"


def test_placement_move_status_and_upgrade_forms(admin_client, tree):
    assert (
        admin_client.post(
            url("change_placement", tree["A1"]),
            {
                "new_parent": tree["A"].pk,
                "position": "2",
                "placement_mode": "",
                "reason": "right",
            },
        ).status_code
        == 302
    )
    assert tree.slot("A1") == ("A", 2)
    assert (
        admin_client.post(
            url("move", tree["A1"]),
            {
                "new_sponsor": tree["B"].pk,
                "placement_parent": "",
                "position": "",
                "placement_mode": "",
                "reason": "team change",
            },
        ).status_code
        == 302
    )
    assert tree.slot("A1") == ("B", 1)
    assert (
        admin_client.post(
            url("change_status", tree["B"]),
            {
                "status": "suspended",
                "reason": "review",
            },
        ).status_code
        == 302
    )
    assert tree["B"].status == "suspended"
    assert (
        admin_client.post(
            url("upgrade", tree["C"]),
            {
                "placement_mode": "extreme_right",
                "placement_parent": "",
                "position": "",
                "reason": "starter kit",
            },
        ).status_code
        == 302
    )
    assert tree.slot("C") == ("A", 2)


def test_bulk_status_change_asks_for_a_reason(admin_client, tree):
    selected = [tree["A1"].pk, tree["B"].pk]
    confirm = admin_client.post(
        url("changelist"),
        {
            "action": "change_status_of_selected",
            ACTION_CHECKBOX_NAME: selected,
        },
    )
    assert confirm.status_code == 200
    assert "2 items selected" in confirm.content.decode()
    done = admin_client.post(
        url("changelist"),
        {
            "action": "change_status_of_selected",
            ACTION_CHECKBOX_NAME: selected,
            "apply": "1",
            "status": "suspended",
            "reason": "audit",
        },
    )
    assert done.status_code == 302
    assert {tree["A1"].status, tree["B"].status} == {"suspended"}


def test_structure_events_are_read_only_and_reversible(admin_client, tree):
    event = do_change_sponsor("A1", "R", reason="x", effective_at=tree.tick())
    changelist = reverse("admin:genealogy_structureevent_changelist")
    page = admin_client.get(changelist, {"kind__exact": "sponsor_changed"})
    assert page.status_code == 200
    assert [e.pk for e in page.context["cl"].result_list] == [event.pk]
    a_link = f'<a href="{url("change", tree["A"])}">A</a>'
    r_link = f'<a href="{url("change", tree["R"])}">R</a>'
    assert f"sponsor: {a_link} → {r_link}" in page.content.decode()
    assert admin_client.get(changelist, {"effective_at__year": "2026"}).status_code == 200
    detail = admin_client.get(reverse("admin:genealogy_structureevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert "Save" not in detail.content.decode()
    assert admin_client.get(reverse("admin:genealogy_structureevent_add")).status_code == 403
    confirm = admin_client.post(
        changelist,
        {
            "action": "reverse_events",
            ACTION_CHECKBOX_NAME: [event.pk],
        },
    )
    assert confirm.status_code == 200
    done = admin_client.post(
        changelist,
        {
            "action": "reverse_events",
            ACTION_CHECKBOX_NAME: [event.pk],
            "apply": "1",
            "reason": "entered by mistake",
        },
    )
    assert done.status_code == 302
    assert StructureEvent.objects.get(reverses=event).reason == "entered by mistake"
    assert tree["A1"].sponsor.member_id == "A"


def test_member_autocomplete_searches_members(admin_client, tree):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "genealogy",
            "model_name": "distributor",
            "field_name": "sponsor",
            "term": "Bert",
        },
    )
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == ["B Bert Beta"]
