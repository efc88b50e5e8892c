"""Notifications: made once per event and recipient (also after a restart), delivered by the
reader's preferences in their language, by e-mail (real SMTP on 127.0.0.1), digest and web
push (a stand-in push service on 127.0.0.1)."""

from __future__ import annotations

import base64
import json
import threading
import typing
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import transaction

from downline.core.models import Consumer
from downline.genealogy.actions import do_enroll
from downline.growth import notify
from downline.growth.actions import do_save_preferences, do_subscribe_push
from downline.growth.models import Notification
from smtp_server import body_text

from .conftest import TODAY

# the consumer reads committed events only (on PostgreSQL, those of finished transactions), so
# these tests commit like the application does


def _joined(net, member_id="NEW2", language="en"):
    with transaction.atomic():
        return do_enroll(
            member_id=member_id,
            sponsor=net.sam,
            joined_on=TODAY,
            name="Nora New",
            language=language,
        )


@pytest.mark.django_db(transaction=True)
def test_a_recruit_is_notified_to_the_sponsor_once_also_after_a_restart(net):
    notify.consume_events()
    before = Notification.objects.count()  # the fixture's own enrolments
    _joined(net)
    notify.consume_events()
    notes = Notification.objects.filter(kind="new_recruit", params__member="NEW2")
    assert [n.recipient_id for n in notes] == [net.sam.pk]
    assert Notification.objects.count() == before + 1
    # a worker restarted from an old cursor reads the same events again: nothing new
    Consumer.objects.filter(name=notify.CONSUMER).update(cursor_tx=0, cursor_id=0)
    notify.consume_events()
    assert Notification.objects.count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_handler_that_fails_midway_leaves_nothing_and_the_retry_notifies_once(net, monkeypatch):
    notify.consume_events()
    Notification.objects.all().delete()
    _joined(net, "NEW2")
    _joined(net, "NEW3")
    real = notify.handle
    calls = []

    def crashing(event):
        calls.append(event.pk)
        real(event)
        if len(calls) == 2:
            raise RuntimeError("worker died")

    from downline.core import events as outbox

    with pytest.raises(RuntimeError):
        outbox.consume_all(notify.CONSUMER, crashing)
    assert Notification.objects.count() == 0  # rolled back with the cursor
    notify.consume_events()
    assert sorted(n.params["member"] for n in Notification.objects.all()) == ["NEW2", "NEW3"]


@pytest.mark.django_db(transaction=True)
def test_immediate_email_in_the_readers_language(net, smtp_server):
    notify.consume_events()
    notify.deliver_pending()
    smtp_server.clear()
    net.sam_user.language = "de"
    net.sam_user.save(update_fields=["language"])
    _joined(net)
    notify.consume_events()
    counts = notify.deliver_pending()
    assert counts["emails"] == 1
    (mail,) = smtp_server.to("sam@example.com")
    assert "Nora New" in body_text(mail)


@pytest.mark.django_db(transaction=True)
def test_preferences_turn_email_off_or_to_the_digest(net, smtp_server):
    notify.consume_events()
    notify.deliver_pending()
    smtp_server.clear()
    prefs = {k: dict(v) for k, v in notify.DEFAULTS.items()}
    prefs["new_recruit"] = {"in_app": True, "email": "off", "push": False}
    do_save_preferences(net.sam, prefs, "America/New_York")
    _joined(net, "NEW2")
    notify.consume_events()
    notify.deliver_pending()
    assert smtp_server.to("sam@example.com") == []
    assert Notification.objects.filter(kind="new_recruit", recipient_id=net.sam.pk).exists()
    prefs["new_recruit"]["email"] = "digest"
    do_save_preferences(net.sam, prefs)
    _joined(net, "NEW3")
    _joined(net, "NEW4")
    notify.consume_events()
    notify.deliver_pending()
    assert smtp_server.to("sam@example.com") == []
    assert notify.send_digests() == 1
    (digest,) = smtp_server.to("sam@example.com")
    text = body_text(digest)
    assert text.count("joined your team") == 2
    assert notify.send_digests() == 0  # sent once


@pytest.mark.django_db(transaction=True)
def test_bad_preferences_are_refused(net):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        do_save_preferences(net.sam, {"new_recruit": {"email": "hourly"}})
    with pytest.raises(ValidationError):
        do_save_preferences(net.sam, {}, "Mars/Olympus")


@pytest.mark.django_db(transaction=True)
def test_a_final_run_posts_commissions_to_each_paid_member_once(settled):
    notify.consume_events()
    posted = Notification.objects.filter(kind="commission_posted")
    by_member = {(n.recipient_id, n.params["period"]) for n in posted}
    from downline.compensation.models import Run, RunResult

    paid = {
        (r.distributor_id, r.run.period.code)
        for r in RunResult.objects.filter(run__kind=Run.Kind.FINAL, earned__gt=0).select_related(
            "run__period"
        )
    }
    assert paid
    assert by_member == paid
    Consumer.objects.filter(name=notify.CONSUMER).update(cursor_tx=0, cursor_id=0)
    notify.consume_events()
    assert Notification.objects.filter(kind="commission_posted").count() == len(paid)


@pytest.mark.django_db(transaction=True)
def test_radar_digest_once_a_day(settled):
    from downline.growth.actions import do_build_radar

    do_build_radar(TODAY)
    do_build_radar(TODAY)
    digests = Notification.objects.filter(kind="radar_digest", recipient_id=settled.sam.pk)
    assert [n.params for n in digests] == [{"count": 4, "day": "2026-10-15"}]


# --------------------------------------------------------------------------- web push


class _PushService(BaseHTTPRequestHandler):
    received: typing.ClassVar[list] = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        type(self).received.append(
            {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": self.rfile.read(length),
            }
        )
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def push_service():
    _PushService.received = []
    server = HTTPServer(("127.0.0.1", 0), _PushService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _PushService.received
    server.shutdown()


def _keys():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    vapid = ec.generate_private_key(ec.SECP256R1())
    private = b64(vapid.private_numbers().private_value.to_bytes(32, "big"))
    public = b64(
        vapid.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    browser = ec.generate_private_key(ec.SECP256R1())
    p256dh = b64(
        browser.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    return public, private, p256dh, b64(b"0123456789abcdef")


@pytest.mark.django_db(transaction=True)
def test_web_push_reaches_the_push_service(net, settings, push_service):
    url, received = push_service
    public, private, p256dh, auth = _keys()
    settings.DOWNLINE_VAPID_PUBLIC_KEY = public
    settings.DOWNLINE_VAPID_PRIVATE_KEY = private
    do_subscribe_push(net.sam, endpoint=f"{url}/push/abc", p256dh=p256dh, auth=auth)
    notify.consume_events()
    notify.deliver_pending()
    received.clear()
    _joined(net)
    notify.consume_events()
    counts = notify.deliver_pending()
    assert counts["pushes"] == 1
    (request,) = received
    assert request["path"] == "/push/abc"
    assert request["headers"]["authorization"].lower().startswith(("vapid t=", "webpush "))
    assert request["headers"]["content-encoding"] in ("aes128gcm", "aesgcm")
    assert len(request["body"]) > 16  # encrypted, not the plain text
    assert b"Nora" not in request["body"]
    assert Notification.objects.get(params__member="NEW2").pushed_at is not None


@pytest.mark.django_db(transaction=True)
def test_push_is_off_without_keys(net, settings, client):
    settings.DOWNLINE_VAPID_PUBLIC_KEY = ""
    settings.DOWNLINE_VAPID_PRIVATE_KEY = ""
    client.force_login(net.sam_user)
    page = client.get("/growth/notifications/settings/")
    assert b'id="push-off"' in page.content
    answer = client.post(
        "/growth/push/subscribe/",
        data=json.dumps(
            {"endpoint": "https://push.example/x", "keys": {"p256dh": "a", "auth": "b"}}
        ),
        content_type="application/json",
    )
    assert answer.status_code == 409
    assert client.get("/growth/sw.js")["Content-Type"].startswith("application/javascript")


@pytest.mark.django_db(transaction=True)
def test_bell_counts_unread_in_one_query(net, client, django_assert_max_num_queries):
    from django.template import Context, Template

    notify.consume_events()
    Notification.objects.all().delete()
    _joined(net)
    notify.consume_events()
    template = Template("{% load growth_tags %}{% growth_unread user %}")
    with django_assert_max_num_queries(1):
        assert template.render(Context({"user": net.sam_user})) == "1"
    client.force_login(net.sam_user)
    page = client.get("/growth/notifications/")
    assert "Nora New joined your team." in page.content.decode()
    client.post("/growth/notifications/")
    assert template.render(Context({"user": net.sam_user})) == "0"
    assert date.today  # the page rendered without errors
