"""Webinars: sessions, registration with attribution, invitations, reminders, joining,
attendance and replay.

* A **live** webinar has one session (``starts_at``); an **evergreen** one is a recording shown
  at ``viewing_times`` every day (company time): a registration takes the next viewing.
* **Registering** on ``w/<id>/<distributor's page slug>/`` makes the visitor a contact of that
  distributor (``contacts.do_capture_contact``, source "webinar"), records event
  ``webinar.registered`` {webinar_id, registration_id, contact_id} and a timeline entry, and
  queues (as ``OutboundMail`` rows, transactional) the confirmation with the ``.ics``
  invitation and the reminders a day and an hour before.
* **Joining** (``w/join/<token>/``) sends a live participant to the video server: BigBlueButton
  (the meeting is created on first use, the participant joins with the registration's token as
  userID) or Jitsi (a signed token); an evergreen viewer to the recording.
* **Attendance**, once a session is over (``take_attendance``, run by the worker): a registrant
  who joined (our join link, or seen in BigBlueButton's ``getMeetingInfo`` while it ran) has
  attended, the others missed; each gets event ``webinar.attended``/``webinar.missed``
  {webinar_id, registration_id, contact_id} and a timeline entry. The replay is the recording's
  playback address (``getRecordings``).
* **Training.** A distributor registers *themselves* (``do_register_member``): the registration
  is theirs (``owner``) with no contact (``contact_id`` empty): they are the member, not a
  prospect. When such a registration of a webinar linked to an academy lesson
  (``Webinar.lesson``) is settled as attended (live, BigBlueButton's attendance, an evergreen
  viewing), or its replay is watched to the end after a missed session
  (``do_record_replay_watched``), the lesson is completed through the academy's own action
  (``academy.actions.do_complete_lesson(attended=True)``), which records ``lesson.completed``
  once however often attendance is settled.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from datetime import datetime, timedelta
from datetime import time as dtime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override
from icalendar import Calendar, Event

from downline.academy.access import Locked, lock_reason
from downline.academy.actions import do_complete_lesson
from downline.academy.models import Lesson
from downline.core import events as outbox
from downline.genealogy.models import Distributor

from . import bbb, jitsi
from .mail import Attachment, queue_mail, site_url, zone
from .models import LANGUAGES, Registration, Webinar, pick

logger = logging.getLogger(__name__)


def do_create_webinar(
    *,
    content: dict,
    kind: str = Webinar.Kind.LIVE,
    starts_at: datetime | None = None,
    duration_minutes: int = 60,
    provider: str = Webinar.Provider.BBB,
    host: Distributor | None = None,
    viewing_times: list[str] | None = None,
    video_url: str = "",
    lesson: Lesson | None = None,
) -> Webinar:
    from django.core.exceptions import ValidationError

    if lesson is not None and lesson.kind != Lesson.Kind.WEBINAR:
        raise ValidationError(
            {"lesson": gettext("Only an academy lesson of the kind webinar can be linked.")}
        )
    if kind == Webinar.Kind.LIVE and starts_at is None:
        raise ValidationError({"starts_at": gettext("A live webinar needs a start time.")})
    if kind == Webinar.Kind.EVERGREEN:
        if not viewing_times:
            raise ValidationError(
                {"viewing_times": gettext("An evergreen webinar needs viewing times (HH:MM).")}
            )
        for value in viewing_times:
            try:
                dtime.fromisoformat(value)
            except ValueError:
                raise ValidationError(
                    {
                        "viewing_times": gettext("%(value)s is not a time (HH:MM).")
                        % {"value": value}
                    }
                ) from None
    return Webinar.objects.create(
        content=content,
        kind=kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        provider=provider if kind == Webinar.Kind.LIVE else Webinar.Provider.VIDEO,
        host=host,
        viewing_times=list(viewing_times or []),
        video_url=video_url,
        meeting_id=f"dl-{uuid.uuid4().hex[:16]}",
        lesson=lesson,
    )


def next_session(webinar: Webinar, now: datetime | None = None) -> datetime | None:
    """The session a registration made now would get (None: nothing ahead)."""
    now = now or timezone.now()
    if webinar.kind == Webinar.Kind.LIVE:
        if (
            webinar.starts_at
            and webinar.starts_at + timedelta(minutes=webinar.duration_minutes) > now
        ):
            return webinar.starts_at
        return None
    tz = zone(None)
    local = now.astimezone(tz)
    for days in (0, 1):
        day = local.date() + timedelta(days=days)
        for value in sorted(webinar.viewing_times):
            moment = datetime.combine(day, dtime.fromisoformat(value), tzinfo=tz)
            if moment > now:
                return moment
    return None


def _password(webinar: Webinar, role: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{webinar.meeting_id}:{role}".encode(), hashlib.sha256
    ).hexdigest()[:16]


def join_link(registration: Registration) -> str:
    return site_url() + reverse("outreach:webinar_join", args=[registration.token])


def ics(registration: Registration) -> str:
    webinar = registration.webinar
    calendar = Calendar()
    calendar.add("prodid", "-//Downline//outreach//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{registration.token}@downline")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", registration.session_at)
    event.add("dtend", registration.session_at + timedelta(minutes=webinar.duration_minutes))
    event.add("summary", webinar.title(registration.language))
    event.add("description", join_link(registration))
    event.add("url", join_link(registration))
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _when(registration: Registration) -> str:
    from django.utils.formats import date_format

    local = registration.session_at.astimezone(zone(registration.time_zone))
    return f"{date_format(local, 'DATETIME_FORMAT')} ({local.tzname()})"


def do_register(
    webinar: Webinar,
    owner: Distributor,
    *,
    email: str,
    name: str,
    language: str = "en",
    time_zone: str = "",
    consent_text: str,
    address: str = "",
    now: datetime | None = None,
) -> Registration:
    """Register a visitor of ``owner``'s registration page (see the module docstring)."""
    from django.core.exceptions import ValidationError

    from downline.contacts.actions import do_add_timeline, do_capture_contact

    now = now or timezone.now()
    session = next_session(webinar, now)
    if session is None:
        raise ValidationError({"webinar": gettext("This webinar has no session ahead.")})
    language = language if language in LANGUAGES else "en"
    email = email.strip().lower()
    with transaction.atomic():
        contact = do_capture_contact(
            owner,
            email=email,
            first_name=name,
            language=language,
            source="webinar",
            source_ref=str(webinar.pk),
            consent_text=consent_text,
            consent_email=True,
            address=address,
        )
        existing = Registration.objects.filter(
            webinar=webinar, email=email, session_at=session
        ).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                registration = Registration.objects.create(
                    webinar=webinar,
                    owner=owner,
                    contact_id=contact.pk,
                    email=email,
                    name=name[:200],
                    language=language,
                    time_zone=time_zone,
                    session_at=session,
                )
        except IntegrityError:
            return Registration.objects.get(webinar=webinar, email=email, session_at=session)
        do_add_timeline(contact, "webinar_registered", {"webinar": webinar.pk})
        outbox.record_event(
            outbox.WEBINAR_REGISTERED,
            {
                "webinar_id": webinar.pk,
                "registration_id": registration.pk,
                "contact_id": contact.pk,
            },
            member_id=owner.pk,
        )
        _queue_confirmation_and_reminders(registration, now)
    return registration


def member_email(member: Distributor) -> str:
    """Where a distributor's own invitation goes: their e-mail, else their login's."""
    email = member.email or (member.user.email if member.user_id else "")
    return (email or "").strip().lower()


def own_registration(webinar: Webinar, member: Distributor) -> Registration | None:
    """The member's newest registration of themselves (not of a contact) for ``webinar``."""
    return (
        Registration.objects.filter(webinar=webinar, owner=member, contact_id=None)
        .order_by("-session_at", "-pk")
        .first()
    )


def do_register_member(
    webinar: Webinar, member: Distributor, *, time_zone: str = "", now: datetime | None = None
) -> Registration:
    """Register ``member`` themselves for the next session of ``webinar`` (training: no contact
    is made). A webinar lesson that is locked for them (a prerequisite, a rank) refuses it.
    Registering again for the same session returns the registration made."""
    from django.core.exceptions import ValidationError

    now = now or timezone.now()
    if webinar.lesson_id is not None:
        reason = lock_reason(member, webinar.lesson)
        if reason is not None:
            raise Locked(reason)
    session = next_session(webinar, now)
    if session is None:
        raise ValidationError({"webinar": gettext("This webinar has no session ahead.")})
    email = member_email(member)
    if not email:
        raise ValidationError(
            {"email": gettext("Add your e-mail address to your profile to register.")}
        )
    language = member.language if member.language in LANGUAGES else "en"
    with transaction.atomic():
        Distributor.objects.select_for_update().filter(pk=member.pk).first()
        existing = Registration.objects.filter(
            webinar=webinar, email=email, session_at=session
        ).first()
        if existing is not None:
            if existing.owner_id == member.pk and existing.contact_id is None:
                return existing
            raise ValidationError(
                {"email": gettext("Your e-mail address is already registered for this session.")}
            )
        registration = Registration.objects.create(
            webinar=webinar,
            owner=member,
            contact_id=None,
            email=email,
            name=(member.name or member.member_id)[:200],
            language=language,
            time_zone=time_zone,
            session_at=session,
        )
        outbox.record_event(
            outbox.WEBINAR_REGISTERED,
            {"webinar_id": webinar.pk, "registration_id": registration.pk, "contact_id": None},
            member_id=member.pk,
        )
        _queue_confirmation_and_reminders(registration, now)
    return registration


def _queue_confirmation_and_reminders(registration: Registration, now: datetime) -> None:
    webinar = registration.webinar
    title = webinar.title(registration.language)
    with override(registration.language):
        when, link = _when(registration), join_link(registration)
        queue_mail(
            key=f"reg:{registration.pk}:confirm",
            to_email=registration.email,
            to_name=registration.name,
            subject=gettext("You are registered: %(title)s") % {"title": title},
            body_text=gettext(
                "Hello %(name)s,\n\nyou are registered for “%(title)s” on %(when)s.\n"
                "Join here: %(link)s\n\nThe invitation for your calendar is attached."
            )
            % {"name": registration.name, "title": title, "when": when, "link": link},
            kind="webinar",
            ref=str(webinar.pk),
            sender=registration.owner,
            contact_id=registration.contact_id,
            language=registration.language,
            time_zone=registration.time_zone,
            transactional=True,
            attachment=Attachment("webinar.ics", "text/calendar", ics(registration)),
            due_at=now,
        )
        for label, before in (("day", timedelta(days=1)), ("hour", timedelta(hours=1))):
            due = registration.session_at - before
            if due <= now:
                continue
            queue_mail(
                key=f"reg:{registration.pk}:{label}",
                to_email=registration.email,
                to_name=registration.name,
                subject=(
                    gettext("Tomorrow: %(title)s")
                    if label == "day"
                    else gettext("In one hour: %(title)s")
                )
                % {"title": title},
                body_text=gettext("“%(title)s” starts on %(when)s.\nJoin here: %(link)s")
                % {"title": title, "when": when, "link": link},
                kind="webinar_reminder",
                ref=str(webinar.pk),
                sender=registration.owner,
                contact_id=registration.contact_id,
                language=registration.language,
                time_zone=registration.time_zone,
                transactional=True,
                due_at=due,
            )


def do_join(registration: Registration, now: datetime | None = None) -> str:
    """Where the registrant goes now (an address), marking them present."""
    now = now or timezone.now()
    webinar = registration.webinar
    if registration.attended is not True and now >= registration.session_at - timedelta(minutes=30):
        Registration.objects.filter(pk=registration.pk).update(attended=True)
    if webinar.kind == Webinar.Kind.EVERGREEN or webinar.provider == Webinar.Provider.VIDEO:
        return webinar.video_url or webinar.replay_url
    title = webinar.title(registration.language)
    if webinar.provider == Webinar.Provider.JITSI:
        return jitsi.join_url(
            webinar.meeting_id,
            name=registration.name,
            email=registration.email,
            user_id=registration.token,
            until=registration.session_at + timedelta(minutes=webinar.duration_minutes),
        )
    ensure_meeting(webinar, title)
    return bbb.join_url(
        webinar.meeting_id,
        registration.name,
        password=_password(webinar, "attendee"),
        user_id=registration.token,
    )


def ensure_meeting(webinar: Webinar, title: str = "") -> None:
    """Create the BigBlueButton meeting (create is idempotent on the server)."""
    bbb.create(
        webinar.meeting_id,
        title or str(webinar),
        moderator_pw=_password(webinar, "moderator"),
        attendee_pw=_password(webinar, "attendee"),
    )


def host_join_url(webinar: Webinar, name: str) -> str:
    ensure_meeting(webinar)
    return bbb.join_url(
        webinar.meeting_id,
        name,
        password=_password(webinar, "moderator"),
        user_id=f"host-{webinar.pk}",
        role="MODERATOR",
    )


def do_end(webinar: Webinar) -> None:
    bbb.end(webinar.meeting_id, moderator_pw=_password(webinar, "moderator"))


def poll_room(webinar: Webinar) -> int:
    """Mark the registrants BigBlueButton shows in the room as present; returns how many."""
    try:
        _running, attendees = bbb.meeting_info(webinar.meeting_id)
    except bbb.BBBError as error:
        if error.key != "notFound":
            logger.warning("getMeetingInfo of %s failed: %s", webinar.meeting_id, error)
        return 0
    tokens = [a.user_id for a in attendees if a.user_id]
    return Registration.objects.filter(webinar=webinar, token__in=tokens).update(attended=True)


def poll_live_rooms(now: datetime | None = None) -> int:
    """While live BigBlueButton sessions run, note who is in the room."""
    now = now or timezone.now()
    seen = 0
    live = Webinar.objects.filter(
        kind=Webinar.Kind.LIVE,
        provider=Webinar.Provider.BBB,
        starts_at__lte=now,
        attendance_taken_at=None,
        starts_at__gte=now - timedelta(hours=12),
    )
    for webinar in live:
        if webinar.starts_at + timedelta(minutes=webinar.duration_minutes) >= now:
            seen += poll_room(webinar)
    return seen


def take_attendance(now: datetime | None = None) -> int:
    """Settle every registration whose session is over (see the module docstring); returns
    how many were settled."""
    now = now or timezone.now()
    settled = 0
    open_regs = Registration.objects.filter(session_at__lt=now, settled_at=None).select_related(
        "webinar"
    )
    by_webinar: dict[int, list[Registration]] = {}
    for registration in open_regs:
        end = registration.session_at + timedelta(minutes=registration.webinar.duration_minutes)
        if end <= now:
            by_webinar.setdefault(registration.webinar_id, []).append(registration)
    for registrations in by_webinar.values():
        webinar = registrations[0].webinar
        if webinar.provider == Webinar.Provider.BBB and webinar.kind == Webinar.Kind.LIVE:
            poll_room(webinar)
            _fetch_replay(webinar)
        for registration in registrations:
            registration.refresh_from_db(fields=["attended"])
            _settle(webinar, registration, bool(registration.attended), now)
            settled += 1
        if webinar.kind == Webinar.Kind.LIVE:
            Webinar.objects.filter(pk=webinar.pk).update(attendance_taken_at=now)
    return settled


def _settle(webinar: Webinar, registration: Registration, attended: bool, now: datetime) -> None:
    """Record one registration's attendance, once (a registration already settled is left
    alone): its event, the contact's timeline entry, and for
    a member's own registration of a lesson's webinar, the lesson completed."""
    from downline.contacts.actions import do_add_timeline
    from downline.contacts.models import Contact

    with transaction.atomic():
        changed = Registration.objects.filter(pk=registration.pk, settled_at=None).update(
            attended=attended, settled_at=now
        )
        if not changed:  # settled meanwhile by another worker: its events are recorded
            return
        kind = outbox.WEBINAR_ATTENDED if attended else outbox.WEBINAR_MISSED
        outbox.record_event(
            kind,
            {
                "webinar_id": webinar.pk,
                "registration_id": registration.pk,
                "contact_id": registration.contact_id,
            },
            member_id=registration.owner_id,
        )
        if registration.contact_id is not None:
            contact = Contact.objects.filter(pk=registration.contact_id).first()
            if contact is not None:
                do_add_timeline(
                    contact,
                    "webinar_attended" if attended else "webinar_missed",
                    {"webinar": webinar.pk},
                )
        elif attended:
            complete_webinar_lesson(webinar, registration.owner_id)


def complete_webinar_lesson(webinar: Webinar, member_id: int) -> bool:
    """Complete ``webinar``'s academy lesson for the member who attended it; False when the
    webinar has no lesson, or the lesson is locked for them now (logged; nothing written)."""
    if webinar.lesson_id is None:
        return False
    lesson = Lesson.objects.select_related("course").get(pk=webinar.lesson_id)
    member = Distributor.objects.get(pk=member_id)
    try:
        with transaction.atomic():
            do_complete_lesson(member, lesson, attended=True)
    except Locked as error:
        logger.warning(
            "webinar %s attended by %s: lesson %s is locked (%s)",
            webinar.pk,
            member.member_id,
            lesson.pk,
            error,
        )
        return False
    return True


def do_record_replay_watched(registration: Registration, now: datetime | None = None) -> bool:
    """The member watched the replay of a session to the end: their own registration counts
    as attended. Settled as missed before, it is settled again as attended (event
    ``webinar.attended`` with ``replay``); not settled yet, ``take_attendance`` will settle it.
    Only after the session; True when something changed."""
    from django.core.exceptions import ValidationError

    now = now or timezone.now()
    webinar = registration.webinar
    if registration.contact_id is not None:
        raise ValidationError({"registration": gettext("Only your own registration counts.")})
    end = registration.session_at + timedelta(minutes=webinar.duration_minutes)
    if now < end:
        raise ValidationError({"registration": gettext("The replay opens after the session.")})
    with transaction.atomic():
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        if current.attended is True:
            return False
        if current.settled_at is None:
            Registration.objects.filter(pk=current.pk).update(attended=True)
            return True
        Registration.objects.filter(pk=current.pk).update(attended=True, settled_at=now)
        outbox.record_event(
            outbox.WEBINAR_ATTENDED,
            {
                "webinar_id": webinar.pk,
                "registration_id": current.pk,
                "contact_id": None,
                "replay": True,
            },
            member_id=current.owner_id,
        )
        complete_webinar_lesson(webinar, current.owner_id)
    return True


def replay_source(webinar: Webinar) -> str:
    """The replay a member can watch to the end in the page's own player: a recorded video
    file (the evergreen recording); BigBlueButton's playback page is only linked."""
    return webinar.video_url


def _fetch_replay(webinar: Webinar) -> None:
    if webinar.replay_url:
        return
    try:
        found = bbb.recordings(webinar.meeting_id)
    except bbb.BBBError:
        return
    if found and found[0].playback_url:
        Webinar.objects.filter(pk=webinar.pk).update(replay_url=found[0].playback_url)


def title_of(webinar: Webinar, language: str) -> str:
    return pick(webinar.content, language, "title")
