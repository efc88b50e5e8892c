"""Radar actions and pages, mentors and the sponsor-change workflow, and who may do what."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from downline.core.models import Event
from downline.genealogy.models import Distributor
from downline.growth import notify, radar
from downline.growth.actions import (
    do_assign_mentor,
    do_build_radar,
    do_decide_sponsor_change,
    do_request_sponsor_change,
    do_send_message,
)
from downline.growth.models import FollowUp, Message, Notification, RadarItem, SponsorChangeRequest
from smtp_server import body_text

from .conftest import TODAY


def _item(net, member, reason):
    return RadarItem.objects.get(sponsor_id=net.sam.pk, member_id=member.pk, reason=reason)


@pytest.mark.django_db(transaction=True)  # delivery reads committed events
def test_sponsor_messages_a_newcomer_from_the_radar(settled, client, smtp_server):
    net = settled
    do_build_radar(TODAY)
    item = _item(net, net.newbie, radar.NEWCOMER_NO_ORDER)
    client.force_login(net.sam_user)
    page = client.get("/growth/radar/").content.decode()
    assert "Day 4 since joining and no first order yet." in page
    assert "Hi Nina, welcome aboard!" in page  # the company's template, first name filled in
    assert "Kim Kid" not in page  # OTTO's team never shows
    response = client.post(
        f"/growth/radar/{item.pk}/message/",
        {"text": "Hi Nina, shall we pick your first tea?"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.action) == ("done", "message")
    message = Message.objects.get()
    assert Event.objects.filter(kind="message.sent", member_id=net.newbie.pk).exists()
    note = Notification.objects.get(kind="message", recipient_id=net.newbie.pk)
    assert note.params["message"] == message.pk
    assert note.emailed_at is not None
    (mail,) = smtp_server.to("newbie@example.com")
    assert "shall we pick your first tea?" in body_text(mail)
    client.force_login(net.newbie_user)
    assert "shall we pick your first tea?" in client.get("/growth/notifications/").content.decode()


@pytest.mark.django_db
def test_a_blocked_claim_is_not_sent(settled):
    pytest.importorskip("downline.compliance.claims")
    do_build_radar(TODAY)
    item = _item(settled, settled.newbie, radar.NEWCOMER_NO_ORDER)
    with pytest.raises(ValidationError):
        do_send_message(
            settled.sam,
            settled.newbie,
            "Our tea cures cancer and you will earn 10000 EUR per month!",
            item=item,
        )
    assert not Message.objects.exists()
    assert not Event.objects.filter(kind="message.sent").exists()


@pytest.mark.django_db
def test_followup_invite_and_dismiss(settled, client):
    net = settled
    do_build_radar(TODAY)
    client.force_login(net.sam_user)
    inact = _item(net, net.inact, radar.INACTIVE)
    client.post(f"/growth/radar/{inact.pk}/followup/", {"due_on": "2026-10-18", "note": "call"})
    follow = FollowUp.objects.get()
    assert (follow.member_id, str(follow.due_on)) == (net.inact.pk, "2026-10-18")
    close = _item(net, net.close, radar.CLOSE_TO_RANK)
    client.post(
        f"/growth/radar/{close.pk}/invite/",
        {"kind": "webinar", "url": "https://example.com/webinar/1", "text": "Join us tonight"},
    )
    close.refresh_from_db()
    assert close.action == "invite"
    assert close.action_params["url"].endswith("/webinar/1")
    assert "https://example.com/webinar/1" in Message.objects.get(recipient=net.close).text
    drop = _item(net, net.drop, radar.RANK_DROPPED)
    client.post(f"/growth/radar/{drop.pk}/dismiss/")
    drop.refresh_from_db()
    assert drop.state == "dismissed"
    page = client.get("/growth/radar/").content.decode()
    assert "Follow-up planned for 2026-10-18." in page
    assert 'id="followups"' in page
    assert "Ines Idle: call" in page


@pytest.mark.django_db
def test_nobody_acts_beyond_their_own_team(settled, client):
    net = settled
    do_build_radar(TODAY)
    item = _item(net, net.newbie, radar.NEWCOMER_NO_ORDER)
    client.force_login(net.otto_user)
    assert client.post(f"/growth/radar/{item.pk}/message/", {"text": "hi"}).status_code == 404
    assert "Nina" not in client.get("/growth/radar/").content.decode()
    with pytest.raises(PermissionDenied):
        do_send_message(net.otto, net.newbie, "hello")
    with pytest.raises(PermissionDenied):
        do_assign_mentor(net.newbie, net.otto, leader=net.otto)
    with pytest.raises(PermissionDenied):
        do_request_sponsor_change(net.newbie, net.otto, requester=net.otto, reason="mine")
    item.refresh_from_db()
    assert item.state == "open"


@pytest.mark.django_db(transaction=True)
def test_upline_leader_assigns_a_mentor_without_changing_the_genealogy(net):
    assignment = do_assign_mentor(net.inact, net.close, leader=net.sam, note="Sam is away")
    assert Distributor.objects.get(pk=net.inact.pk).sponsor_id == net.sam.pk
    assert Event.objects.filter(kind="mentor.assigned", member_id=net.inact.pk).exists()
    notify.consume_events()
    assert Notification.objects.filter(kind="mentor_assigned", recipient_id=net.inact.pk).exists()
    # a new assignment ends the previous one
    do_assign_mentor(net.inact, net.drop, leader=net.sam)
    assignment.refresh_from_db()
    assert assignment.ended_at is not None


def _staff(username, role="support"):
    from downline.accounts.actions import do_create_user

    user = do_create_user(
        username, password="x-long-password-1", email=f"{username}@e.com", staff=True
    )
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.mark.django_db
def test_sponsor_change_workflow(net, settings):
    settings.DOWNLINE_SPONSOR_CHANGE_MIN_INACTIVE_DAYS = 180
    # SAM (the old sponsor) is not inactive for 180 days (joined in January, today October:
    # 283 days without an order... so give SAM an order to make them active)
    from downline.orders.actions import do_place_order

    do_place_order(net.sam, [(net.product, 1)], "EUR")
    with pytest.raises(ValidationError) as refused:
        do_request_sponsor_change(net.close, net.otto, requester=net.close, reason="moved city")
    assert "180" in " ".join(refused.value.messages)
    # the old sponsor's written consent meets the policy
    request = do_request_sponsor_change(
        net.close, net.otto, requester=net.close, reason="moved city", consent=True
    )
    assert request.state == "pending"
    assert request.requester_role == "member"
    assert {c["key"]: c["ok"] for c in request.checks}["old_sponsor_consent"]
    # a member who joined 3 days ago cannot be moved except by the company
    with pytest.raises(ValidationError):
        do_request_sponsor_change(net.newbie, net.otto, requester=net.sam, reason="x", consent=True)
    staff = _staff("carer")
    by_staff = do_request_sponsor_change(
        net.newbie, net.otto, user=staff, reason="company decision", consent=True
    )
    assert by_staff.requester_role == "staff"
    # a distributor cannot decide; staff approve; the move is genealogy's own
    with pytest.raises(PermissionDenied):
        do_decide_sponsor_change(request, user=net.sam_user, approve=True)
    decided = do_decide_sponsor_change(request, user=staff, approve=True, note="ok")
    assert decided.state == "approved"
    assert decided.decided_by == staff
    assert Distributor.objects.get(pk=net.close.pk).sponsor_id == net.otto.pk
    event = Event.objects.get(kind="sponsor.changed")
    assert event.payload["request"] == request.pk
    assert event.member_id == net.close.pk
    from downline.genealogy.models import StructureEvent

    assert StructureEvent.objects.filter(
        distributor=net.close, kind="sponsor_changed", actor=staff
    ).exists()
    with pytest.raises(ValidationError):
        do_decide_sponsor_change(request, user=staff, approve=False)
    # the requester cannot approve their own request
    with pytest.raises(ValidationError):
        do_decide_sponsor_change(by_staff, user=staff, approve=True)
    other = _staff("second")
    rejected = do_decide_sponsor_change(by_staff, user=other, approve=False, note="no")
    assert rejected.state == "rejected"
    assert SponsorChangeRequest.objects.filter(state="pending").count() == 0
    # a move the network rules refuse is recorded as failed, with genealogy's reason
    blocked = do_request_sponsor_change(
        net.inact, net.otto, requester=net.inact, reason="x", consent=True
    )
    failed = do_decide_sponsor_change(blocked, user=staff, approve=True)
    assert failed.state == "failed"
    assert "placement subtree" in failed.decision_note
    assert Distributor.objects.get(pk=net.inact.pk).sponsor_id == net.sam.pk


@pytest.mark.django_db
def test_console_pages_need_the_growth_capability(net, client):
    from .conftest import verified_staff

    do_request_sponsor_change(
        net.close, net.otto, requester=net.close, reason="moved city", consent=True
    )
    verified_staff(client, "finance1", "finance")
    assert client.get("/console/growth/sponsor-changes/").status_code == 403
    client.logout()
    verified_staff(client, "support1", "support")
    page = client.get("/console/growth/sponsor-changes/").content.decode()
    assert "moved city" in page
    assert "Old sponsor&#x27;s written consent" in page
    request = SponsorChangeRequest.objects.get()
    client.post(
        "/console/growth/sponsor-changes/",
        {"request": request.pk, "decision": "approve", "note": "fine"},
    )
    request.refresh_from_db()
    assert request.state == "approved"
    client.post("/console/growth/mentors/", {"member_id": "DROP", "mentor_id": "CLOSE"})
    assert "Carl Close" in client.get("/console/growth/mentors/").content.decode()
    assert client.get("/console/growth/notifications/").status_code == 200
    client.logout()
    client.force_login(net.sam_user)
    assert client.get("/console/growth/mentors/").status_code == 404
