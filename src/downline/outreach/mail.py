"""Outbound e-mail, sent at most once.

**Rows.** Every e-mail is an ``OutboundMail`` row with a unique idempotency key (``queue_mail``
returns the existing row for a key it has seen: a sequence step, a reminder or a broadcast
queued twice is one mail). Its state moves ``queued → sending → sent | failed | suppressed``.

**Workers.** ``dispatch_batch`` claims up to ``batch`` due rows in one transaction
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never claim the same row; on
SQLite writers run one at a time) and marks them ``sending`` under a ``MailClaim`` (host, process,
heartbeat). Then, for each mail, it first commits ``send_started_at`` and only then hands the
message to the SMTP server, and commits ``sent`` after the server accepted it.

**A worker killed mid-batch.** Its claim is dead when its process is gone (same host) or its
heartbeat is older than ``DOWNLINE_MAIL_CLAIM_STALE_SECONDS`` (default 120). The next worker
re-checks a dead claim's rows:

* ``send_started_at`` empty: the mail never reached the SMTP server; it goes back to ``queued``
  and is sent by the next batch;
* ``send_started_at`` set: the worker died between starting the send and recording it; the
  server may or may not have taken it. We choose **at most once**: the row becomes ``failed``
  with the reason and is never sent again automatically (staff see it in the console's sent log).

So a killed worker can leave at most one mail in doubt (the one in flight), never a duplicate.

**Before sending** each claimed mail is checked again: a suppressed address (bounce, complaint,
unsubscribe) → ``suppressed``; quiet hours in the recipient's time zone
(``DOWNLINE_QUIET_HOURS``, default ``(21, 8)``) → back to ``queued``, due at the end of the quiet
hours; the distributor's daily cap (``DOWNLINE_MAIL_CAP_PER_DAY``, default 200, counted per
company-local day) → back to ``queued``, due the next day. Transactional mails (confirmations,
webinar reminders) skip quiet hours and caps.

**Headers.** From the company's address (``DOWNLINE_MAIL_FROM``) with the distributor's name,
Reply-To the distributor; RFC 8058 one-click unsubscribe (``List-Unsubscribe`` with an https
URL and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``); ``X-Downline-Key`` the
idempotency key.
"""

from __future__ import annotations

import email.policy
import logging
import os
import smtplib
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from email.utils import formataddr, make_msgid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import mail as django_mail
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from .models import MailClaim, OutboundMail, Suppression

logger = logging.getLogger(__name__)

State = OutboundMail.State
UNSUBSCRIBE_SALT = "downline.outreach.unsubscribe"
LOST_IN_FLIGHT = "worker lost while sending; not retried (at most once)"


# --------------------------------------------------------------------------- settings


def mail_from() -> str:
    return getattr(settings, "DOWNLINE_MAIL_FROM", "no-reply@example.com")


def quiet_hours() -> tuple[int, int]:
    start, end = getattr(settings, "DOWNLINE_QUIET_HOURS", (21, 8))
    return int(start), int(end)


def cap_per_day() -> int:
    return int(getattr(settings, "DOWNLINE_MAIL_CAP_PER_DAY", 200))


def site_url() -> str:
    return getattr(settings, "DOWNLINE_SITE_URL", "https://localhost:8000").rstrip("/")


def stale_seconds() -> int:
    return int(getattr(settings, "DOWNLINE_MAIL_CLAIM_STALE_SECONDS", 120))


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.DOWNLINE_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.DOWNLINE_TIME_ZONE)


# --------------------------------------------------------------------------- rules


def quiet_until(moment: datetime, time_zone: str | None) -> datetime | None:
    """The end of the quiet hours ``moment`` falls in (recipient's local time), or None."""
    start, end = quiet_hours()
    if start == end:
        return None
    tz = zone(time_zone)
    local = moment.astimezone(tz)
    hour = local.hour
    if start > end:  # wraps midnight, e.g. 21–8
        if hour >= start:
            day = local.date() + timedelta(days=1)
        elif hour < end:
            day = local.date()
        else:
            return None
    else:
        if not (start <= hour < end):
            return None
        day = local.date()
    return datetime.combine(day, dtime(end), tzinfo=tz)


def next_company_day(moment: datetime) -> datetime:
    tz = zone(None)
    local = moment.astimezone(tz)
    return datetime.combine(local.date() + timedelta(days=1), dtime(0), tzinfo=tz)


def company_day_start(moment: datetime) -> datetime:
    tz = zone(None)
    return datetime.combine(moment.astimezone(tz).date(), dtime(0), tzinfo=tz)


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email=email.strip().lower()).exists()


# --------------------------------------------------------------------------- queueing


@dataclass
class Attachment:
    name: str
    content_type: str
    content: str


def queue_mail(
    *,
    key: str,
    to_email: str,
    subject: str,
    body_text: str,
    kind: str,
    sender=None,
    contact_id: int | None = None,
    to_name: str = "",
    language: str = "en",
    time_zone: str = "",
    ref: str = "",
    body_html: str = "",
    due_at: datetime | None = None,
    transactional: bool = False,
    attachment: Attachment | None = None,
) -> OutboundMail:
    """Queue one e-mail under ``key``; a key seen before returns that mail unchanged."""
    existing = OutboundMail.objects.filter(key=key).first()
    if existing is not None:
        return existing
    email = to_email.strip().lower()
    row = OutboundMail(
        key=key,
        sender=sender,
        contact_id=contact_id,
        to_email=email,
        to_name=to_name[:200],
        language=language,
        time_zone=time_zone,
        kind=kind,
        ref=ref[:100],
        transactional=transactional,
        subject=subject[:300],
        body_text=body_text,
        body_html=body_html,
        due_at=due_at or timezone.now(),
        state=State.SUPPRESSED if is_suppressed(email) else State.QUEUED,
    )
    if attachment is not None:
        row.attachment_name = attachment.name
        row.attachment_type = attachment.content_type
        row.attachment_content = attachment.content
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return OutboundMail.objects.get(key=key)
    return row


def queue_many(rows: list[OutboundMail]) -> int:
    """Insert many prepared rows at once, skipping keys already queued; returns how many
    were new (a broadcast to thousands, the benchmark)."""
    keys = [row.key for row in rows]
    seen = set(OutboundMail.objects.filter(key__in=keys).values_list("key", flat=True))
    suppressed = set(
        Suppression.objects.filter(email__in={row.to_email for row in rows}).values_list(
            "email", flat=True
        )
    )
    fresh = []
    for row in rows:
        if row.key in seen:
            continue
        seen.add(row.key)
        if row.to_email in suppressed:
            row.state = State.SUPPRESSED
        fresh.append(row)
    OutboundMail.objects.bulk_create(fresh, batch_size=2000, ignore_conflicts=True)
    return len(fresh)


# --------------------------------------------------------------------------- unsubscribing


def unsubscribe_token(mail: OutboundMail) -> str:
    return signing.dumps(mail.pk, salt=UNSUBSCRIBE_SALT, compress=True)


def mail_for_token(token: str) -> OutboundMail | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return OutboundMail.objects.filter(pk=pk).first()


def unsubscribe_url(mail: OutboundMail) -> str:
    return site_url() + reverse("outreach:unsubscribe", args=[unsubscribe_token(mail)])


def do_suppress(email: str, reason: str, detail: str = "") -> Suppression:
    """Put ``email`` on the suppression list; queued mails to it become ``suppressed``."""
    email = email.strip().lower()
    with transaction.atomic():
        row, _created = Suppression.objects.get_or_create(
            email=email, defaults={"reason": reason, "detail": detail[:300]}
        )
        OutboundMail.objects.filter(to_email=email, state=State.QUEUED).update(
            state=State.SUPPRESSED
        )
    return row


# --------------------------------------------------------------------------- building


class OutreachMessage(django_mail.EmailMultiAlternatives):
    """Headers are folded at 250 characters, not 78: Python's e-mail package would otherwise
    RFC 2047-encode a ``List-Unsubscribe`` URL it cannot fold, and mail clients would not find
    the one-click address (RFC 8058)."""

    def message(self, *, policy=email.policy.default):
        if policy.max_line_length is not None and policy.max_line_length < HEADER_LINE:
            policy = policy.clone(max_line_length=HEADER_LINE)
        return super().message(policy=policy)


HEADER_LINE = 250


def build_message(mail: OutboundMail) -> django_mail.EmailMultiAlternatives:
    sender = mail.sender
    company = getattr(settings, "DOWNLINE_COMPANY_NAME", "Downline")
    display = f"{sender.name} · {company}" if sender is not None and sender.name else company
    headers = {"X-Downline-Key": mail.key, "Message-ID": make_msgid(domain=_domain())}
    body = mail.body_text
    if not mail.transactional:
        url = unsubscribe_url(mail)
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        with override(mail.language):
            body = f"{body}\n\n--\n{gettext('Unsubscribe')}: {url}\n"
    reply_to = [sender.email] if sender is not None and sender.email else []
    message = OutreachMessage(
        subject=mail.subject,
        body=body,
        from_email=formataddr((display, mail_from())),
        to=[formataddr((mail.to_name, mail.to_email)) if mail.to_name else mail.to_email],
        reply_to=reply_to,
        headers=headers,
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    if mail.attachment_name:
        message.attach(mail.attachment_name, mail.attachment_content, mail.attachment_type)
    return message


def _domain() -> str:
    return mail_from().rpartition("@")[2] or "localhost"


# --------------------------------------------------------------------------- claims


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim_dead(claim: MailClaim, now: datetime, host: str, own: set[int]) -> bool:
    if claim.host == host:
        if claim.pid == os.getpid():
            return claim.pk not in own
        if not _pid_alive(claim.pid):
            return True
    return claim.heartbeat_at < now - timedelta(seconds=stale_seconds())


_OWN_CLAIMS: set[int] = set()


def recover_dead_claims(now: datetime | None = None) -> tuple[int, int]:
    """Re-check the claims of workers that are gone (see the module docstring). Returns
    (mails put back in the queue, mails failed as in doubt)."""
    now = now or timezone.now()
    host = socket.gethostname()
    requeued = failed = 0
    for claim in MailClaim.objects.filter(finished_at=None, recovered_at=None):
        if not _claim_dead(claim, now, host, _OWN_CLAIMS):
            continue
        with transaction.atomic():
            locked = (
                MailClaim.objects.select_for_update().filter(pk=claim.pk, recovered_at=None).first()
            )
            if locked is None:
                continue
            mails = OutboundMail.objects.filter(claim=locked, state=State.SENDING)
            requeued += mails.filter(send_started_at=None).update(state=State.QUEUED, claim=None)
            failed += mails.exclude(send_started_at=None).update(
                state=State.FAILED, error=LOST_IN_FLIGHT
            )
            locked.recovered_at = now
            locked.save(update_fields=["recovered_at"])
        logger.warning(
            "Recovered mail claim %s of %s:%s: %s requeued, %s in doubt (failed)",
            claim.token,
            claim.host,
            claim.pid,
            requeued,
            failed,
        )
    return requeued, failed


# --------------------------------------------------------------------------- dispatching


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


def _claim_batch(batch: int, now: datetime) -> tuple[MailClaim | None, list[OutboundMail]]:
    with transaction.atomic():
        due = OutboundMail.objects.filter(state=State.QUEUED, due_at__lte=now).order_by("due_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch])
        if not ids:
            return None, []
        claim = MailClaim.objects.create(
            host=socket.gethostname(), pid=os.getpid(), started_at=now, heartbeat_at=now
        )
        _OWN_CLAIMS.add(claim.pk)
        OutboundMail.objects.filter(pk__in=ids).update(state=State.SENDING, claim=claim)
    mails = list(
        OutboundMail.objects.filter(pk__in=ids).select_related("sender").order_by("due_at", "pk")
    )
    return claim, mails


def _check_rules(mails: list[OutboundMail], now: datetime, result: DispatchResult) -> list:
    """Apply suppression, quiet hours and caps to claimed mails; return those to send now."""
    emails = {mail.to_email for mail in mails}
    suppressed = set(Suppression.objects.filter(email__in=emails).values_list("email", flat=True))
    senders = {mail.sender_id for mail in mails if mail.sender_id and not mail.transactional}
    counts: Counter[int] = Counter()
    if senders:
        day_start = company_day_start(now)
        counts.update(
            dict(
                OutboundMail.objects.filter(
                    sender_id__in=senders, transactional=False, send_started_at__gte=day_start
                )
                .values_list("sender_id")
                .annotate(n=Count("pk"))
                .values_list("sender_id", "n")
            )
        )
    cap = cap_per_day()
    ready = []
    with transaction.atomic():
        for mail in mails:
            if mail.to_email in suppressed:
                _set(mail, state=State.SUPPRESSED, claim=None)
                result.suppressed += 1
                continue
            if not mail.transactional:
                until = quiet_until(now, mail.time_zone)
                if until is not None:
                    _set(mail, state=State.QUEUED, claim=None, due_at=until)
                    result.deferred += 1
                    continue
                if mail.sender_id:
                    if counts[mail.sender_id] >= cap:
                        _set(mail, state=State.QUEUED, claim=None, due_at=next_company_day(now))
                        result.deferred += 1
                        continue
                    counts[mail.sender_id] += 1
            ready.append(mail)
    return ready


def _set(mail: OutboundMail, **values) -> None:
    OutboundMail.objects.filter(pk=mail.pk).update(**values)
    for name, value in values.items():
        setattr(mail, name, value)


PERMANENT = (smtplib.SMTPRecipientsRefused,)


def dispatch_batch(
    batch: int = 100, *, now: datetime | None = None, pause: float = 0.0
) -> DispatchResult:
    """Claim up to ``batch`` due mails and send them (see the module docstring)."""
    recover_dead_claims()
    now = now or timezone.now()
    result = DispatchResult()
    claim, mails = _claim_batch(batch, now)
    if claim is None:
        return result
    result.claimed = len(mails)
    try:
        ready = _check_rules(mails, now, result)
        if ready:
            _send_all(claim, ready, result, pause)
    finally:
        # whatever an unexpected error left behind: never started → queued again; started and
        # not recorded → failed (at most once), as for a lost worker
        leftovers = OutboundMail.objects.filter(claim=claim, state=State.SENDING)
        leftovers.filter(send_started_at=None).update(state=State.QUEUED, claim=None)
        leftovers.exclude(send_started_at=None).update(state=State.FAILED, error=LOST_IN_FLIGHT)
        MailClaim.objects.filter(pk=claim.pk).update(finished_at=timezone.now())
        _OWN_CLAIMS.discard(claim.pk)
    return result


def _send_all(claim: MailClaim, ready: list, result: DispatchResult, pause: float) -> None:
    mailer = django_mail.mailers.default
    beat = time.monotonic()
    try:
        mailer.open()
    except (OSError, smtplib.SMTPException) as error:
        # nothing was handed over: the whole batch goes back to the queue
        OutboundMail.objects.filter(pk__in=[mail.pk for mail in ready]).update(
            state=State.QUEUED, claim=None
        )
        result.errors.append(f"mail server unreachable: {error}")
        logger.error("Mail server unreachable: %s", error)
        return
    try:
        # one commit per mail: "sent" of a mail and "send started" of the next go together;
        # a message is built before its row says "started" (a build error leaves it queued)
        message = build_message(ready[0]) if ready else None
        _mark_started(ready[0] if ready else None)
        for index, mail in enumerate(ready):
            nxt = ready[index + 1] if index + 1 < len(ready) else None
            if time.monotonic() - beat > 2:
                MailClaim.objects.filter(pk=claim.pk).update(heartbeat_at=timezone.now())
                beat = time.monotonic()
            try:
                mailer.send_messages([message])
            except PERMANENT as error:
                _set(mail, state=State.FAILED, error=str(error)[:300])
                do_suppress(mail.to_email, Suppression.Reason.BOUNCE, str(error))
                result.failed += 1
                if nxt is not None:
                    message = build_message(nxt)
                    _mark_started(nxt)
                continue
            except (OSError, smtplib.SMTPException) as error:
                # the server went away mid-send: this one is in doubt (at most once), the
                # rest were never attempted
                _set(mail, state=State.FAILED, error=str(error)[:300])
                result.failed += 1
                rest = [other.pk for other in ready[index + 1 :]]
                OutboundMail.objects.filter(pk__in=rest).update(state=State.QUEUED, claim=None)
                result.errors.append(str(error))
                return
            result.sent += 1
            message = None
            try:
                if nxt is not None:
                    message = build_message(nxt)
            finally:
                with transaction.atomic():
                    OutboundMail.objects.filter(pk=mail.pk).update(
                        state=State.SENT, sent_at=timezone.now()
                    )
                    if message is not None and nxt is not None:
                        _mark_started(nxt)
            if pause:
                time.sleep(pause)
    finally:
        mailer.close()


def _mark_started(mail: OutboundMail | None) -> None:
    """Record that ``mail`` is about to be handed to the server (before it is)."""
    if mail is not None:
        OutboundMail.objects.filter(pk=mail.pk).update(send_started_at=timezone.now())


def dispatch_due(batch: int = 100, *, pause: float = 0.0, limit: int | None = None) -> int:
    """Send batches until nothing is due; returns how many were sent."""
    total = 0
    while True:
        result = dispatch_batch(batch, pause=pause)
        total += result.sent
        if result.claimed == 0 or result.errors or (limit is not None and total >= limit):
            return total
