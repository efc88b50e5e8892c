"""Delivering events to webhook subscriptions.

1. **Queue.** The outbox consumer ``webhooks`` (``queue_events``) turns each new event into one
   ``Delivery`` per enabled subscription that wants its kind, due at once. A subscription that
   is disabled when the event is read gets nothing for it.
2. **Send.** ``deliver_due`` POSTs each due delivery as JSON, signed per Standard Webhooks
   (``signing``), and logs the answer (``Attempt``). A 2xx answer delivers it; anything else
   (another code, a redirect, a refused connection, no answer within ``TIMEOUT`` seconds) is a
   failure. At least once: a delivery is claimed for ``LEASE`` before the request, so a worker
   that dies mid-request leaves it to be sent again when the lease ends.
3. **Order per member.** A delivery waits while an earlier delivery (lower id) of the same
   subscription about the same member is still pending; events without a member do not wait.
4. **Backoff.** After the n-th failed attempt the next one is ``BACKOFF[n-1]`` later (the last
   step repeats), but never later than ``GIVE_UP_AFTER`` (three days) after the delivery was
   queued; a failure at or after that moment gives the delivery up (status ``failed``).
5. **Disable.** A subscription's ``failing_since`` is its first failure since its last
   success; a failure ``DISABLE_AFTER`` (three days) or more after it disables the
   subscription, once, and e-mails every active admin-role staff member with an address; the
   console shows a banner until an admin enables it again.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from downline.accounts.models import User
from downline.accounts.staff import ADMIN
from downline.core.events import consume_all, skip_pending
from downline.core.models import Event
from downline.core.outbound import opener

from .models import Attempt, Delivery, Subscription
from .signing import headers

logger = logging.getLogger(__name__)

CONSUMER = "webhooks"
BACKOFF: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
GIVE_UP_AFTER = timedelta(days=3)
DISABLE_AFTER = timedelta(days=3)
TIMEOUT = 10.0  # seconds to wait for an answer
LEASE = timedelta(seconds=60)  # a claimed delivery is not sent by another worker before this
EXCERPT = 1000  # characters of a response kept in the log
USER_AGENT = "Downline-Webhooks/1"


def message_id(event: Event) -> str:
    """``webhook-id``: the event's id, the same on every retry and replay."""
    return f"evt_{event.pk}"


def body_of(event: Event) -> bytes:
    """The JSON body: ``{"id", "type", "timestamp", "data"}`` (Standard Webhooks' shape)."""
    occurred = event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    document = {
        "id": message_id(event),
        "type": event.kind,
        "timestamp": occurred,
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def backoff(failed_attempts: int) -> timedelta:
    """The wait after the ``failed_attempts``-th failure in a row (1-based)."""
    return BACKOFF[min(failed_attempts, len(BACKOFF)) - 1]


# --- 1. queue -------------------------------------------------------------------------------


def queue_events(batch: int = 500, seconds: float | None = None) -> int:
    """Read the outbox and queue a delivery of each new event to every enabled subscription
    that wants it, for at most about ``seconds`` (``core.events.consume_all``); returns how
    many events were read. Without an enabled subscription the events are passed over in one
    step: a subscription receives the events that occur after it is made."""
    subscriptions = list(Subscription.objects.filter(enabled=True))
    if not subscriptions:
        return skip_pending(CONSUMER)

    def handle(event: Event) -> None:
        now = timezone.now()
        Delivery.objects.bulk_create(
            Delivery(
                event=event,
                subscription=subscription,
                member_id=event.member_id,
                created_at=now,
                next_attempt_at=now,
            )
            for subscription in subscriptions
            if subscription.wants(event.kind)
        )

    return consume_all(CONSUMER, handle, batch=batch)


# --- 2. send --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What one request got back."""

    status_code: int | None
    response: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer that is not 2xx: a failure


_opener = opener(_NoRedirects)  # public addresses only: see ``core.outbound``


def post(url: str, body: bytes, signed: dict[str, str]) -> Answer:
    """POST ``body`` to ``url`` with the signature headers; never raises for the network."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"content-type": "application/json", "user-agent": USER_AGENT, **signed},
    )
    started = time.perf_counter()
    code, text, error = None, b"", ""
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            code, text = response.status, response.read(EXCERPT * 4)
    except urllib.error.HTTPError as failure:
        code, text = failure.code, failure.read(EXCERPT * 4)
        failure.close()
    except (urllib.error.URLError, OSError, ValueError) as failure:
        reason = getattr(failure, "reason", failure)
        error = f"{type(failure).__name__}: {reason}"[:300]
    duration = round((time.perf_counter() - started) * 1000)
    excerpt = text.decode("utf-8", "replace")[:EXCERPT]
    return Answer(code, excerpt, error, max(0, duration))


def _due(now: datetime):
    earlier_pending = Delivery.objects.filter(
        subscription=OuterRef("subscription"),
        member_id=OuterRef("member_id"),
        status=Delivery.Status.PENDING,
        id__lt=OuterRef("id"),
    )
    return (
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            subscription__enabled=True,
        )
        .exclude(Exists(earlier_pending))
        .select_related("event", "subscription")
        .order_by("id")
    )


def _claim(delivery: Delivery, now: datetime) -> bool:
    """Take ``delivery`` for this worker until the lease ends; False when another worker
    took it or it changed since it was read."""
    return bool(
        Delivery.objects.filter(
            pk=delivery.pk,
            status=Delivery.Status.PENDING,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
        ).update(next_attempt_at=now + LEASE)
    )


def deliver_due(now: datetime | None = None, *, limit: int = 100) -> int:
    """Send up to ``limit`` deliveries that are due; return how many were attempted."""
    now = now or timezone.now()
    attempted = 0
    for delivery in list(_due(now)[:limit]):
        if not _claim(delivery, now):
            continue
        send(delivery)
        attempted += 1
    return attempted


def send(delivery: Delivery) -> Answer:
    """One attempt of ``delivery`` now, logged, with its consequences (see the module)."""
    event, subscription = delivery.event, delivery.subscription
    body = body_of(event)
    at = timezone.now()
    signed = headers(subscription.secret, message_id(event), int(at.timestamp()), body)
    answer = post(subscription.url, body, signed)
    _record(delivery, answer, at)
    return answer


def _record(delivery: Delivery, answer: Answer, at: datetime) -> None:
    with transaction.atomic():
        delivery.attempts += 1
        Attempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            at=at,
            status_code=answer.status_code,
            response=answer.response,
            error=answer.error,
            duration_ms=answer.duration_ms,
        )
        delivery.last_attempt_at = at
        delivery.last_status_code = answer.status_code
        delivery.last_response = answer.response
        delivery.last_error = answer.error
        delivery.last_duration_ms = answer.duration_ms
        if answer.ok:
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = at
            delivery.next_attempt_at = None
            Subscription.objects.filter(
                pk=delivery.subscription_id, failing_since__isnull=False
            ).update(failing_since=None)
        else:
            deadline = delivery.created_at + GIVE_UP_AFTER
            if at >= deadline:
                delivery.status = Delivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = min(at + backoff(delivery.attempts), deadline)
            _note_failure(delivery.subscription_id, at)
        delivery.save()


# --- 5. disable -----------------------------------------------------------------------------


def _note_failure(subscription_id: int, at: datetime) -> None:
    Subscription.objects.filter(pk=subscription_id, failing_since__isnull=True).update(
        failing_since=at
    )
    disabled = Subscription.objects.filter(
        pk=subscription_id, enabled=True, failing_since__lte=at - DISABLE_AFTER
    ).update(enabled=False, disabled_at=at, disabled_automatically=True)
    if disabled:
        logger.warning(
            "webhook subscription %s disabled after %s of failures", subscription_id, DISABLE_AFTER
        )
        transaction.on_commit(lambda: notify_staff(subscription_id))


def admin_staff() -> list[User]:
    """Active staff with the admin role (or superusers) who have an e-mail address."""
    return list(
        User.objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__name=ADMIN))
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def notify_staff(subscription_id: int) -> int:
    """E-mail each admin that subscription ``subscription_id`` was disabled, in their own
    language; returns how many were told."""
    subscription = Subscription.objects.get(pk=subscription_id)
    last = (
        Delivery.objects.filter(subscription=subscription, attempts__gt=0)
        .order_by("-last_attempt_at")
        .first()
    )
    told = 0
    for user in admin_staff():
        with translation.override(user.language):
            context = {
                "subscription": subscription,
                "last": last,
                "company": settings.DOWNLINE_COMPANY_NAME,
                "days": DISABLE_AFTER.days,
            }
            subject = render_to_string("webhooks/emails/disabled_subject.txt", context).strip()
            body = render_to_string("webhooks/emails/disabled_body.txt", context)
        send_mail(subject, body, None, [user.email])
        told += 1
    return told


def run(
    now: datetime | None = None, *, rounds: int = 20, seconds: float | None = None
) -> dict[str, int]:
    """Queue new events (for at most about ``seconds``), then send what is due, round after
    round while something was sent (a member's next event becomes due once the previous one is
    delivered)."""
    queued = queue_events(seconds=seconds)
    attempted = 0
    for _round in range(rounds):
        sent = deliver_due(now)
        attempted += sent
        if not sent:
            break
    return {"events": queued, "attempts": attempted}
