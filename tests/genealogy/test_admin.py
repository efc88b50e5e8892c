"""The network in the admin is for looking things up: lists, search, filters, read-only pages
with a link to the console. Every change (enrol, move, status, upgrade, reversal, contact
details) is made in the console; those flows are tested in ``tests/web/test_console_operations.py``
and the refusals of the admin in ``tests/web/test_admin_read_only.py``."""

from __future__ import annotations

import pytest
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


def test_a_member_page_is_read_only_and_links_to_the_console(admin_client, tree):
    member = tree["A1"]
    page = admin_client.get(url("change", member))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="name"' not in html
    assert 'name="_save"' not in html
    assert reverse("web:console_distributor", args=["A1"]) in html
    assert admin_client.get(url("add")).status_code == 403


def test_structure_events_are_listed_read_only(admin_client, tree):
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
    assert (
        admin_client.post(
            changelist, {"action": "reverse_events", "_selected_action": [event.pk]}
        ).status_code
        == 200
    )
    assert not StructureEvent.objects.filter(reverses=event).exists()  # no such admin action


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
