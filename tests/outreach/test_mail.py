"""The mail core: idempotency keys, headers, quiet hours, caps, suppression, dead claims."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
import time_machine
from anymail.signals import AnymailTrackingEvent, tracking

from downline.outreach.mail import (
    LOST_IN_FLIGHT,
    dispatch_batch,
    dispatch_due,
    do_suppress,
    queue_mail,
    quiet_until,
    recover_dead_claims,
)
from downline.outreach.models import MailClaim, OutboundMail, Suppression
from smtp_server import body_text

State = OutboundMail.State


def _mail(key: str, to: str = "pat@example.org", **extra) -> OutboundMail:
    values = {"subject": "Hello", "body_text": "Welcome aboard.", "kind": "test"}
    values.update(extra)
    return queue_mail(key=key, to_email=to, **values)


def test_a_key_is_one_mail(team):
    first = _mail("k1", sender=team.alice)
    again = _mail("k1", sender=team.alice, subject="Other")
    assert first.pk == again.pk
    assert OutboundMail.objects.count() == 1
    assert again.subject == "Hello"


def test_sent_from_the_company_with_the_distributor_as_reply_to(team, smtp_server, settings):
    settings.DOWNLINE_MAIL_FROM = "news@company.test"
    mail = _mail("k1", sender=team.alice, to="Pat@Example.org", to_name="Pat")
    assert dispatch_due() == 1
    (message,) = smtp_server.to("pat@example.org")
    assert "news@company.test" in message["From"]
    assert "Alice Adams" in message["From"]
    assert message["Reply-To"] == "alice@example.com"
    assert message["X-Downline-Key"] == "k1"
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://downline.test/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Welcome aboard." in body_text(message)
    mail.refresh_from_db()
    assert mail.state == State.SENT
    assert mail.sent_at is not None
    assert dispatch_due() == 0  # nothing twice
    assert len(smtp_server.messages) == 1


def test_the_unsubscribe_header_is_not_encoded_on_the_wire(team, settings):
    import email.policy

    from downline.outreach.mail import build_message

    settings.DOWNLINE_SITE_URL = "https://a-rather-long-company-domain-name.example.com"
    mail = _mail("k-wire", sender=team.alice)
    raw = build_message(mail).message(policy=email.policy.SMTP).as_bytes()
    assert b"List-Unsubscribe: <https://a-rather-long-company-domain-name.example.com/u/" in raw
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw


def test_transactional_mail_has_no_unsubscribe_header(team, smtp_server):
    _mail("t1", transactional=True)
    dispatch_due()
    (message,) = smtp_server.messages
    assert message["List-Unsubscribe"] is None


def test_quiet_hours_in_the_recipients_time_zone(team, smtp_server, settings):
    settings.DOWNLINE_QUIET_HOURS = (21, 8)
    # 04:00 UTC is 23:00 in New York and 05:00 in Berlin... both quiet; 13:00 UTC is 08:00 NY
    with time_machine.travel(datetime(2026, 3, 3, 4, 0, tzinfo=UTC), tick=False):
        ny = _mail("ny", to="ny@example.org", time_zone="America/New_York")
        tokyo = _mail("tk", to="tk@example.org", time_zone="Asia/Tokyo")  # 13:00 there
        result = dispatch_batch()
        assert (result.sent, result.deferred) == (1, 1)
    ny.refresh_from_db()
    assert ny.state == State.QUEUED
    assert ny.due_at == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)  # 08:00 in New York (EST)
    assert tokyo.pk
    assert smtp_server.to("tk@example.org")
    with time_machine.travel(datetime(2026, 3, 3, 13, 1, tzinfo=UTC), tick=False):
        assert dispatch_due() == 1
    assert smtp_server.to("ny@example.org")


def test_quiet_until_rules(settings):
    settings.DOWNLINE_QUIET_HOURS = (21, 8)
    berlin = "Europe/Berlin"
    assert quiet_until(datetime(2026, 6, 1, 10, tzinfo=UTC), berlin) is None
    evening = quiet_until(datetime(2026, 6, 1, 20, tzinfo=UTC), berlin)  # 22:00 local
    assert evening == datetime(2026, 6, 2, 6, tzinfo=UTC)  # 08:00 CEST
    night = quiet_until(datetime(2026, 6, 1, 2, tzinfo=UTC), berlin)  # 04:00 local
    assert night == datetime(2026, 6, 1, 6, tzinfo=UTC)


def test_daily_cap_per_distributor(team, smtp_server, settings):
    settings.DOWNLINE_MAIL_CAP_PER_DAY = 2
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=UTC), tick=False):
        for n in range(3):
            _mail(f"c{n}", to=f"c{n}@example.org", sender=team.alice)
        _mail("d0", to="d0@example.org", sender=team.dave)
        _mail("t0", to="t0@example.org", sender=team.alice, transactional=True)
        assert dispatch_due() == 4
    late = OutboundMail.objects.get(state=State.QUEUED)
    assert late.key == "c2"
    assert late.due_at == datetime(2026, 3, 3, 23, 0, tzinfo=UTC)  # midnight in Berlin
    with time_machine.travel(datetime(2026, 3, 4, 9, 0, tzinfo=UTC), tick=False):
        assert dispatch_due() == 1


def test_suppressed_addresses_get_nothing(team, smtp_server):
    queued = _mail("s1", to="gone@example.org")
    do_suppress("Gone@example.org", Suppression.Reason.BOUNCE)
    queued.refresh_from_db()
    assert queued.state == State.SUPPRESSED
    later = _mail("s2", to="gone@example.org")
    assert later.state == State.SUPPRESSED
    assert dispatch_due() == 0
    assert smtp_server.messages == []


def test_anymail_tracking_feeds_the_suppression_list(db):
    event = AnymailTrackingEvent(event_type="complained", recipient="angry@example.org")
    tracking.send(sender=object, event=event, esp_name="Test")
    assert Suppression.objects.get(email="angry@example.org").reason == "complaint"


def test_bounce_endpoint(client, db, settings):
    settings.DOWNLINE_BOUNCE_SECRET = "s3cret"
    url = "/outreach/bounce/"
    body = {"email": "B@example.org", "type": "bounce"}
    assert client.post(url, body, content_type="application/json").status_code == 403
    response = client.post(
        url, body, content_type="application/json", headers={"X-Downline-Token": "s3cret"}
    )
    assert response.status_code == 200
    assert Suppression.objects.get(email="b@example.org").reason == "bounce"
    bad = client.post(
        url,
        {"type": "bounce"},
        content_type="application/json",
        headers={"X-Downline-Token": "s3cret"},
    )
    assert bad.status_code == 400
    settings.DOWNLINE_BOUNCE_SECRET = ""
    assert client.post(url, body, content_type="application/json").status_code == 404


def test_a_dead_workers_claim_is_rechecked(team, smtp_server):
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(gone.stdout)
    import socket

    from django.utils import timezone

    now = timezone.now()
    claim = MailClaim.objects.create(
        host=socket.gethostname(), pid=pid, started_at=now, heartbeat_at=now
    )
    never = _mail("never-started")
    in_flight = _mail("in-flight", to="flight@example.org")
    OutboundMail.objects.filter(pk=never.pk).update(state=State.SENDING, claim=claim)
    OutboundMail.objects.filter(pk=in_flight.pk).update(
        state=State.SENDING, claim=claim, send_started_at=now
    )
    assert recover_dead_claims() == (1, 1)
    in_flight.refresh_from_db()
    assert (in_flight.state, in_flight.error) == (State.FAILED, LOST_IN_FLIGHT)
    assert dispatch_due() == 1
    assert [m["X-Downline-Key"] for m in smtp_server.messages] == ["never-started"]
    claim.refresh_from_db()
    assert claim.recovered_at is not None


def test_a_stale_heartbeat_on_another_host_is_dead(team, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.DOWNLINE_MAIL_CLAIM_STALE_SECONDS = 60
    old = timezone.now() - timedelta(seconds=61)
    fresh = timezone.now()
    dead = MailClaim.objects.create(host="elsewhere", pid=1, started_at=old, heartbeat_at=old)
    alive = MailClaim.objects.create(host="elsewhere", pid=1, started_at=fresh, heartbeat_at=fresh)
    recover_dead_claims()
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.recovered_at is not None
    assert alive.recovered_at is None


@pytest.mark.parametrize("count", [1])
def test_send_only_once_per_run(team, smtp_server, count):
    _mail("once")
    dispatch_due()
    dispatch_due()
    assert len(smtp_server.messages) == count


def test_a_mail_that_cannot_be_built_fails_alone(team, smtp_server, monkeypatch):
    from downline.outreach import mail as mail_module

    real = mail_module.wire_bytes

    def failing(mail):
        if mail.key == "bad":
            raise RuntimeError("template exploded")
        return real(mail)

    monkeypatch.setattr(mail_module, "wire_bytes", failing)
    _mail("good", to="good@example.org")
    _mail("bad", to="bad@example.org")
    _mail("after", to="after@example.org")
    result = dispatch_batch()
    assert (result.sent, result.failed) == (2, 1)
    states = dict(OutboundMail.objects.values_list("key", "state"))
    assert states == {"good": State.SENT, "bad": State.FAILED, "after": State.SENT}
    assert OutboundMail.objects.get(key="bad").error == "cannot build: template exploded"
    assert sorted(m["X-Downline-Key"] for m in smtp_server.messages) == ["after", "good"]
    assert MailClaim.objects.filter(finished_at=None).count() == 0


def test_an_unexpected_error_leaves_nothing_sending(team, smtp_server, monkeypatch):
    """An error while a mail is handed over: that one is in doubt (failed, never again), the
    ones not handed over go back to the queue, the error is raised."""
    from downline.outreach import mail as mail_module

    real = mail_module.Transport.send

    def exploding(self, outgoing):
        if outgoing.mail.key == "second":
            raise RuntimeError("exploded mid-send")
        return real(self, outgoing)

    monkeypatch.setattr(mail_module.Transport, "send", exploding)
    for key in ("first", "second", "third"):
        _mail(key, to=f"{key}@example.org")
    with pytest.raises(RuntimeError):
        dispatch_batch()
    states = dict(OutboundMail.objects.values_list("key", "state"))
    assert states == {"first": State.SENT, "second": State.FAILED, "third": State.QUEUED}
    assert OutboundMail.objects.get(key="second").error == LOST_IN_FLIGHT
    assert OutboundMail.objects.get(key="third").send_started_at is None
    assert MailClaim.objects.filter(finished_at=None).count() == 0
