"""A webinar as an academy lesson, from outreach: staff link the lesson in the webinar form; a
distributor registers themselves (no contact is made); attendance settled live (our join link,
BigBlueButton's room), an evergreen viewing or a replay watched to the end completes the lesson
through the academy's action, exactly once however often it is settled."""

from __future__ import annotations

import types
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import NoReverseMatch, include, path, reverse

from downline.academy import actions as academy
from downline.academy.models import Course, Lesson, LessonProgress
from downline.contacts.models import Contact
from downline.core.models import Event
from downline.outreach.models import OutboundMail, Registration, Webinar
from downline.outreach.webinars import (
    _settle,
    do_create_webinar,
    do_register_member,
    take_attendance,
)

from .conftest import PASSWORD

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
STARTS = NOW + timedelta(days=3)


@pytest.fixture(autouse=True)
def _training_route(settings):
    """Serve ``outreach:webinar_training`` when the site's URLs do not route it yet."""
    try:
        reverse("outreach:webinar_training", args=[1])
        return
    except NoReverseMatch:
        pass
    from downline import urls as site
    from downline.outreach import urls as outreach_urls
    from downline.outreach import views_training

    patterns = [
        *outreach_urls.urlpatterns,
        path(
            "outreach/webinars/<int:webinar_id>/attend/",
            views_training.webinar_training,
            name="webinar_training",
        ),
    ]
    module = types.ModuleType("webinar_training_urls")
    module.urlpatterns = [
        path("", include((patterns, "outreach")))
        if getattr(p, "namespace", None) == "outreach"
        else p
        for p in site.urlpatterns
    ]
    settings.ROOT_URLCONF = module


@pytest.fixture
def course(db) -> Course:
    course = academy.do_save_course(
        None, slug="first-steps", area="sales", source_language="en",
        title={"en": "First steps"}, summary={},
    )  # fmt: skip
    module = academy.do_add_module(course, key="start", title={"en": "Start"})
    academy.do_add_lesson(module, key="welcome", title="Welcome", body="Hello.")
    academy.do_add_lesson(
        module, key="intro-webinar", kind=Lesson.Kind.WEBINAR, title="The intro webinar",
        body="Watch the intro.",
    )  # fmt: skip
    return academy.do_publish_course(course)


@pytest.fixture
def webinar_lesson(course) -> Lesson:
    return Lesson.objects.select_related("course").get(key="intro-webinar")


@pytest.fixture
def live(webinar_lesson) -> Webinar:
    return do_create_webinar(
        content={"en": {"title": "Tea business intro"}, "de": {"title": "Tee-Einführung"}},
        starts_at=STARTS,
        duration_minutes=60,
        lesson=webinar_lesson,
    )


def member_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def completions(member, lesson: Lesson) -> int:
    return Event.objects.filter(
        kind="lesson.completed", member_id=member.pk, payload__lesson=lesson.pk
    ).count()


def done(member, lesson: Lesson) -> bool:
    return LessonProgress.objects.filter(
        member_id=member.pk, lesson=lesson, state=LessonProgress.State.COMPLETED
    ).exists()


def test_console_links_the_lesson(staff_client, team, webinar_lesson):
    page = staff_client.get("/console/outreach/webinars/new/").content.decode()
    assert "first-steps/intro-webinar" in page
    assert "first-steps/welcome" not in page  # only lessons of the kind webinar
    data = {
        "kind": "live", "provider": "bbb", "starts_at": "2026-09-01 18:00",
        "duration_minutes": 60, "title_en": "Intro",
    }  # fmt: skip
    staff_client.post("/console/outreach/webinars/new/", {**data, "lesson": webinar_lesson.pk})
    assert Webinar.objects.get().lesson == webinar_lesson
    text = Lesson.objects.get(key="welcome")
    wrong = staff_client.post("/console/outreach/webinars/new/", {**data, "lesson": text.pk})
    assert wrong.status_code == 200
    assert "Select a valid choice" in wrong.content.decode()
    assert Webinar.objects.count() == 1
    listing = staff_client.get("/console/outreach/webinars/").content.decode()
    assert "first-steps/intro-webinar" in listing


def test_console_form_needs_the_outreach_capability(client, team, webinar_lesson):
    from django.contrib.auth.models import Group
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from downline.accounts.actions import do_create_user

    member = member_client(team.alice_user)
    assert member.get("/console/outreach/webinars/new/").status_code == 404
    staff = do_create_user("sue", password=PASSWORD, email="sue@example.com", staff=True)
    staff.groups.add(Group.objects.get_or_create(name="support")[0])
    device = TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    client.force_login(staff)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    assert client.post("/accounts/two-factor/", {"code": f"{code:06d}"}).status_code == 302
    assert client.get("/console/outreach/webinars/new/").status_code == 403
    data = {
        "kind": "live", "provider": "bbb", "starts_at": "2026-09-01 18:00",
        "duration_minutes": 60, "title_en": "Intro", "lesson": webinar_lesson.pk,
    }  # fmt: skip
    assert client.post("/console/outreach/webinars/new/", data).status_code == 403
    assert not Webinar.objects.exists()


def test_do_create_webinar_refuses_a_lesson_of_another_kind(course):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="lesson of the kind webinar"):
        do_create_webinar(
            content={"en": {"title": "X"}},
            starts_at=STARTS,
            lesson=Lesson.objects.get(key="welcome"),
        )


def test_lesson_page_links_to_the_webinar(team, live, webinar_lesson):
    client = member_client(team.alice_user)
    page = client.get(f"/academy/lessons/{webinar_lesson.pk}/").content.decode()
    target = reverse("outreach:webinar_training", args=[live.pk])
    assert f'href="{target}"' in page
    assert "Tea business intro" in page
    german = client.get(
        f"/academy/lessons/{webinar_lesson.pk}/", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert "Tee-Einführung" in german  # the webinar's title in the reader's language
    with time_machine.travel(NOW, tick=False):
        training = client.get(target).content.decode()
    assert "Tea business intro" in training
    assert "Register me" in training
    assert reverse("academy:lesson", args=[webinar_lesson.pk]) in training


def test_member_registers_attends_live_and_completes_once(team, live, webinar_lesson):
    client = member_client(team.alice_user)
    target = reverse("outreach:webinar_training", args=[live.pk])
    with time_machine.travel(NOW, tick=False):
        response = client.post(target, {"action": "register"}, follow=True)
        assert "You are registered." in response.content.decode()
        client.post(target, {"action": "register"})  # twice: still one registration
    registration = Registration.objects.get()
    assert (registration.owner_id, registration.contact_id) == (team.alice.pk, None)
    assert registration.email == "alice@example.com"
    assert not Contact.objects.exists()  # the member is not their own prospect
    assert OutboundMail.objects.filter(key=f"reg:{registration.pk}:confirm").exists()
    with time_machine.travel(STARTS - timedelta(hours=1), tick=False):
        page = client.get(target).content.decode()
        assert reverse("outreach:webinar_join", args=[registration.token]) in page
    with time_machine.travel(STARTS + timedelta(minutes=5), tick=False):
        Registration.objects.filter(pk=registration.pk).update(attended=True)  # as do_join does
    assert not done(team.alice, webinar_lesson)
    with time_machine.travel(STARTS + timedelta(minutes=61), tick=False):
        assert take_attendance() == 1
        assert take_attendance() == 0
        registration.refresh_from_db()
        _settle(live, registration, True, STARTS + timedelta(minutes=62))  # settled twice
    assert done(team.alice, webinar_lesson)
    assert completions(team.alice, webinar_lesson) == 1
    assert Event.objects.filter(kind="webinar.attended", member_id=team.alice.pk).count() == 1
    with time_machine.travel(STARTS + timedelta(hours=2), tick=False):
        assert "You attended this webinar." in client.get(target).content.decode()


def test_bigbluebutton_room_attendance_completes_the_lesson(team, live, webinar_lesson, bbb_server):
    from downline.outreach.webinars import ensure_meeting

    with time_machine.travel(NOW, tick=False):
        registration = do_register_member(live, team.dave)
    assert registration.email == "dave@example.com"  # the login's address
    ensure_meeting(live)
    bbb_server.enter(live.meeting_id, registration.token, "Dave")
    with time_machine.travel(STARTS + timedelta(minutes=90), tick=False):
        take_attendance()
    assert Registration.objects.get().attended is True
    assert completions(team.dave, webinar_lesson) == 1


def test_missed_then_replay_watched_to_the_end(team, webinar_lesson):
    live = do_create_webinar(
        content={"en": {"title": "Recorded"}},
        starts_at=STARTS,
        provider=Webinar.Provider.VIDEO,
        video_url="https://video.example/intro.mp4",
        lesson=webinar_lesson,
    )
    client = member_client(team.alice_user)
    target = reverse("outreach:webinar_training", args=[live.pk])
    with time_machine.travel(NOW, tick=False):
        client.post(target, {"action": "register"})
        registration = Registration.objects.get()
        early = client.post(target, {"action": "replay", "registration": registration.pk})
        assert early.status_code == 302
    assert not done(team.alice, webinar_lesson)  # no replay before the session is over
    with time_machine.travel(STARTS + timedelta(hours=2), tick=False):
        assert take_attendance() == 1
        assert not done(team.alice, webinar_lesson)
        page = client.get(target).content.decode()
        assert "You missed this session." in page
        assert 'src="https://video.example/intro.mp4"' in page
        assert "outreach/replay.js" in page
        client.post(target, {"action": "replay", "registration": registration.pk})
        client.post(target, {"action": "replay", "registration": registration.pk})
    assert done(team.alice, webinar_lesson)
    assert completions(team.alice, webinar_lesson) == 1
    kinds = list(
        Event.objects.filter(kind__in=["webinar.attended", "webinar.missed"])
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["webinar.missed", "webinar.attended"]
    # someone else's registration is not theirs to report
    other = member_client(team.dave_user)
    assert (
        other.post(target, {"action": "replay", "registration": registration.pk}).status_code == 404
    )


def test_evergreen_viewing_completes_the_lesson(team, webinar_lesson, settings):
    settings.DOWNLINE_TIME_ZONE = "UTC"
    evergreen = do_create_webinar(
        content={"en": {"title": "Recorded intro"}},
        kind=Webinar.Kind.EVERGREEN,
        viewing_times=["10:00"],
        video_url="https://video.example/intro.mp4",
        duration_minutes=30,
        lesson=webinar_lesson,
    )
    with time_machine.travel(NOW, tick=False):
        registration = do_register_member(evergreen, team.alice)
    assert registration.session_at == datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    client = Client()
    with time_machine.travel(registration.session_at + timedelta(minutes=1), tick=False):
        joined = client.get(reverse("outreach:webinar_join", args=[registration.token]))
        assert joined["Location"] == "https://video.example/intro.mp4"
    with time_machine.travel(registration.session_at + timedelta(minutes=31), tick=False):
        assert take_attendance() == 1
    assert completions(team.alice, webinar_lesson) == 1


def test_a_contacts_attendance_does_not_complete_the_owners_lesson(
    client, pages_, live, team, webinar_lesson
):
    with time_machine.travel(NOW, tick=False):
        client.post(
            f"/w/{live.pk}/alice/", {"name": "Pat", "email": "pat@example.org", "consent": "on"}
        )
    Registration.objects.update(attended=True)
    with time_machine.travel(STARTS + timedelta(minutes=61), tick=False):
        assert take_attendance() == 1
    assert not done(team.alice, webinar_lesson)


def test_a_locked_lesson_refuses_registration(team, live, webinar_lesson):
    webinar_lesson.requires.add(Lesson.objects.get(key="welcome"))
    client = member_client(team.alice_user)
    target = reverse("outreach:webinar_training", args=[live.pk])
    with time_machine.travel(NOW, tick=False):
        page = client.post(target, {"action": "register"}, follow=True).content.decode()
    assert "Complete" in page
    assert "Welcome" in page
    assert not Registration.objects.exists()


def test_training_page_is_for_members(client, live):
    target = reverse("outreach:webinar_training", args=[live.pk])
    assert client.get(target).status_code == 302  # to the login
