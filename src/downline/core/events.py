"""The outbox: what happened, recorded by actions, read once by each consumer (rule 11).

Writing. An action calls ``record_event(kind, payload, member_id=...)`` (or ``record_events``
for many at once) inside its own transaction: the event exists exactly when the action's
writes do; an action that rolls back leaves no event. ``payload`` holds ids, keys, dates and
numbers that JSON can carry, never sentences (rule 12); a receiver renders words itself.

Reading. ``consume(name, handler, batch=...)`` hands the consumer ``name`` the events after
its cursor, one by one, and moves the cursor in the same transaction as the handler's writes:
a handler that raises rolls back its writes and the cursor, and the same events come again
next time. Each event is handled once per consumer.

Order without gaps. Events are read in ``(tx, id)`` order, where ``tx`` is the id of the
writing transaction on PostgreSQL (64 bits, ``pg_current_xact_id()``), and only from
transactions older than every transaction still running in this database (``visible``). Ids alone
would not do: two orders written at once may commit in the other order than their ids, and a
cursor that has passed id 6 would never see id 5 commit. Within one transaction events come in
id order. On SQLite writers run one at a time, ``tx`` is 0 and the order is the id order.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, models, transaction
from django.db.models.expressions import Expression, RawSQL
from django.utils import timezone

from .models import Consumer, Event

logger = logging.getLogger(__name__)

# The kinds of event and what their payloads hold: docs/webhooks.md, "Event kinds".
MEMBER_JOINED = "member.joined"
ORDER_PAID = "order.paid"
ORDER_RETURNED = "order.returned"
RANK_ADVANCED = "rank.advanced"
RUN_FINISHED = "run.finished"
PAYOUT_SENT = "payout.sent"
CLAWBACK_CREATED = "clawback.created"

# the distributor's tools (academy, contacts, outreach, growth, contests, support): payloads in
# each app's docs (docs/<app>.md)
LESSON_COMPLETED = "lesson.completed"
QUIZ_PASSED = "quiz.passed"
QUIZ_FAILED = "quiz.failed"
CERTIFICATE_EARNED = "certificate.earned"
CERTIFICATE_EXPIRING = "certificate.expiring"
CERTIFICATE_REVOKED = "certificate.revoked"
CONTACT_SIGNED_UP = "contact.signed_up"
CONTACT_CONVERTED = "contact.converted"
WEBINAR_REGISTERED = "webinar.registered"
WEBINAR_ATTENDED = "webinar.attended"
WEBINAR_MISSED = "webinar.missed"
MESSAGE_SENT = "message.sent"
MENTOR_ASSIGNED = "mentor.assigned"
SPONSOR_CHANGED = "sponsor.changed"
CONTEST_FINISHED = "contest.finished"
BADGE_AWARDED = "badge.awarded"
TICKET_OPENED = "ticket.opened"
TICKET_ANSWERED = "ticket.answered"
DISPUTE_OPENED = "dispute.opened"
DISPUTE_RESOLVED = "dispute.resolved"
CLAIM_REVIEWED = "claim.reviewed"

PLATFORM_KINDS: tuple[str, ...] = (
    MEMBER_JOINED,
    ORDER_PAID,
    ORDER_RETURNED,
    RANK_ADVANCED,
    RUN_FINISHED,
    PAYOUT_SENT,
    CLAWBACK_CREATED,
)
TOOL_KINDS: tuple[str, ...] = (
    LESSON_COMPLETED,
    QUIZ_PASSED,
    QUIZ_FAILED,
    CERTIFICATE_EARNED,
    CERTIFICATE_EXPIRING,
    CERTIFICATE_REVOKED,
    CONTACT_SIGNED_UP,
    CONTACT_CONVERTED,
    WEBINAR_REGISTERED,
    WEBINAR_ATTENDED,
    WEBINAR_MISSED,
    MESSAGE_SENT,
    MENTOR_ASSIGNED,
    SPONSOR_CHANGED,
    CONTEST_FINISHED,
    BADGE_AWARDED,
    TICKET_OPENED,
    TICKET_ANSWERED,
    DISPUTE_OPENED,
    DISPUTE_RESOLVED,
    CLAIM_REVIEWED,
)
KINDS: tuple[str, ...] = PLATFORM_KINDS + TOOL_KINDS

Handler = Callable[[Event], None]


class EventError(ValueError):
    """An event that cannot be recorded (unknown kind, a payload JSON cannot carry)."""


class _CurrentTransaction(Expression):
    """The writing transaction's id: ``pg_current_xact_id()`` on PostgreSQL, 0 elsewhere."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection):
        return "0", []

    def as_postgresql(self, compiler, connection):
        return "(pg_current_xact_id()::text::bigint)", []


def _check(kind: str, payload: Mapping[str, Any]) -> None:
    if kind not in KINDS:
        raise EventError(f"unknown event kind {kind!r}; known kinds: {', '.join(KINDS)}")
    for key, value in payload.items():
        if not isinstance(key, str):
            raise EventError(f"event {kind}: payload key {key!r} is not a string")
        if isinstance(value, float):
            raise EventError(
                f"event {kind}: payload field {key!r} is a float; "
                "use integers (minor units, basis points)"
            )
        if not (value is None or isinstance(value, str | int | bool | list)):
            raise EventError(
                f"event {kind}: payload field {key!r} holds a {type(value).__name__}; "
                "only ids, keys, numbers, booleans and lists of them"
            )


def record_event(
    kind: str,
    payload: Mapping[str, Any],
    *,
    member_id: int | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """Write one event of ``kind`` into the outbox, inside the caller's transaction.

    ``member_id`` is the primary key of the distributor the event is about (webhooks keep each
    member's events in order); ``occurred_at`` defaults to now."""
    return record_events(kind, [(member_id, payload)], occurred_at=occurred_at)[0]


def record_events(
    kind: str,
    items: Iterable[tuple[int | None, Mapping[str, Any]]],
    *,
    occurred_at: datetime | None = None,
) -> list[Event]:
    """Write many events of ``kind`` (``(member_id, payload)`` pairs) in one insert and return
    them; from ``COPY_FROM`` events on PostgreSQL they are copied and the list is empty (no
    model object is built for each of hundreds of thousands of events)."""
    at = occurred_at or timezone.now()
    pairs = [(member_id, dict(payload)) for member_id, payload in items]
    for _member_id, payload in pairs:
        _check(kind, payload)
    if not pairs:
        return []
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        logger.warning("event %s recorded outside a transaction", kind)
    if len(pairs) >= COPY_FROM and connection.vendor == "postgresql":
        _copy_events(kind, at, pairs)
        return []
    events = [
        Event(
            kind=kind,
            occurred_at=at,
            member_id=member_id,
            payload=payload,
            tx=_CurrentTransaction(),
        )
        for member_id, payload in pairs
    ]
    return Event.objects.bulk_create(events, batch_size=2000)


COPY_FROM = 5_000
"""From this many events of one call on, they are written with one binary ``COPY`` (a final
run's ``rank.advanced`` events: hundreds of thousands in a company's first period)."""


def _copy_events(kind: str, at: datetime, pairs: list[tuple[int | None, dict]]) -> None:
    """Write the events ``pairs`` (all of ``kind`` at ``at``, in this transaction) with
    ``COPY``; their ``tx`` is this transaction's id, read once."""
    from .bulk_sql import Const, Packed, insert_rows

    with transaction.get_connection().cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        (tx,) = cursor.fetchone()
    # binary jsonb: a version byte (1), then the JSON text
    payloads = [b"\x01" + json.dumps(payload).encode() for _member, payload in pairs]
    members = np.ma.masked_array(
        [member or 0 for member, _payload in pairs],
        mask=[member is None for member, _payload in pairs],
        dtype=np.int64,
    )
    insert_rows(
        Event,
        {
            "kind": Const(kind),
            "occurred_at": Const(at),
            "member_id": members,
            "payload": Packed(
                lengths=np.fromiter(map(len, payloads), dtype=np.int64, count=len(payloads)),
                data=np.frombuffer(b"".join(payloads), dtype=np.uint8),
            ),
            "tx": Const(tx),
        },
        len(pairs),
    )


# The horizon of this database: the oldest transaction still running that may write here, or the
# first transaction id not yet handed out when none runs. A running transaction counts unless
# ``pg_stat_activity`` shows it belongs to a backend of another database (its 32-bit
# ``backend_xid`` equals the id's low 32 bits): a long transaction elsewhere on the server
# cannot write this outbox, so it does not hold the consumers back. What cannot be seen (a
# transaction that ended since the snapshot, or another role's backend hidden from a
# non-superuser) counts, so the horizon is never later than ``pg_snapshot_xmin``'s rule allows
# for this database's own transactions.
_HORIZON = """(
    SELECT coalesce(
        (
            SELECT min(running.xid::text::bigint)
            FROM pg_snapshot_xip(snap.s) AS running(xid)
            WHERE NOT EXISTS (
                SELECT 1 FROM pg_stat_activity AS other
                WHERE other.datname IS DISTINCT FROM current_database()
                  AND other.backend_xid IS NOT NULL
                  AND other.backend_xid::text::bigint = mod(running.xid::text::bigint, 4294967296)
            )
        ),
        pg_snapshot_xmax(snap.s)::text::bigint
    )
    FROM (SELECT pg_current_snapshot() AS s) AS snap
)"""


def visible() -> models.QuerySet[Event]:
    """Events of finished transactions only (see the module docstring and ``_HORIZON``)."""
    events = Event.objects.all()
    if transaction.get_connection().vendor == "postgresql":
        events = events.filter(tx__lt=RawSQL(_HORIZON, []))
    return events


def consumer_locked(name: str) -> Consumer:
    """The cursor row of consumer ``name``, made on first use, locked for this transaction."""
    if not Consumer.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Consumer.objects.create(name=name)
        except IntegrityError:
            pass  # another process made it first
    return Consumer.objects.select_for_update().get(name=name)


def pending(consumer: Consumer) -> models.QuerySet[Event]:
    """The events after ``consumer``'s cursor, in the order they are handled.

    The cursor is compared as a row, ``(tx, id) > (cursor_tx, cursor_id)``, which enters the
    (tx, id) index at the cursor. Written as ``tx > t OR (tx = t AND id > i)`` the index is
    read from the first event and filtered, every tick of every consumer (0.3–0.4 s at two
    million events, most of them in a final run's one transaction)."""
    table = connection.ops.quote_name(Event._meta.db_table)
    after = RawSQL(
        f"({table}.tx, {table}.id) > (%s, %s)",
        [consumer.cursor_tx, consumer.cursor_id],
        output_field=models.BooleanField(),
    )
    return visible().filter(after).order_by("tx", "id")


def consume(name: str, handler: Handler, *, batch: int = 500) -> int:
    """Hand up to ``batch`` events after the cursor of consumer ``name`` to ``handler`` one
    by one and move the cursor past them, all in one transaction; return how many.

    Two calls for the same consumer wait for each other (the cursor row is locked), so an
    event is never handled twice; a handler that raises rolls everything back and the
    exception goes to the caller."""
    if batch < 1:
        raise ValueError(f"consume({name!r}): batch must be at least 1, not {batch}")
    with transaction.atomic():
        consumer = consumer_locked(name)
        events = list(pending(consumer)[:batch])
        for event in events:
            handler(event)
        if events:
            consumer.cursor_tx, consumer.cursor_id = events[-1].tx, events[-1].pk
            consumer.save(update_fields=["cursor_tx", "cursor_id", "updated_at"])
    return len(events)


def consume_all(
    name: str, handler: Handler, *, batch: int = 500, seconds: float | None = None
) -> int:
    """``consume`` until nothing is left; one transaction per batch. Returns the total.

    With ``seconds``, no new batch starts once that many seconds have passed: a periodic task
    leaves the rest of a large backlog (a final run's hundreds of thousands of events) to its
    next run, so the worker is free for the jobs queued meanwhile."""
    total = 0
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        handled = consume(name, handler, batch=batch)
        total += handled
        if handled < batch or (deadline is not None and time.monotonic() >= deadline):
            return total


def has_pending(consumer: Consumer) -> bool:
    """Whether an event waits after ``consumer``'s cursor. Read in index order: for an
    unordered ``EXISTS`` PostgreSQL expects many rows to match and scans the whole table."""
    return pending(consumer).values_list("id", flat=True).first() is not None


def skip_pending(name: str) -> int:
    """Move consumer ``name``'s cursor past every visible event without handling them (for a
    consumer with nothing to do, such as webhooks without a subscription); returns how many
    events were passed over."""
    with transaction.atomic():
        consumer = consumer_locked(name)
        events = pending(consumer)
        last = events.values_list("tx", "id").last()
        if last is None:
            return 0
        skipped = events.count()
        consumer.cursor_tx, consumer.cursor_id = last
        consumer.save(update_fields=["cursor_tx", "cursor_id", "updated_at"])
    return skipped
