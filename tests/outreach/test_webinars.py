"""Webinars: registration with attribution, the .ics invitation, reminders, joining through the
BigBlueButton stand-in, attendance, replay, Jitsi tokens, evergreen sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from icalendar import Calendar

from downline.contacts.models import TimelineEntry
from downline.contacts.selectors import contacts_of
from downline.core.models import Event
from downline.outreach import bbb, jitsi
from downline.outreach.mail import dispatch_due
from downline.outreach.models import OutboundMail, Registration, Webinar
from downline.outreach.webinars import do_create_webinar, next_session, take_attendance

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
STARTS = NOW + timedelta(days=3)


@pytest.fixture
def live(db):
    return do_create_webinar(
        content={"en": {"title": "Tea business intro", "description": "An **hour** of tea."}},
        starts_at=STARTS,
        duration_minutes=60,
    )


def _register(client, webinar, slug="alice", email="pat@example.org", name="Pat"):
    return client.post(f"/w/{webinar.pk}/{slug}/", {"name": name, "email": email, "consent": "on"})


def test_registration_invitation_and_reminders(client, pages_, live, team, smtp_server):
    with time_machine.travel(NOW, tick=False):
        response = _register(client, live)
        assert response.status_code == 200
        assert "You are registered" in response.content.decode()
    registration = Registration.objects.get()
    assert registration.owner_id == team.alice.pk
    assert contacts_of(team.alice).filter(email="pat@example.org").exists()
    assert not contacts_of(team.dave).exists()
    assert Event.objects.filter(kind="webinar.registered", member_id=team.alice.pk).exists()
    keys = set(OutboundMail.objects.values_list("key", flat=True))
    assert keys == {f"reg:{registration.pk}:{k}" for k in ("confirm", "day", "hour")}
    day = OutboundMail.objects.get(key=f"reg:{registration.pk}:day")
    assert day.due_at == STARTS - timedelta(days=1)
    with time_machine.travel(NOW, tick=False):
        assert dispatch_due() == 1
    confirmation = next(m for m in smtp_server.to("pat@example.org") if m["X-Downline-Key"])
    (attachment,) = list(confirmation.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    event = Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == STARTS
    assert registration.token in str(event.get("url"))
    with time_machine.travel(STARTS - timedelta(minutes=59), tick=False):
        assert dispatch_due() == 2


def test_join_attendance_and_replay_through_bigbluebutton(client, pages_, live, team, bbb_server):
    with time_machine.travel(NOW, tick=False):
        _register(client, live, email="came@example.org", name="Came")
        _register(client, live, email="away@example.org", name="Away")
    came = Registration.objects.get(email="came@example.org")
    with time_machine.travel(STARTS - timedelta(hours=2), tick=False):
        early = client.get(f"/w/join/{came.token}/")
        assert early.status_code == 200
        assert "30 minutes before" in early.content.decode()
    with time_machine.travel(STARTS + timedelta(minutes=5), tick=False):
        response = client.get(f"/w/join/{came.token}/")
    assert response.status_code == 302
    assert response["Location"].startswith(bbb_server.url + "/api/join?")
    assert tuple(c for c, _p in bbb_server.state.calls[:1]) == ("create",)
    # the participant follows the link: the server accepts the checksum and lets them in
    import httpx

    followed = httpx.get(response["Location"], follow_redirects=False)
    assert followed.status_code == 302
    bbb_server.enter(live.meeting_id, came.token, "Came")
    running, attendees = bbb.meeting_info(live.meeting_id)
    assert running
    assert [a.user_id for a in attendees] == [came.token]
    bbb_server.record(live.meeting_id, "https://bbb.example/playback/presentation/2.3/abc")
    with time_machine.travel(STARTS + timedelta(minutes=61), tick=False):
        assert take_attendance() == 2
        assert take_attendance() == 0
    assert Registration.objects.get(email="came@example.org").attended is True
    assert Registration.objects.get(email="away@example.org").attended is False
    kinds = sorted(Event.objects.filter(kind__startswith="webinar.").values_list("kind", flat=True))
    assert kinds == [
        "webinar.attended",
        "webinar.missed",
        "webinar.registered",
        "webinar.registered",
    ]
    assert TimelineEntry.objects.filter(
        kind="webinar_attended", contact__email="came@example.org"
    ).exists()
    assert TimelineEntry.objects.filter(
        kind="webinar_missed", contact__email="away@example.org"
    ).exists()
    live.refresh_from_db()
    assert live.replay_url == "https://bbb.example/playback/presentation/2.3/abc"


def test_attendance_seen_only_in_the_room_counts(client, pages_, live, bbb_server):
    from downline.outreach.webinars import ensure_meeting, poll_live_rooms

    with time_machine.travel(NOW, tick=False):
        _register(client, live, email="room@example.org")
    registration = Registration.objects.get()
    ensure_meeting(live)
    bbb_server.enter(live.meeting_id, registration.token, "Room")
    with time_machine.travel(STARTS + timedelta(minutes=30), tick=False):
        assert poll_live_rooms() == 1
    with time_machine.travel(STARTS + timedelta(minutes=90), tick=False):
        take_attendance()
    assert Registration.objects.get().attended is True


def test_bbb_errors_and_checksums(bbb_server, settings):
    with pytest.raises(bbb.BBBError) as caught:
        bbb.meeting_info("no-such-meeting")
    assert caught.value.key == "notFound"
    settings.DOWNLINE_BBB_SECRET = "wrong"
    with pytest.raises(bbb.BBBError) as wrong:
        bbb.create("m1", "M", moderator_pw="a", attendee_pw="b")
    assert wrong.value.key == "checksumError"


def test_jitsi_links_carry_a_signed_token(settings):
    settings.DOWNLINE_JITSI_URL = "https://meet.example.com"
    settings.DOWNLINE_JITSI_APP_ID = "downline"
    settings.DOWNLINE_JITSI_SECRET = "jitsi-secret-of-at-least-32-bytes-long"
    with time_machine.travel(NOW, tick=False):
        url = jitsi.join_url("room-1", name="Pat", email="p@example.org", user_id="t1", until=NOW)
        assert url.startswith("https://meet.example.com/room-1?jwt=")
        claims = jitsi.decode(url.split("jwt=")[1])
    assert (claims["iss"], claims["room"], claims["sub"]) == (
        "downline",
        "room-1",
        "meet.example.com",
    )
    assert claims["context"]["user"]["name"] == "Pat"


def test_evergreen_sessions(db, settings):
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"
    webinar = do_create_webinar(
        content={"en": {"title": "Recorded intro"}},
        kind=Webinar.Kind.EVERGREEN,
        viewing_times=["10:00", "19:00"],
        video_url="https://video.example/intro.mp4",
    )
    assert next_session(webinar, NOW) == datetime(2026, 5, 4, 17, 0, tzinfo=UTC)  # 19:00 CEST
    late = datetime(2026, 5, 4, 18, 0, tzinfo=UTC)
    assert next_session(webinar, late) == datetime(2026, 5, 5, 8, 0, tzinfo=UTC)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        do_create_webinar(content={}, kind=Webinar.Kind.EVERGREEN, viewing_times=["25:99"])


def test_a_past_webinar_takes_no_registration(client, pages_, live):
    with time_machine.travel(STARTS + timedelta(hours=2), tick=False):
        response = client.get(f"/w/{live.pk}/alice/")
        assert "no session ahead" in response.content.decode()
        _register(client, live)
    assert not Registration.objects.exists()
