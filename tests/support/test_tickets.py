"""The help desk: tickets, replies, the SLA clock with its pauses, breaches, attachments and
who may see what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from downline.core.models import Event
from downline.support import sla
from downline.support.actions import (
    SupportError,
    do_mark_breaches,
    do_member_reply,
    do_open_ticket,
    do_rate_ticket,
    do_set_status,
    do_staff_reply,
)
from downline.support.models import Ticket, TicketMessage

from .conftest import verified_staff

BERLIN = ZoneInfo("Europe/Berlin")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def agent(db):
    from downline.accounts.actions import do_create_user

    return do_create_user(
        "agent", password="a-long-secret-phrase", email="agent@example.com", staff=True
    )


def _open(team, at: datetime, **kwargs) -> Ticket:
    with time_machine.travel(at, tick=False):
        return do_open_ticket(
            team.alice, subject="Where is my payout?", body="It did not come.", **kwargs
        )


def test_open_ticket_sets_the_sla_clock_and_records_the_event(team):
    ticket = _open(team, local(2026, 3, 10, 10))  # Tuesday 10:00, normal: 8 h / 40 h
    assert ticket.status == Ticket.Status.NEW
    assert ticket.first_response_due == local(2026, 3, 11, 10)
    assert ticket.resolution_due == local(2026, 3, 17, 10)
    event = Event.objects.get(kind="ticket.opened")
    assert event.payload["ticket_id"] == ticket.pk
    assert event.member_id == team.alice.pk


def test_internal_note_is_not_a_first_response_public_reply_is(team, agent):
    ticket = _open(team, local(2026, 3, 10, 10))
    with time_machine.travel(local(2026, 3, 10, 11), tick=False):
        do_staff_reply(ticket, agent, "checking with finance", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert not Event.objects.filter(kind="ticket.answered").exists()
    with time_machine.travel(local(2026, 3, 10, 12), tick=False):
        do_staff_reply(ticket, agent, "Your payout goes out on Friday.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == local(2026, 3, 10, 12)
    assert sla.first_response_seconds(ticket) == 2 * 3600
    assert Event.objects.get(kind="ticket.answered").payload["first"] is True


def test_waiting_on_member_pauses_the_clock_and_a_web_reply_restarts_it(team, agent):
    ticket = _open(team, local(2026, 3, 10, 10))
    with time_machine.travel(local(2026, 3, 10, 12), tick=False):
        do_staff_reply(ticket, agent, "Which order?", wait_for_member=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    assert ticket.paused_since is not None
    due_before = ticket.resolution_due
    # the member answers two business days (16 business hours) later: Thursday 12:00
    with time_machine.travel(local(2026, 3, 12, 12), tick=False):
        do_member_reply(ticket, team.alice, "Order DL1")
        ticket.refresh_from_db()
        assert sla.status(ticket, local(2026, 3, 12, 12)) in ("ok", "due_soon")
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.paused_since is None
    assert ticket.paused_seconds == 16 * 3600
    assert ticket.resolution_due == due_before + timedelta(days=2)  # same wall time, 2 days on
    # while paused nothing breaches, however long
    with time_machine.travel(local(2026, 3, 12, 13), tick=False):
        do_staff_reply(ticket, agent, "Thanks, checking", wait_for_member=True)
    ticket.refresh_from_db()
    assert sla.breaches(ticket, local(2026, 6, 1, 12)) == (False, False)
    with time_machine.travel(local(2026, 3, 13, 9), tick=False):
        do_set_status(ticket, agent, Ticket.Status.RESOLVED)
    ticket.refresh_from_db()
    # resolution time excludes both pauses: Tue 10–12 (2 h) + Thu 12–13 (1 h)
    assert sla.resolution_seconds(ticket) == 3 * 3600


def test_breach_is_marked_and_escalated_once(team, smtp_server, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Group

    from downline.accounts.actions import do_create_user

    supporter = do_create_user(
        "sue", password="a-long-secret-phrase", email="sue@example.com", staff=True
    )
    supporter.groups.add(Group.objects.get_or_create(name="support")[0])
    ticket = _open(team, local(2026, 3, 10, 10), priority="urgent")  # 1 h to first response
    assert do_mark_breaches(local(2026, 3, 10, 10, 59).astimezone(UTC)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert do_mark_breaches(local(2026, 3, 10, 11, 1).astimezone(UTC)) == 1
    ticket.refresh_from_db()
    assert ticket.first_response_breached
    assert not ticket.resolution_breached
    assert ticket.escalated_at is not None
    # later the resolution breaches too, but the group is told only once
    with django_capture_on_commit_callbacks(execute=True):
        assert do_mark_breaches(local(2026, 3, 11, 10, 1).astimezone(UTC)) == 0
    ticket.refresh_from_db()
    assert ticket.resolution_breached
    assert len(smtp_server.to("sue@example.com")) == 1
    assert sla.status(ticket, local(2026, 3, 11, 10)) == "breached"


def test_holiday_moves_the_due_date(team):
    ticket = _open(team, local(2026, 4, 2, 16))  # Thursday before Easter, 8 h to first response
    assert ticket.first_response_due == local(2026, 4, 7, 16)  # Thu 1 h + Tue 7 h


def test_member_reply_reopens_a_resolved_ticket_and_rating(team, agent):
    ticket = _open(team, local(2026, 3, 10, 10))
    do_staff_reply(ticket, agent, "done")
    do_set_status(ticket, agent, Ticket.Status.RESOLVED)
    do_rate_ticket(ticket, team.alice, 5, "quick")
    ticket.refresh_from_db()
    assert ticket.satisfaction == 5
    do_member_reply(ticket, team.alice, "one more thing")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.resolved_at is None
    with pytest.raises(SupportError, match="resolved"):
        do_rate_ticket(ticket, team.alice, 4)


def test_attachments_are_checked_by_size_and_type(team, settings):
    settings.DOWNLINE_SUPPORT_MAX_ATTACHMENT = 1000
    pdf = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 small", content_type="application/pdf")
    ticket = _open(team, local(2026, 3, 10, 10), attachments=[pdf])
    attachment = TicketMessage.objects.get(ticket=ticket).attachments.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.size == 14
    fake = SimpleUploadedFile(
        "photo.png", b"MZ\x90\x00\x03" + b"\x00" * 50, content_type="image/png"
    )
    with pytest.raises(SupportError, match="not a PDF"):
        _open(team, local(2026, 3, 10, 10), attachments=[fake])
    big = SimpleUploadedFile("big.txt", b"a" * 1001, content_type="text/plain")
    with pytest.raises(SupportError, match="at most 1000 bytes"):
        _open(team, local(2026, 3, 10, 10), attachments=[big])


def test_links_must_be_the_members_own(team):
    with pytest.raises(SupportError) as error:
        _open(team, local(2026, 3, 10, 10), links={"member": "DAVE"})
    assert error.value.field == "member"
    ticket = _open(team, local(2026, 3, 10, 10), links={"member": "CAROL"})
    assert ticket.about_member == team.carol


def test_distributor_sees_only_own_tickets(client, team):
    ticket = _open(team, local(2026, 3, 10, 10))
    client.force_login(team.dave_user)
    assert client.get(f"/support/tickets/{ticket.pk}/").status_code == 404
    assert ticket.subject.encode() not in client.get("/support/").content
    client.force_login(team.alice_user)
    response = client.get(f"/support/tickets/{ticket.pk}/")
    assert response.status_code == 200
    assert b"It did not come." in response.content


def test_internal_notes_stay_internal(client, team, agent):
    ticket = _open(team, local(2026, 3, 10, 10))
    do_staff_reply(ticket, agent, "SECRET NOTE", internal=True)
    client.force_login(team.alice_user)
    assert b"SECRET NOTE" not in client.get(f"/support/tickets/{ticket.pk}/").content


def test_web_form_opens_a_ticket_and_suggests_articles(client, team):
    client.force_login(team.alice_user)
    response = client.get("/support/suggest/?subject=payout&body=")
    assert b"/support/kb/payouts/" in response.content
    response = client.post(
        "/support/new/",
        {"category": "payouts", "subject": "Payout missing", "body": "Please check", "order": ""},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Payout missing")
    assert ticket.member == team.alice
    assert response.url == f"/support/tickets/{ticket.pk}/"
    response = client.post(f"/support/tickets/{ticket.pk}/", {"body": "Any news?"})
    assert response.status_code == 302
    assert ticket.messages.count() == 2


def test_console_needs_the_helpdesk_capability(client, team):
    _open(team, local(2026, 3, 10, 10))
    verified_staff(client, "fin", "finance")
    assert client.get("/console/support/").status_code == 403
    assert client.get("/console/support/disputes/").status_code == 200


def test_console_queue_reply_note_assign(
    client, team, smtp_server, django_capture_on_commit_callbacks
):
    ticket = _open(team, local(2026, 3, 10, 10))
    staff = verified_staff(client, "helper", "support")
    response = client.get("/console/support/")
    assert response.status_code == 200
    assert ticket.token.encode() in response.content
    assert client.get("/console/support/disputes/").status_code == 403
    page = client.get(f"/console/support/tickets/{ticket.pk}/")
    assert page.status_code == 200
    canned = page.context["canned"][0]
    assert (
        canned.body.encode()
        in client.get(f"/console/support/tickets/{ticket.pk}/?canned={canned.pk}").content
    )
    client.post(
        f"/console/support/tickets/{ticket.pk}/",
        {"form": "reply", "body": "internal only", "kind": "internal"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/console/support/tickets/{ticket.pk}/",
            {"form": "reply", "body": "Here is the answer", "kind": "public"},
        )
    client.post(
        f"/console/support/tickets/{ticket.pk}/",
        {
            "form": "settings",
            "priority": "high",
            "status": "open",
            "group": "finance",
            "assignee": "helper",
        },
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.assignee == staff
    assert ticket.assignee_group == "finance"
    assert ticket.priority == "high"
    mails = smtp_server.to("alice@example.com")
    assert len(mails) == 1
    assert f"[#{ticket.token}]" in mails[0]["Subject"]
    assert client.get("/console/support/sla/").status_code == 200
