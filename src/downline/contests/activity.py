"""The consumer ``contests.activity``: what the outbox tells the contests app.

* ``order.paid`` / ``order.returned``: running contests are marked for recomputing; a retail
  customer's order gives the credited distributor the ``customer_order`` points, and an order in a
  third consecutive month with volume the ``active_month_streak`` points (once per period);
* ``lesson.completed``, ``quiz.passed``, ``webinar.attended``, ``rank.advanced``: one more in
  the member's ``ActivityCount`` of that company-local day, and the matching points;
* ``rank.advanced`` and ``certificate.earned``: a recognition entry (shown to opted-in members);
  ``certificate.earned`` / ``certificate.revoked`` keep ``HeldCertificate`` for eligibility.

Each event is handled once: the consumer's cursor moves in the handler's transaction.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from downline.core import events as outbox
from downline.core.models import Consumer, Event
from downline.orders.models import PeriodVolume

from .actions import award_points, check_member_badges
from .models import (
    ActivityCount,
    BadgeClass,
    Contest,
    HeldCertificate,
    PointRule,
    RecognitionEntry,
)

CONSUMER = "contests.activity"
KINDS = (
    outbox.ORDER_PAID,
    outbox.ORDER_RETURNED,
    outbox.LESSON_COMPLETED,
    outbox.QUIZ_PASSED,
    outbox.WEBINAR_ATTENDED,
    outbox.RANK_ADVANCED,
    outbox.CERTIFICATE_EARNED,
    outbox.CERTIFICATE_REVOKED,
)
COUNTED = {
    outbox.LESSON_COMPLETED: (ActivityCount.Kind.LESSON, "lesson_completed"),
    outbox.QUIZ_PASSED: (ActivityCount.Kind.QUIZ, "quiz_passed"),
    outbox.WEBINAR_ATTENDED: (ActivityCount.Kind.WEBINAR, "webinar_attended"),
}
STREAK_MONTHS = 3


BATCH = 500


class _Batch:
    """What one ``consume`` call (one transaction) has done already: contests are marked for
    recomputing once, the points rules are read once."""

    def __init__(self) -> None:
        self.marked = False
        self.rules = set(
            PointRule.objects.filter(active=True, points__gt=0).values_list("key", flat=True)
        )
        self.badges = BadgeClass.objects.filter(active=True).exists()
        self.ranks: Counter[tuple[int, date]] = Counter()  # rank advancements per member, day
        self.entries: list[RecognitionEntry] = []

    def flush(self) -> None:
        """Write what was gathered in bulk (a final run brings a rank.advanced per member)."""
        RecognitionEntry.objects.bulk_create(self.entries, ignore_conflicts=True, batch_size=500)
        existing = {
            (row.member_id, row.day): row
            for row in ActivityCount.objects.filter(
                kind=ActivityCount.Kind.RANK,
                member_id__in={member for member, _day in self.ranks},
                day__in={day for _member, day in self.ranks},
            )
        }
        new = []
        for (member, day), count in self.ranks.items():
            row = existing.get((member, day))
            if row is None:
                new.append(
                    ActivityCount(
                        member_id=member, kind=ActivityCount.Kind.RANK, day=day, count=count
                    )
                )
            else:
                ActivityCount.objects.filter(pk=row.pk).update(count=F("count") + count)
        ActivityCount.objects.bulk_create(new, batch_size=500)

    def mark_dirty(self) -> None:
        if not self.marked:
            Contest.objects.filter(status=Contest.Status.PUBLISHED, dirty=False).update(dirty=True)
            self.marked = True

    def points(self, member_id: int, rule: str, *, key: str, at) -> None:
        if rule in self.rules:
            award_points(member_id, rule, key=key, at=at)


def consume_events(seconds: float | None = None) -> int:
    """Handle every new event (batches of ``BATCH``, one transaction each, the cursor moved in
    it, as ``core.events.consume`` does; the batch's bulk writes come last), or as many as
    ``seconds`` allow; returns how many."""
    total = 0
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        seen = Consumer.objects.filter(name=CONSUMER).first()
        if seen is not None and not outbox.has_pending(seen):
            return total  # nothing new: no lock taken (every board poll asks)
        with transaction.atomic():
            consumer = outbox.consumer_locked(CONSUMER)
            events = list(outbox.pending(consumer)[:BATCH])
            batch = _Batch()
            for event in events:
                handle(event, batch)
            batch.flush()
            if events:
                consumer.cursor_tx, consumer.cursor_id = events[-1].tx, events[-1].pk
                consumer.save(update_fields=["cursor_tx", "cursor_id", "updated_at"])
        total += len(events)
        if len(events) < BATCH or (deadline is not None and time.monotonic() >= deadline):
            return total


def _count(member_id: int, kind: str, day) -> None:
    row, created = ActivityCount.objects.get_or_create(
        member_id=member_id, kind=kind, day=day, defaults={"count": 1}
    )
    if not created:
        ActivityCount.objects.filter(pk=row.pk).update(count=F("count") + 1)


def handle(event: Event, batch: _Batch) -> None:
    kind = event.kind
    member_id = event.member_id
    if kind in (outbox.ORDER_PAID, outbox.ORDER_RETURNED):
        batch.mark_dirty()
        if kind == outbox.ORDER_PAID and member_id:
            if event.payload.get("customer_order"):
                batch.points(
                    member_id, "customer_order", key=f"event:{event.pk}", at=event.occurred_at
                )
            if "active_month_streak" in batch.rules:
                _streak(member_id, event)
        return
    if kind not in KINDS:
        return
    if member_id is None:
        return
    day = timezone.localdate(event.occurred_at)
    if kind == outbox.RANK_ADVANCED:
        batch.ranks[(member_id, day)] += 1
        batch.entries.append(
            RecognitionEntry(
                key=f"event:{event.pk}",
                member_id=member_id,
                kind=RecognitionEntry.Kind.RANK,
                occurred_on=day,
                params={
                    "rank": event.payload.get("rank", ""),
                    "period": event.payload.get("period", ""),
                },
            )
        )
        batch.mark_dirty()
    elif kind in COUNTED:
        counter, rule = COUNTED[kind]
        _count(member_id, counter, day)
        if rule:
            batch.points(member_id, rule, key=f"event:{event.pk}", at=event.occurred_at)
        if batch.badges and counter in (ActivityCount.Kind.LESSON, ActivityCount.Kind.WEBINAR):
            check_member_badges(member_id)
        batch.mark_dirty()
    if kind == outbox.CERTIFICATE_EARNED:
        key = str(event.payload.get("key") or "")
        if key:
            expires = event.payload.get("expires_on")
            HeldCertificate.objects.update_or_create(
                member_id=member_id,
                key=key,
                defaults={
                    "earned_on": day,
                    "expires_on": date.fromisoformat(expires) if expires else None,
                    "revoked": False,
                },
            )
            RecognitionEntry.objects.get_or_create(
                key=f"event:{event.pk}",
                defaults={
                    "member_id": member_id,
                    "kind": RecognitionEntry.Kind.CERTIFICATE,
                    "occurred_on": day,
                    "params": {"certificate": key},
                },
            )
    elif kind == outbox.CERTIFICATE_REVOKED:
        key = str(event.payload.get("key") or "")
        HeldCertificate.objects.filter(member_id=member_id, key=key).update(revoked=True)


def _streak(member_id: int, event: Event) -> None:
    """Points once per period when the member has volume in this period and in the
    ``STREAK_MONTHS - 1`` periods before it."""
    code = str(event.payload.get("period") or "")
    if not code:
        return
    volumes = list(
        PeriodVolume.objects.filter(distributor_id=member_id)
        .order_by("-period__starts_at")
        .values_list("period__code", "pv")[:STREAK_MONTHS]
    )
    if len(volumes) < STREAK_MONTHS or volumes[0][0] != code:
        return
    if all(pv > 0 for _code, pv in volumes):
        award_points(
            member_id, "active_month_streak", key=f"streak:{member_id}:{code}", at=event.occurred_at
        )
