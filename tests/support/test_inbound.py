"""Inbound e-mail through a real SMTP receiver on 127.0.0.1: a mail becomes a ticket, the
member's answer threads onto it (by the subject's token and by In-Reply-To)."""

from __future__ import annotations

import smtplib
import socket
import time
from email.message import EmailMessage

import pytest

from downline.support.actions import do_staff_reply
from downline.support.inbound import controller
from downline.support.models import Ticket, TicketMessage


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def receiver():
    port = _free_port()
    server = controller("127.0.0.1", port)
    server.start()
    yield port
    server.stop()


def _send(port: int, sender: str, subject: str, body: str, **headers) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(message)


def _wait(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.django_db(transaction=True)
def test_mail_becomes_a_ticket_and_replies_thread(team, receiver, smtp_server):
    _send(receiver, "Alice <alice@example.com>", "Payout question", "Where is my money?\n")
    _wait(lambda: Ticket.objects.exists())
    ticket = Ticket.objects.get()
    assert ticket.member == team.alice
    assert ticket.channel == "email"
    assert ticket.subject == "Payout question"
    assert ticket.messages.get().body == "Where is my money?"

    # staff answers: the mail carries the token and a Message-ID
    agent = team.staff_user
    reply = do_staff_reply(ticket, agent, "It goes out on Friday.", wait_for_member=True)
    _wait(lambda: smtp_server.to("alice@example.com"))
    sent = smtp_server.to("alice@example.com")[0]
    assert f"[#{ticket.token}]" in sent["Subject"]
    reply.refresh_from_db()
    assert sent["Message-ID"] == reply.email_message_id

    # the member answers by mail, quoting: threaded by the token, quote left out, clock resumed
    _send(
        receiver,
        "alice@example.com",
        f"Re: [#{ticket.token}] Payout question",
        "Thanks!\n\nOn Fri, Support wrote:\n> It goes out on Friday.\n",
    )
    _wait(lambda: ticket.messages.count() == 3)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.paused_since is None
    assert ticket.messages.order_by("-id").first().body == "Thanks!"

    # a mail client that drops the token still threads by In-Reply-To
    _send(
        receiver,
        "alice@example.com",
        "Re: Payout question",
        "One more thing",
        In_Reply_To=reply.email_message_id,
    )
    _wait(lambda: ticket.messages.count() == 4)
    assert Ticket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_stranger_cannot_write_into_a_ticket(team, receiver):
    _send(receiver, "alice@example.com", "Bank details", "Changed my bank")
    _wait(lambda: Ticket.objects.exists())
    ticket = Ticket.objects.get()
    _send(
        receiver, "mallory@evil.example", f"Re: [#{ticket.token}] Bank details", "send money here"
    )
    _wait(lambda: Ticket.objects.count() == 2)
    stranger = Ticket.objects.exclude(pk=ticket.pk).get()
    assert stranger.member is None
    assert stranger.from_email == "mallory@evil.example"
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1
