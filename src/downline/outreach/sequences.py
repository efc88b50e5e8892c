"""Follow-up sequences: started by events, advanced by the worker, each step one mail.

* **Start.** The consumer ``outreach.sequences`` reads the outbox (``contact.signed_up``,
  ``webinar.registered|attended|missed``, ``contact.converted``, ``member.joined``); the daily
  ``no_order_30_days`` scan starts the sequences of that trigger. Each active sequence with the
  event's trigger enrolls the contact (or member), subject to the sequence's **re-entry rule**:
  ``never`` (once per address, ever), ``after`` (again only ``reentry_days`` after the last
  start), ``always`` (every time; an enrollment still running is left with reason
  ``reentered``).
* **Steps.** ``advance_due`` turns every due step into an ``OutboundMail`` whose idempotency
  key is ``enr:<enrollment id>:<position>``: a step is mailed at most once even if the worker
  runs it twice. A step's condition (``not_customer``, ``not_distributor``) is checked when it
  is due; a step whose condition fails is skipped.
* **Leave.** An enrollment leaves on unsubscribe (the address is suppressed or consent
  withdrawn), on conversion (``contact.converted``) and when the distributor removes it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from downline.core import events as outbox
from downline.genealogy.models import Distributor

from .mail import is_suppressed, queue_mail
from .models import Enrollment, Sequence, SequenceStep, pick

logger = logging.getLogger(__name__)

CONSUMER = "outreach.sequences"
NO_ORDER_30 = Sequence.Trigger.NO_ORDER_30.value
TRIGGER_KINDS = {
    outbox.CONTACT_SIGNED_UP,
    outbox.WEBINAR_REGISTERED,
    outbox.WEBINAR_ATTENDED,
    outbox.WEBINAR_MISSED,
    outbox.CONTACT_CONVERTED,
    outbox.MEMBER_JOINED,
}


def _contact(contact_id):
    from downline.contacts.models import Contact

    return Contact.objects.filter(pk=contact_id).select_related("owner").first()


def handle_event(event) -> None:
    """The consumer's handler (one event)."""
    kind, payload = event.kind, event.payload or {}
    if kind == outbox.CLAIM_REVIEWED:
        from .actions import on_broadcast_reviewed
        from .pages import on_claim_reviewed

        on_claim_reviewed(payload)
        on_broadcast_reviewed(payload)
        return
    if kind not in TRIGGER_KINDS:
        return
    if kind == outbox.MEMBER_JOINED:
        member = Distributor.objects.filter(member_id=payload.get("member")).first()
        if member is None or not member.email:
            return
        owner = member.sponsor or member
        for sequence in Sequence.objects.filter(active=True, trigger=kind):
            enroll(
                sequence,
                owner=owner,
                email=member.email,
                name=member.name,
                language=member.language or "en",
                member=member,
                event_id=event.pk,
                now=event.occurred_at,
            )
        return
    contact_id = payload.get("contact_id")
    if not contact_id:
        return
    contact = _contact(contact_id)
    if contact is None or not contact.email:
        return
    if kind == outbox.CONTACT_CONVERTED:
        leave(contact_id=contact.pk, reason="converted")
    for sequence in Sequence.objects.filter(active=True, trigger=kind):
        enroll(
            sequence,
            owner=contact.owner,
            email=contact.email,
            name=contact.first_name,
            language=contact.language or "en",
            contact_id=contact.pk,
            time_zone=getattr(contact, "time_zone", "") or "",
            event_id=event.pk,
            now=timezone.now(),
        )


def consume_events(batch: int = 200, seconds: float | None = None) -> int:
    """New outbox events to enrollments, for at most about ``seconds``; returns how many."""
    return outbox.consume_all(CONSUMER, handle_event, batch=batch, seconds=seconds)


def enroll(
    sequence: Sequence,
    *,
    owner: Distributor,
    email: str,
    name: str = "",
    language: str = "en",
    contact_id: int | None = None,
    member: Distributor | None = None,
    time_zone: str = "",
    event_id: int | None = None,
    now: datetime | None = None,
) -> Enrollment | None:
    """Start ``sequence`` for one address under its re-entry rule; None when not (again)."""
    now = now or timezone.now()
    email = email.strip().lower()
    if is_suppressed(email):
        return None
    earlier = Enrollment.objects.filter(sequence=sequence, email=email)
    if sequence.reentry == Sequence.Reentry.NEVER and earlier.exists():
        return None
    if sequence.reentry == Sequence.Reentry.AFTER:
        since = now - timedelta(days=sequence.reentry_days)
        if earlier.filter(started_at__gt=since).exists():
            return None
        earlier.filter(state=Enrollment.State.ACTIVE).update(
            state=Enrollment.State.LEFT, left_reason="reentered"
        )
    if sequence.reentry == Sequence.Reentry.ALWAYS:
        earlier.filter(state=Enrollment.State.ACTIVE).update(
            state=Enrollment.State.LEFT, left_reason="reentered"
        )
    first = sequence.steps.order_by("position").first()
    if first is None:
        return None
    return Enrollment.objects.create(
        sequence=sequence,
        owner=owner,
        contact_id=contact_id,
        member=member,
        email=email,
        name=name[:200],
        language=language,
        time_zone=time_zone,
        started_at=now,
        next_position=first.position,
        next_due_at=now + timedelta(minutes=first.delay_minutes),
        event_id=event_id,
    )


def leave(*, contact_id: int | None = None, email: str | None = None, reason: str) -> int:
    """End every active enrollment of a contact (or an address); returns how many."""
    active = Enrollment.objects.filter(state=Enrollment.State.ACTIVE)
    if contact_id is not None:
        active = active.filter(contact_id=contact_id)
    elif email:
        active = active.filter(email=email.strip().lower())
    else:
        return 0
    return active.update(state=Enrollment.State.LEFT, left_reason=reason, next_due_at=None)


def render(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def _condition_holds(step: SequenceStep, enrollment: Enrollment, contact) -> bool:
    if not step.condition:
        return True
    if enrollment.member is not None:
        kind = enrollment.member.kind
        if step.condition == SequenceStep.Condition.NOT_CUSTOMER:
            return kind != Distributor.Kind.CUSTOMER
        return kind != Distributor.Kind.DISTRIBUTOR
    stage = getattr(contact, "stage", "") or ""
    if step.condition == SequenceStep.Condition.NOT_CUSTOMER:
        return stage not in ("customer", "distributor")
    return stage != "distributor"


def advance_due(now: datetime | None = None, limit: int = 1000) -> int:
    """Queue the mail of every step that is due; returns how many mails were queued."""
    now = now or timezone.now()
    due = (
        Enrollment.objects.filter(state=Enrollment.State.ACTIVE, next_due_at__lte=now)
        .select_related("sequence", "owner", "member")
        .order_by("next_due_at")[:limit]
    )
    queued = 0
    for enrollment in due:
        with transaction.atomic():
            queued += _advance_one(enrollment, now)
    return queued


def _advance_one(enrollment: Enrollment, now: datetime) -> int:
    steps = {step.position: step for step in enrollment.sequence.steps.all()}
    step = steps.get(enrollment.next_position)
    contact = None
    if enrollment.contact_id is not None:
        contact = _contact(enrollment.contact_id)
        if contact is None:
            return _finish(enrollment, Enrollment.State.LEFT, "removed")
        if getattr(contact, "email_consent", "") == "withdrawn":
            return _finish(enrollment, Enrollment.State.LEFT, "unsubscribed")
    if is_suppressed(enrollment.email):
        return _finish(enrollment, Enrollment.State.LEFT, "unsubscribed")
    if step is None:
        return _finish(enrollment, Enrollment.State.FINISHED, "")
    queued = 0
    if _condition_holds(step, enrollment, contact):
        from .pages import page_url_of

        values = {
            "first_name": enrollment.name or "",
            "distributor": enrollment.owner.name,
            "page_url": page_url_of(enrollment.owner),
        }
        queue_mail(
            key=f"enr:{enrollment.pk}:{step.position}",
            to_email=enrollment.email,
            to_name=enrollment.name,
            subject=render(pick(step.content, enrollment.language, "subject"), values),
            body_text=render(pick(step.content, enrollment.language, "body"), values),
            kind="sequence",
            ref=enrollment.sequence.key,
            sender=enrollment.owner,
            contact_id=enrollment.contact_id,
            language=enrollment.language,
            time_zone=enrollment.time_zone,
            due_at=now,
        )
        queued = 1
        if contact is not None:
            _timeline(
                contact, "email_sent", {"sequence": enrollment.sequence.key, "step": step.position}
            )
    following = sorted(position for position in steps if position > step.position)
    if not following:
        _finish(enrollment, Enrollment.State.FINISHED, "")
        return queued
    nxt = steps[following[0]]
    enrollment.next_position = nxt.position
    enrollment.next_due_at = now + timedelta(minutes=nxt.delay_minutes)
    enrollment.save(update_fields=["next_position", "next_due_at"])
    return queued


def _finish(enrollment: Enrollment, state: str, reason: str) -> int:
    enrollment.state = state
    enrollment.left_reason = reason
    enrollment.next_due_at = None
    enrollment.save(update_fields=["state", "left_reason", "next_due_at"])
    return 0


def _timeline(contact, kind: str, params: dict) -> None:
    from downline.contacts.actions import do_add_timeline

    do_add_timeline(contact, kind, params)


def start_no_order_sequences(day, now: datetime | None = None) -> int:
    """The daily scan: members whose last paid order is exactly 30 days old on ``day``."""
    from downline.orders.models import Order

    sequences = list(Sequence.objects.filter(active=True, trigger=NO_ORDER_30))
    if not sequences:
        return 0
    from django.db.models import Max

    from .mail import zone

    tz = zone(None)
    start = datetime.combine(day - timedelta(days=30), datetime.min.time(), tzinfo=tz)
    end = start + timedelta(days=1)
    buyers = (
        Order.objects.filter(status=Order.Status.PAID)
        .values("buyer_id")
        .annotate(last=Max("paid_at"))
        .filter(last__gte=start, last__lt=end)
        .values_list("buyer_id", flat=True)
    )
    started = 0
    for member in Distributor.objects.filter(pk__in=list(buyers)).select_related("sponsor"):
        if not member.email:
            continue
        for sequence in sequences:
            if enroll(
                sequence,
                owner=member.sponsor or member,
                email=member.email,
                name=member.name,
                language=member.language or "en",
                member=member,
                now=now,
            ):
                started += 1
    return started
