"""Batched sending: one commit per window, the server's answers, PIPELINING, the wire format.

Each test runs a real SMTP server on 127.0.0.1 (aiosmtpd); ``ScriptedSMTP`` is one whose
answers a test chooses (refuse a recipient, drop the connection after a message) and which may
offer PIPELINING (RFC 2920) as production relays do.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext, override

from downline.outreach.mail import (
    LOST_IN_FLIGHT,
    build_message,
    dispatch_batch,
    dispatch_due,
    queue_mail,
)
from downline.outreach.models import MailClaim, OutboundMail, Suppression
from smtp_server import body_text

State = OutboundMail.State


class _Script:
    def __init__(self, pipelining: bool) -> None:
        self.pipelining = pipelining
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: dict[str, str] = {}  # address → reply to its RCPT
        self.drop_after: str = ""  # key: take that message, then drop the connection
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        if message["X-Downline-Key"] == self.drop_after:
            server.transport.close()  # taken, but the client never hears so
        return "250 OK"


class ScriptedSMTP:
    def __init__(self, pipelining: bool) -> None:
        self.script = _Script(pipelining)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self.script, hostname="127.0.0.1", port=self.port)

    def keys(self) -> list[str]:
        with self.script.lock:
            return [message["X-Downline-Key"] for message in self.script.messages]


@pytest.fixture(params=[True, False], ids=["pipelining", "plain"])
def scripted(request, settings):
    from downline.core.smtp_url import mailers_from_url

    server = ScriptedSMTP(pipelining=request.param)
    server.controller.start()
    settings.MAILERS = mailers_from_url(f"smtp://127.0.0.1:{server.port}")
    try:
        yield server
    finally:
        server.controller.stop()


def _mails(count: int, prefix: str = "m", **extra) -> list[OutboundMail]:
    return [
        queue_mail(
            key=f"{prefix}{n}",
            to_email=f"{prefix}{n}@example.org",
            subject=f"Mail {n}",
            body_text="Hello",
            kind="test",
            **extra,
        )
        for n in range(count)
    ]


def test_a_batch_commits_once_per_window_not_per_mail(team, scripted, settings):
    settings.DOWNLINE_MAIL_SEND_WINDOW = 10
    _mails(40, sender=team.alice)
    with CaptureQueriesContext(connection) as queries:
        result = dispatch_batch(40)
    assert result.sent == 40
    assert sorted(scripted.keys()) == sorted(f"m{n}" for n in range(40))
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "outreach_outb')
    ]
    # claim, 4 windows started (each with the previous window's "sent"), the last "sent",
    # the end of the batch (leftovers: 2): never one per mail
    assert len(writes) <= 10, writes
    assert OutboundMail.objects.filter(state=State.SENT, sent_at__isnull=False).count() == 40


def test_refusals_are_answers_not_doubts(team, scripted):
    scripted.script.refuse = {
        "gone@example.org": "550 5.1.1 no such user",
        "busy@example.org": "451 4.3.0 try again later",
    }
    _mails(2, prefix="a")
    queue_mail(key="gone", to_email="gone@example.org", subject="S", body_text="B", kind="t")
    queue_mail(key="busy", to_email="busy@example.org", subject="S", body_text="B", kind="t")
    _mails(2, prefix="z")
    result = dispatch_batch()
    assert (result.sent, result.failed, result.deferred) == (4, 1, 1)
    assert sorted(scripted.keys()) == ["a0", "a1", "z0", "z1"]
    gone = OutboundMail.objects.get(key="gone")
    assert gone.state == State.FAILED
    assert "no such user" in gone.error
    assert Suppression.objects.get(email="gone@example.org").reason == "bounce"
    busy = OutboundMail.objects.get(key="busy")
    assert (busy.state, busy.send_started_at) == (State.QUEUED, None)
    assert busy.due_at > gone.due_at  # tried again later
    assert dispatch_due() == 0  # not due yet


def test_a_lost_connection_leaves_one_mail_in_doubt(team, scripted, settings):
    """The server takes m3 and drops the line before answering: m3 is in doubt (failed,
    never again), m4… were never handed over and go out with the next batch, once."""
    settings.DOWNLINE_MAIL_SEND_WINDOW = 5
    scripted.script.drop_after = "m3"
    _mails(12)
    first = dispatch_batch(12)
    assert first.sent == 3
    assert first.errors
    doubt = OutboundMail.objects.get(key="m3")
    assert doubt.state == State.FAILED
    assert doubt.send_started_at is not None
    rest = OutboundMail.objects.filter(key__in=[f"m{n}" for n in range(4, 12)])
    assert set(rest.values_list("state", flat=True)) == {State.QUEUED}
    assert not rest.exclude(send_started_at=None).exists()
    assert dispatch_due() == 8
    assert sorted(scripted.keys()) == sorted(f"m{n}" for n in range(12))  # each exactly once
    assert MailClaim.objects.filter(finished_at=None).count() == 0


def test_an_interrupted_window_puts_back_what_was_not_handed_over(
    team, scripted, settings, monkeypatch
):
    from downline.outreach import mail as mail_module

    settings.DOWNLINE_MAIL_SEND_WINDOW = 4
    real = mail_module.Transport.send

    def interrupted(self, outgoing):
        if outgoing.mail.key == "m5":
            raise KeyboardInterrupt  # a signal while m5 is being handed over
        return real(self, outgoing)

    _mails(10)
    monkeypatch.setattr(mail_module.Transport, "send", interrupted)
    with pytest.raises(KeyboardInterrupt):
        dispatch_batch(10)
    monkeypatch.undo()
    states = dict(OutboundMail.objects.values_list("key", "state"))
    assert [states[f"m{n}"] for n in range(5)] == [State.SENT] * 5
    assert (states["m5"], OutboundMail.objects.get(key="m5").error) == (
        State.FAILED,
        LOST_IN_FLIGHT,
    )
    assert [states[f"m{n}"] for n in range(6, 10)] == [State.QUEUED] * 4
    assert dispatch_due() == 4
    assert sorted(scripted.keys()) == sorted(f"m{n}" for n in range(10) if n != 5)


def test_a_killed_workers_window_is_in_doubt_and_the_rest_goes_out(team, scripted):
    """What a SIGKILL leaves (the kill itself: test_mail_worker_killed): a window marked
    started and not recorded is in doubt; claimed mails of later windows are sent."""
    import subprocess
    import sys

    from django.utils import timezone

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    now = timezone.now()
    claim = MailClaim.objects.create(
        host=socket.gethostname(), pid=int(gone.stdout), started_at=now, heartbeat_at=now
    )
    mails = _mails(6)
    ids = [mail.pk for mail in mails]
    OutboundMail.objects.filter(pk__in=ids[:2]).update(
        state=State.SENT, claim=claim, send_started_at=now, sent_at=now
    )
    OutboundMail.objects.filter(pk__in=ids[2:4]).update(
        state=State.SENDING, claim=claim, send_started_at=now
    )
    OutboundMail.objects.filter(pk__in=ids[4:]).update(state=State.SENDING, claim=claim)
    assert dispatch_due() == 2
    assert sorted(scripted.keys()) == ["m4", "m5"]
    failed = OutboundMail.objects.filter(state=State.FAILED, error=LOST_IN_FLIGHT)
    assert sorted(failed.values_list("key", flat=True)) == ["m2", "m3"]


def test_the_wire_format_reads_back_as_djangos(team, scripted, settings):
    settings.DOWNLINE_MAIL_FROM = "news@company.test"
    settings.DOWNLINE_COMPANY_NAME = "Downline"
    mail = queue_mail(
        key="wire-1",
        to_email="jürgen@example.org".replace("ü", "u"),
        to_name='Jürgen Müller, "Jay"',
        subject="Grüße — Ваш бесплатный гид по чаю und noch ein recht langer Betreff dazu",
        body_text="Hallo Jürgen,\n\n.a line starting with a dot\nfünf Rituale.\n",
        kind="sequence",
        sender=team.alice,
        language="de",
    )
    assert dispatch_due() == 1
    (received,) = scripted.script.messages
    expected = build_message(OutboundMail.objects.select_related("sender").get(pk=mail.pk))
    assert received["Subject"] == expected.subject
    assert received["To"].addresses[0].display_name == 'Jürgen Müller, "Jay"'
    assert received["To"].addresses[0].addr_spec == "jurgen@example.org"
    assert received["From"].addresses[0].display_name == "Alice Adams · Downline"
    assert received["From"].addresses[0].addr_spec == "news@company.test"
    assert received["Reply-To"] == "alice@example.com"
    assert received["List-Unsubscribe"].startswith("<https://downline.test/u/")
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = body_text(received).replace("\r\n", "\n")
    assert text.startswith("Hallo Jürgen,\n\n.a line starting with a dot\nfünf Rituale.\n")
    with override("de"):
        assert f"\n--\n{gettext('Unsubscribe')}: https://downline.test/u/" in text
    assert received["Message-ID"].endswith("@company.test>")


def test_html_and_attachments_still_go_through_django(team, scripted):
    queue_mail(
        key="rich",
        to_email="rich@example.org",
        subject="Invitation",
        body_text="See you",
        body_html="<p>See you</p>",
        kind="webinar",
        transactional=True,
    )
    assert dispatch_due() == 1
    (received,) = scripted.script.messages
    assert received.get_body(preferencelist=("html",)).get_content().strip() == "<p>See you</p>"
    assert received["X-Downline-Key"] == "rich"
