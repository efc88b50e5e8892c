"""Points from outbox events, badges as Open Badges 2.0, the recognition wall and report."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from downline.contests.actions import (
    do_award_badge,
    do_define_badge,
    do_revoke_badge,
    do_set_level,
    do_set_member_settings,
    do_set_point_rule,
)
from downline.contests.activity import consume_events
from downline.contests.models import ActivityCount, BadgeAssertion, HeldCertificate, PointEntry
from downline.contests.openbadges import identity
from downline.contests.selectors import points_summary, recognition_wall
from downline.core.events import record_event
from downline.core.models import Event
from downline.orders.actions import do_place_order

from .conftest import at, drain


@pytest.fixture
def rules(team):
    do_set_point_rule("lesson_completed", 10)
    do_set_point_rule("webinar_attended", 20)
    do_set_point_rule("customer_order", 5)
    do_set_level(0, {"en": "Starter"})
    do_set_level(30, {"en": "Bronze"})
    return do_define_badge(
        "learner",
        name={"en": "Keen learner"},
        description={"en": "Two lessons completed"},
        criterion="lessons",
        threshold=2,
    )


@pytest.mark.django_db(transaction=True)  # events become visible to consumers on commit
def test_points_and_badges_from_events_once_each(team, rules):
    record_event(
        "lesson.completed", {"lesson": 1, "lesson_key": "a", "course": "c"}, member_id=team.bob.pk
    )
    record_event(
        "lesson.completed", {"lesson": 2, "lesson_key": "b", "course": "c"}, member_id=team.bob.pk
    )
    record_event("webinar.attended", {"webinar": 1}, member_id=team.bob.pk)
    do_place_order(team.cust_b, [(team.product, 1)], "EUR", paid_at=at(2026, 3, 4))
    do_place_order(team.bob, [(team.product, 1)], "EUR", paid_at=at(2026, 3, 4))  # own: no points
    drain(5)
    consume_events()  # its own badge.awarded event; nothing is counted twice
    summary = points_summary(team.bob.pk)
    assert summary["total"] == 10 + 10 + 20 + 5
    assert summary["level"].name == {"en": "Bronze"}
    assert [a.badge.slug for a in summary["badges"]] == ["learner"]
    assert Event.objects.filter(kind="badge.awarded", member_id=team.bob.pk).count() == 1
    assert ActivityCount.objects.get(member=team.bob, kind="lesson").count == 2


def test_no_points_or_badges_for_recruiting(team):
    with pytest.raises(ValidationError, match="never for recruiting"):
        do_set_point_rule("new_recruit", 100)
    with pytest.raises(ValidationError, match="never recruiting"):
        do_define_badge(
            "recruiter", name={"en": "R"}, description={}, criterion="recruits", threshold=1
        )


def test_open_badges_documents(team, rules, client):
    team.bob.email = "bob@example.com"
    team.bob.save(update_fields=["email"])
    assertion = do_award_badge(team.bob.pk, rules)
    issuer = client.get("/badges/issuer.json").json()
    assert issuer["@context"] == "https://w3id.org/openbadges/v2"
    assert issuer["type"] == "Issuer"
    assert issuer["revocationList"].endswith("/badges/revocations.json")
    badge = client.get("/badges/classes/learner.json").json()
    assert badge["type"] == "BadgeClass"
    assert badge["issuer"] == issuer["id"]
    assert badge["image"].endswith("/badges/classes/learner.svg")
    assert badge["criteria"]["narrative"]
    assert client.get("/badges/classes/learner.svg")["Content-Type"] == "image/svg+xml"
    document = client.get(f"/badges/assertions/{assertion.uid}.json").json()
    assert document["type"] == "Assertion"
    assert document["verification"] == {"type": "hosted"}
    assert document["badge"] == badge["id"]
    assert document["id"].endswith(f"{assertion.uid}.json")
    recipient = document["recipient"]
    assert recipient["hashed"] is True
    assert recipient["type"] == "email"
    assert recipient["identity"] == identity("bob@example.com", recipient["salt"])
    assert "bob@example.com" not in json.dumps(document)
    do_revoke_badge(assertion, reason="awarded by mistake")
    response = client.get(f"/badges/assertions/{assertion.uid}.json")
    assert response.status_code == 410
    assert response.json()["revoked"] is True
    revoked = client.get("/badges/revocations.json").json()
    assert revoked["type"] == "RevocationList"
    assert revoked["revokedAssertions"][0]["id"] == document["id"]
    assert BadgeAssertion.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # events become visible to consumers on commit
def test_recognition_wall_shows_opted_in_members_only(team, alice_client):
    record_event(
        "rank.advanced",
        {"member": "BOB", "rank": "Leader", "period": "2026-02"},
        member_id=team.bob.pk,
    )
    record_event(
        "rank.advanced",
        {"member": "DAVE", "rank": "Leader", "period": "2026-02"},
        member_id=team.dave.pk,
    )
    record_event(
        "certificate.earned",
        {"certificate": "X1", "key": "compliance-basics"},
        member_id=team.bob.pk,
    )
    drain(3)
    assert HeldCertificate.objects.filter(member=team.bob, key="compliance-basics").exists()
    assert recognition_wall() == []
    do_set_member_settings(team.bob, board_anonymous=False, recognition_opt_in=True)
    do_set_member_settings(team.alice, board_anonymous=False, recognition_opt_in=True)
    kinds = sorted((item.kind, item.name) for item in recognition_wall())
    assert kinds == [
        ("anniversary", "Alice Adams"),
        ("anniversary", "Bob Brown"),
        ("certificate", "Bob Brown"),
        ("rank", "Bob Brown"),
    ]
    page = alice_client.get("/contests/recognition/").content.decode()
    assert "Bob Brown advanced to Leader" in page
    assert "Dave Dodd" not in page
    assert "Alice Adams celebrates 1 year with us" in page


@pytest.mark.django_db(transaction=True)  # events become visible to consumers on commit
def test_certificate_eligibility(team):
    from downline.contests.actions import do_publish_contest, do_refresh_contest, do_upload_contest
    from downline.contests.models import Standing

    from .conftest import CONTEST

    contest = do_publish_contest(
        do_upload_contest(
            CONTEST.replace("{good_standing: true}", "{certified: compliance-basics}")
        )
    )
    do_place_order(team.cust_b, [(team.product, 1)], "EUR", paid_at=at(2026, 3, 4))
    do_place_order(team.cust_d, [(team.product, 1)], "EUR", paid_at=at(2026, 3, 4))
    record_event(
        "certificate.earned",
        {"certificate": "X1", "key": "compliance-basics"},
        member_id=team.bob.pk,
    )
    drain(3)
    do_refresh_contest(contest)
    assert list(
        Standing.objects.filter(contest=contest).values_list("member__member_id", flat=True)
    ) == ["BOB"]
    record_event(
        "certificate.revoked",
        {"certificate": "X1", "key": "compliance-basics"},
        member_id=team.bob.pk,
    )
    drain(1)
    do_refresh_contest(contest)
    assert not Standing.objects.filter(contest=contest).exists()


@pytest.mark.django_db(transaction=True)  # events become visible to consumers on commit
def test_points_entries_are_keyed_by_event(team, rules):
    record_event("lesson.completed", {"lesson": 1}, member_id=team.bob.pk)
    drain(1)
    assert (
        PointEntry.objects.filter(member=team.bob)
        .values_list("key", flat=True)
        .get()
        .startswith("event:")
    )
