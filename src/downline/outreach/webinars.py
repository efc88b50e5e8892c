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
) -> Webinar:
    from django.core.exceptions import ValidationError

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
    from downline.contacts.actions import do_add_timeline
    from downline.contacts.models import Contact

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
            attended = bool(registration.attended)
            with transaction.atomic():
                Registration.objects.filter(pk=registration.pk).update(
                    attended=attended, settled_at=now
                )
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
                contact = Contact.objects.filter(pk=registration.contact_id).first()
                if contact is not None:
                    do_add_timeline(
                        contact,
                        "webinar_attended" if attended else "webinar_missed",
                        {"webinar": webinar.pk},
                    )
            settled += 1
        if webinar.kind == Webinar.Kind.LIVE:
            Webinar.objects.filter(pk=webinar.pk).update(attendance_taken_at=now)
    return settled


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
