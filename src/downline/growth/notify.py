"""Notifications: every event of the platform a member should hear about, told once.

**Producing.** Only the outbox consumer ``growth.notifications`` makes notifications from
events (``consume_events``): ``handle(event)`` writes one ``Notification`` per recipient with
the event's id; the unique (event id, recipient) makes a replayed event (a restarted worker, a
reset cursor) write nothing new. The daily radar adds one ``radar_digest`` per sponsor.

**Delivering.** ``deliver_pending()`` takes the notifications not yet delivered and, per the
recipient's preferences (``NotificationSettings``, defaults in ``DEFAULTS``), sends an e-mail
at once or marks it for the daily digest (``send_digests``) and sends a web push to each of the
member's browsers (VAPID keys from ``DOWNLINE_VAPID_PUBLIC_KEY``/``_PRIVATE_KEY``; push is off
without them). Sentences are rendered at that moment in the reader's language and time zone.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone, translation

from downline.core import events as outbox
from downline.core.models import Event
from downline.genealogy.models import Distributor

from . import texts
from .models import Notification, NotificationSettings, PushSubscription

logger = logging.getLogger(__name__)

CONSUMER = "growth.notifications"

KINDS = (
    "new_recruit",
    "first_order",
    "rank_reached",
    "commission_posted",
    "payout_sent",
    "clawback",
    "radar_digest",
    "contest_position",
    "certificate_expiring",
    "certificate_earned",
    "ticket_answered",
    "message",
    "mentor_assigned",
    "sponsor_changed",
)
EMAIL_CHOICES = ("off", "immediate", "digest")
IMMEDIATE = {
    "new_recruit",
    "rank_reached",
    "payout_sent",
    "radar_digest",
    "ticket_answered",
    "message",
    "mentor_assigned",
    "sponsor_changed",
}
PUSHED = {"new_recruit", "rank_reached", "ticket_answered", "message", "radar_digest"}
DEFAULTS: dict[str, dict] = {
    kind: {
        "in_app": True,
        "email": "immediate" if kind in IMMEDIATE else "digest",
        "push": kind in PUSHED,
    }
    for kind in KINDS
}


def preferences_of(member_pk: int, stored: NotificationSettings | None = None) -> dict[str, dict]:
    """Every kind's channels for a member: the stored choices over the defaults."""
    if stored is None:
        stored = NotificationSettings.objects.filter(member_id=member_pk).first()
    prefs = {kind: dict(value) for kind, value in DEFAULTS.items()}
    for kind, value in (stored.prefs if stored else {}).items():
        if kind in prefs and isinstance(value, dict):
            prefs[kind].update(value)
    return prefs


# --------------------------------------------------------------------------- events → rows


def _add(event: Event, recipients: Iterable[int], kind: str, params: dict) -> int:
    now = timezone.now()
    rows = [
        Notification(recipient_id=pk, kind=kind, params=params, event_id=event.pk, created_at=now)
        for pk in set(recipients)
        if pk
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)


def _sponsor_of(pk: int | None) -> Distributor | None:
    if not pk:
        return None
    member = Distributor.objects.filter(pk=pk).select_related("sponsor").first()
    return member


def handle(event: Event) -> None:
    """Turn one outbox event into its notifications (nothing for kinds nobody is told of)."""
    kind, p = event.kind, event.payload or {}
    member_pk = event.member_id
    if kind == outbox.MEMBER_JOINED:
        member = _sponsor_of(member_pk)
        if member and member.sponsor_id and p.get("kind") == "distributor":
            _add(
                event,
                [member.sponsor_id],
                "new_recruit",
                {"member": member.member_id, "name": member.name},
            )
    elif kind == outbox.ORDER_PAID:
        if p.get("customer_order") or p.get("buyer") != p.get("member"):
            return
        member = _sponsor_of(member_pk)
        if member is None or not member.sponsor_id:
            return
        from downline.orders.models import Order

        orders = Order.objects.filter(
            distributor_id=member.pk, returns_order__isnull=True, is_customer_order=False
        ).count()
        if orders == 1:
            _add(
                event,
                [member.sponsor_id],
                "first_order",
                {"member": member.member_id, "name": member.name, "pv": p.get("pv", 0)},
            )
    elif kind == outbox.RANK_ADVANCED:
        from downline.compensation.models import Run

        version = (
            Run.objects.filter(pk=p.get("run")).values_list("plan_version_id", flat=True).first()
        )
        _add(
            event,
            [member_pk],
            "rank_reached",
            {"rank": p.get("rank"), "period": p.get("period"), "version": version},
        )
    elif kind == outbox.RUN_FINISHED:
        if p.get("run_kind") == "final":
            _commissions_posted(event, p)
    elif kind == outbox.PAYOUT_SENT:
        _add(
            event,
            [member_pk],
            "payout_sent",
            {"amount": p.get("amount", 0), "currency": p.get("currency", "EUR")},
        )
    elif kind == outbox.CLAWBACK_CREATED:
        from downline.compensation.models import CommissionLine

        by_recipient = (
            CommissionLine.objects.filter(clawback_id=p.get("clawback"))
            .values("recipient_id")
            .annotate(total=Sum("amount"))
        )
        for row in by_recipient:
            _add(
                event,
                [row["recipient_id"]],
                "clawback",
                {
                    "amount": int(row["total"]),
                    "currency": p.get("currency", "EUR"),
                    "period": p.get("period"),
                },
            )
    elif kind == outbox.CONTEST_FINISHED:
        _add(
            event,
            [member_pk],
            "contest_position",
            {"contest": p.get("contest", ""), "position": p.get("position")},
        )
    elif kind in (outbox.CERTIFICATE_EXPIRING, outbox.CERTIFICATE_EARNED):
        name = (
            "certificate_expiring" if kind == outbox.CERTIFICATE_EXPIRING else "certificate_earned"
        )
        _add(
            event,
            [member_pk],
            name,
            {
                "certificate": p.get("certificate") or p.get("key", ""),
                "expires_on": p.get("expires_on"),
            },
        )
    elif kind == outbox.TICKET_ANSWERED:
        _add(event, [member_pk], "ticket_answered", {"ticket": p.get("ticket")})
    elif kind == outbox.MESSAGE_SENT:
        _add(
            event,
            [p.get("to") or member_pk],
            "message",
            {
                "message": p.get("message"),
                "from": p.get("from"),
                "from_name": p.get("from_name", ""),
            },
        )
    elif kind == outbox.MENTOR_ASSIGNED:
        mentor = (
            Distributor.objects.filter(pk=p.get("mentor")).values_list("name", flat=True).first()
        )
        _add(
            event,
            [member_pk],
            "mentor_assigned",
            {"mentor": p.get("mentor"), "mentor_name": mentor or ""},
        )
    elif kind == outbox.CLAIM_REVIEWED:
        if p.get("source_kind") == "growth.message" and p.get("decision") == "approved":
            from .actions import do_release_reviewed_message

            do_release_reviewed_message(int(p.get("source_id") or 0))
    elif kind == outbox.SPONSOR_CHANGED:
        sponsor = (
            Distributor.objects.filter(pk=p.get("new_sponsor"))
            .values_list("name", flat=True)
            .first()
        )
        _add(event, [member_pk], "sponsor_changed", {"sponsor_name": sponsor or ""})


def _commissions_posted(event: Event, p: dict) -> None:
    """One ``commission_posted`` per member paid in the final run: a single INSERT … SELECT
    over the run's results (a run may pay a million members)."""
    from downline.compensation.models import RunResult

    table = Notification._meta.db_table
    results = RunResult._meta.db_table
    if connection.vendor == "postgresql":
        params_sql = (
            "jsonb_build_object('period', %s::text, 'currency', %s::text, 'amount', r.earned)"
        )
        conflict = "ON CONFLICT (event_id, recipient_id) DO NOTHING"
        insert = "INSERT INTO"
    else:
        params_sql = "json_object('period', %s, 'currency', %s, 'amount', r.earned)"
        conflict = ""
        insert = "INSERT OR IGNORE INTO"
    with connection.cursor() as cursor:
        cursor.execute(
            f"{insert} {table} (recipient_id, kind, params, event_id, created_at, digest_pending) "
            f"SELECT r.distributor_id, 'commission_posted', {params_sql}, %s, %s, %s "
            f"FROM {results} r WHERE r.run_id = %s AND r.earned > 0 {conflict}",
            [
                p.get("period", ""),
                p.get("currency", "EUR"),
                event.pk,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                False,
                p.get("run"),
            ],
        )


def consume_events(batch: int = 500, seconds: float | None = None) -> int:
    """Turn every new outbox event into notifications (each event once), or as many as
    ``seconds`` allow (``core.events.consume_all``); returns how many events were read."""
    return outbox.consume_all(CONSUMER, handle, batch=batch, seconds=seconds)


# --------------------------------------------------------------------------- delivering


def reader_language(member: Distributor) -> str:
    user = getattr(member, "user", None)
    return (user.language if user is not None else member.language) or "en"


def reader_zone(stored: NotificationSettings | None) -> ZoneInfo:
    name = (stored.time_zone if stored else "") or settings.DOWNLINE_TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.DOWNLINE_TIME_ZONE)


def address_of(member: Distributor) -> str:
    user = getattr(member, "user", None)
    return (user.email if user is not None and user.email else "") or member.email


def render(note: Notification) -> str:
    """The sentence of a notification in the active language."""
    params = dict(note.params or {})
    if note.kind == "message" and "text" not in params:
        from .models import Message

        params["text"] = (
            Message.objects.filter(pk=params.get("message")).values_list("text", flat=True).first()
            or ""
        )
    return texts.notification_text(note.kind, params)


def _mail(member: Distributor, subject: str, body: str) -> bool:
    address = address_of(member)
    if not address:
        return False
    EmailMessage(subject, body, None, [address]).send()
    return True


def vapid_keys() -> tuple[str, str] | None:
    public = getattr(settings, "DOWNLINE_VAPID_PUBLIC_KEY", "") or ""
    private = getattr(settings, "DOWNLINE_VAPID_PRIVATE_KEY", "") or ""
    return (public, private) if public and private else None


def push_to(member_pk: int, title: str, body: str, url: str = "/growth/notifications/") -> int:
    """Send a web push to every browser of the member; returns how many accepted it."""
    keys = vapid_keys()
    if keys is None:
        return 0
    from pywebpush import WebPushException, webpush

    sent = 0
    claims_sub = getattr(settings, "DOWNLINE_VAPID_SUBJECT", "mailto:no-reply@localhost")
    for sub in PushSubscription.objects.filter(member_id=member_pk):
        try:
            webpush(
                subscription_info={
                    "endpoint": sub.endpoint,
                    "keys": {"p256dh": sub.p256dh, "auth": sub.auth},
                },
                data=json.dumps({"title": title, "body": body, "url": url}),
                vapid_private_key=keys[1],
                vapid_claims={"sub": claims_sub},
                timeout=10,
            )
            sent += 1
        except WebPushException as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            if status in (404, 410):
                sub.delete()  # the browser unsubscribed
            else:
                PushSubscription.objects.filter(pk=sub.pk).update(failures=sub.failures + 1)
            logger.warning("push to %s failed: %s", sub.endpoint[:60], error)
        except Exception as error:  # an unreachable push service must not stop delivery
            PushSubscription.objects.filter(pk=sub.pk).update(failures=sub.failures + 1)
            logger.warning("push to %s failed: %s", sub.endpoint[:60], error)
    return sent


def deliver_pending(limit: int = 5000) -> dict[str, int]:
    """E-mail (immediate), queue for the digest and push the undelivered notifications."""
    counts = {"notifications": 0, "emails": 0, "digest": 0, "pushes": 0}
    notes = list(Notification.objects.filter(delivered_at__isnull=True).order_by("id")[:limit])
    if not notes:
        return counts
    by_member: dict[int, list[Notification]] = defaultdict(list)
    for note in notes:
        by_member[note.recipient_id].append(note)
    members = Distributor.objects.select_related("user").in_bulk(list(by_member))
    stored = {
        s.member_id: s for s in NotificationSettings.objects.filter(member_id__in=list(by_member))
    }
    now = timezone.now()
    digest_ids, mailed_ids, pushed_ids = [], [], []
    for pk, items in by_member.items():
        member = members.get(pk)
        if member is None:
            continue
        prefs = preferences_of(pk, stored.get(pk) or NotificationSettings(prefs={}))
        with (
            translation.override(reader_language(member)),
            timezone.override(reader_zone(stored.get(pk))),
        ):
            for note in items:
                pref = prefs.get(note.kind, DEFAULTS.get(note.kind, {}))
                text = render(note)
                if pref.get("email") == "immediate":
                    if _mail(member, str(texts.kind_label(note.kind)), text + "\n"):
                        mailed_ids.append(note.pk)
                        counts["emails"] += 1
                elif pref.get("email") == "digest":
                    digest_ids.append(note.pk)
                    counts["digest"] += 1
                if pref.get("push") and push_to(pk, str(texts.kind_label(note.kind)), text):
                    pushed_ids.append(note.pk)
                    counts["pushes"] += 1
    with transaction.atomic():
        ids = [n.pk for n in notes]
        Notification.objects.filter(pk__in=ids).update(delivered_at=now)
        Notification.objects.filter(pk__in=mailed_ids).update(emailed_at=now)
        Notification.objects.filter(pk__in=digest_ids).update(digest_pending=True)
        Notification.objects.filter(pk__in=pushed_ids).update(pushed_at=now)
    counts["notifications"] = len(notes)
    return counts


def send_digests(limit_members: int = 10_000) -> int:
    """One e-mail per member with every notification waiting for the digest; returns the
    number of e-mails sent."""
    pending = Notification.objects.filter(digest_pending=True)
    member_pks = list(pending.values_list("recipient_id", flat=True).distinct()[:limit_members])
    members = Distributor.objects.select_related("user").in_bulk(member_pks)
    stored = {s.member_id: s for s in NotificationSettings.objects.filter(member_id__in=member_pks)}
    sent = 0
    now = timezone.now()
    for pk in member_pks:
        member = members.get(pk)
        notes = list(pending.filter(recipient_id=pk).order_by("created_at", "id"))
        if member is None or not notes:
            continue
        with (
            translation.override(reader_language(member)),
            timezone.override(reader_zone(stored.get(pk))),
        ):
            from django.utils.translation import gettext as _

            from downline.core.formatting import format_datetime

            lines = [
                f"- {format_datetime(n.created_at)} {texts.kind_label(n.kind)}: {render(n)}"
                for n in notes
            ]
            subject = _("Your daily summary")
            if _mail(member, subject, "\n".join(lines) + "\n"):
                sent += 1
        Notification.objects.filter(pk__in=[n.pk for n in notes]).update(
            digest_pending=False, emailed_at=now
        )
    return sent


def since(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
