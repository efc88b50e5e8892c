"""Outbound e-mail, sent at most once.

**Rows.** Every e-mail is an ``OutboundMail`` row with a unique idempotency key (``queue_mail``
returns the existing row for a key it has seen: a sequence step, a reminder or a broadcast
queued twice is one mail). Its state moves ``queued → sending → sent | failed | suppressed``.

**Workers.** ``dispatch_batch`` claims up to ``batch`` due rows in one transaction
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never claim the same row; on
SQLite writers run one at a time), marks them ``sending`` under a ``MailClaim`` (host, process,
heartbeat), applies the rules below with one update per outcome, and sends the rest over one
connection to the mail server, a *window* of ``DOWNLINE_MAIL_SEND_WINDOW`` mails (default 20)
at a time:

1. one statement, committed before any mail of the window is handed over, sets the window's
   ``send_started_at`` (and records the previous window's mails ``sent``);
2. the window's messages go to the server one after the other;
3. the next window's statement (or the batch's last one) records them ``sent``.

So a batch costs one commit per window, not one or two per mail.

**What the state says.** A ``sending`` row whose ``send_started_at`` is empty was claimed but
never handed to the server; one whose ``send_started_at`` is set and ``sent_at`` empty was (or
was about to be) handed over, and the server may or may not have taken it.

**A worker killed mid-batch.** Its claim is dead when its process is gone (same host) or its
heartbeat is older than ``DOWNLINE_MAIL_CLAIM_STALE_SECONDS`` (default 120). The next worker
re-checks a dead claim's ``sending`` rows:

* ``send_started_at`` empty: the mail never reached the server; it goes back to ``queued``
  and is sent by the next batch;
* ``send_started_at`` set: it is in doubt. We choose **at most once**: the row becomes
  ``failed`` with ``LOST_IN_FLIGHT`` as the reason and is never sent again automatically
  (staff see it in the console's sent log).

A killed worker therefore leaves at most one window in doubt (``DOWNLINE_MAIL_SEND_WINDOW``
mails: the smaller the window, the fewer in doubt and the more commits), never a duplicate. A
worker that is still alive knows what it handed over: when the server goes away mid-window, or
an error or a signal interrupts it, the mail being sent is the only one in doubt and the rest of
the window goes back to the queue.

**The server's answers.** A recipient refused with a 5xx code: ``failed`` and the address is
suppressed (bounce); a refusal with a 4xx code (try later): back to ``queued``, due in
``RETRY_MINUTES``; a message refused after its data (5xx): ``failed``. A message that cannot be
built (bad data in the row) is ``failed`` with the reason; the rest of the batch goes on.

**Before sending** each claimed mail is checked again: a suppressed address (bounce, complaint,
unsubscribe) → ``suppressed``; quiet hours in the recipient's time zone
(``DOWNLINE_QUIET_HOURS``, default ``(21, 8)``) → back to ``queued``, due at the end of the quiet
hours; the distributor's daily cap (``DOWNLINE_MAIL_CAP_PER_DAY``, default 200, counted per
company-local day) → back to ``queued``, due the next day. Transactional mails (confirmations,
webinar reminders) skip quiet hours and caps.

**Headers.** From the company's address (``DOWNLINE_MAIL_FROM``) with the distributor's name,
Reply-To the distributor; RFC 8058 one-click unsubscribe (``List-Unsubscribe`` with an https
URL and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``); ``X-Downline-Key`` the
idempotency key. A plain-text mail to an SMTP server is written by ``mail_wire`` (fast); one
with HTML or an attachment, or for another kind of mailer (django-anymail, the console), is a
Django ``EmailMessage``.
"""

from __future__ import annotations

import contextlib
import email.policy
import logging
import os
import smtplib
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from email.utils import format_datetime, formataddr, make_msgid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import mail as django_mail
from django.core import signing
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from .mail_wire import mailbox, pipelined_sendmail, plain_address, plain_message
from .models import MailClaim, OutboundMail, Suppression

logger = logging.getLogger(__name__)

State = OutboundMail.State
UNSUBSCRIBE_SALT = "downline.outreach.unsubscribe"
LOST_IN_FLIGHT = "worker lost while sending; not retried (at most once)"
RETRY_MINUTES = 10


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


def send_window() -> int:
    """Mails handed over per commit; at most this many are in doubt when a worker is killed."""
    return max(1, int(getattr(settings, "DOWNLINE_MAIL_SEND_WINDOW", 20)))


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


@dataclass
class Parts:
    """What every way of building a mail shares: who it is from, the body with its footer, the
    extra headers."""

    display: str
    reply_to: str
    body: str
    headers: dict[str, str]


def mail_parts(mail: OutboundMail) -> Parts:
    sender = mail.sender
    company = getattr(settings, "DOWNLINE_COMPANY_NAME", "Downline")
    display = f"{sender.name} · {company}" if sender is not None and sender.name else company
    headers = {"X-Downline-Key": mail.key, "Message-ID": make_msgid(domain=_domain())}
    body = mail.body_text
    if not mail.transactional:
        url = unsubscribe_url(mail)
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        body = f"{body}\n\n--\n{_unsubscribe_word(mail.language)}: {url}\n"
    reply_to = sender.email if sender is not None and sender.email else ""
    return Parts(display=display, reply_to=reply_to, body=body, headers=headers)


_UNSUBSCRIBE_WORDS: dict[str, str] = {}


def _unsubscribe_word(language: str) -> str:
    """ "Unsubscribe" in ``language``, looked up once per language (a worker sends thousands)."""
    word = _UNSUBSCRIBE_WORDS.get(language)
    if word is None:
        with override(language):
            word = _UNSUBSCRIBE_WORDS[language] = gettext("Unsubscribe")
    return word


def build_message(mail: OutboundMail) -> django_mail.EmailMultiAlternatives:
    parts = mail_parts(mail)
    message = OutreachMessage(
        subject=mail.subject,
        body=parts.body,
        from_email=formataddr((parts.display, mail_from())),
        to=[formataddr((mail.to_name, mail.to_email)) if mail.to_name else mail.to_email],
        reply_to=[parts.reply_to] if parts.reply_to else [],
        headers=parts.headers,
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    if mail.attachment_name:
        message.attach(mail.attachment_name, mail.attachment_content, mail.attachment_type)
    return message


def wire_eligible(mail: OutboundMail) -> bool:
    """Plain text, no attachment, plain ASCII addresses: ``mail_wire`` can write it."""
    sender_email = mail.sender.email if mail.sender is not None else ""
    return (
        not mail.body_html
        and not mail.attachment_name
        and plain_address(mail.to_email)
        and plain_address(mail_from())
        and (not sender_email or plain_address(sender_email))
    )


def wire_bytes(mail: OutboundMail) -> bytes:
    """The message as ``build_message`` would make it, written by ``mail_wire``."""
    parts = mail_parts(mail)
    headers = [
        ("Subject", mail.subject),
        ("From", mailbox(parts.display, mail_from())),
        ("To", mailbox(mail.to_name, mail.to_email)),
    ]
    if parts.reply_to:
        headers.append(("Reply-To", parts.reply_to))
    headers.append(("Date", format_datetime(datetime.now(UTC))))
    headers.extend(parts.headers.items())
    return plain_message(headers, parts.body)


def _domain() -> str:
    return mail_from().rpartition("@")[2] or "localhost"


@dataclass
class Outgoing:
    """One claimed mail ready to hand over: the wire bytes (SMTP) or Django's message."""

    mail: OutboundMail
    envelope_from: str = ""
    recipients: list[str] = field(default_factory=list)
    data: bytes = b""
    message: django_mail.EmailMessage | None = None


class NotConnected(smtplib.SMTPServerDisconnected):
    """The connection was gone before the message was handed over (nothing is in doubt)."""


class Transport:
    """The default mailer, opened once per batch. An SMTP mailer gets each message's bytes on
    its one open connection (``smtplib.SMTP.sendmail``); any other mailer (django-anymail, the
    console, the tests' memory) gets Django messages."""

    def __init__(self) -> None:
        self.mailer = django_mail.mailers.default
        self.smtp = isinstance(self.mailer, SMTPBackend)

    def open(self) -> None:
        self.mailer.open()
        if self.smtp:
            if self.mailer.connection is None:
                raise NotConnected("the mail server could not be reached")
            self.mailer.connection.ehlo_or_helo_if_needed()  # learn what it offers first

    def close(self) -> None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            self.mailer.close()

    def prepare(self, mail: OutboundMail) -> Outgoing:
        if not self.smtp:
            return Outgoing(mail=mail, message=build_message(mail))
        if wire_eligible(mail):
            return Outgoing(
                mail=mail,
                envelope_from=mail_from(),
                recipients=[mail.to_email],
                data=wire_bytes(mail),
            )
        message = build_message(mail)
        return Outgoing(
            mail=mail,
            envelope_from=self.mailer.prep_address(message.from_email),
            recipients=[self.mailer.prep_address(addr) for addr in message.recipients()],
            data=message.message(policy=email.policy.SMTP).as_bytes(),
        )

    def send(self, outgoing: Outgoing) -> None:
        if not self.smtp:
            self.mailer.send_messages([outgoing.message])
            return
        client = self.mailer.connection
        if client is None or client.sock is None:
            raise NotConnected("the connection to the mail server was closed")
        if client.does_esmtp and client.has_extn("pipelining"):
            pipelined_sendmail(client, outgoing.envelope_from, outgoing.recipients, outgoing.data)
        else:
            client.sendmail(outgoing.envelope_from, outgoing.recipients, outgoing.data)


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
            back = mails.filter(send_started_at=None).update(state=State.QUEUED, claim=None)
            lost = mails.exclude(send_started_at=None).update(
                state=State.FAILED, error=LOST_IN_FLIGHT
            )
            locked.recovered_at = now
            locked.save(update_fields=["recovered_at"])
        requeued += back
        failed += lost
        logger.warning(
            "Recovered mail claim %s of %s:%s: %s requeued, %s in doubt (failed)",
            claim.token,
            claim.host,
            claim.pid,
            back,
            lost,
        )
    return requeued, failed


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


def _release(claim: MailClaim) -> None:
    """The end of a batch, whatever happened: rows still ``sending`` that were never handed
    over go back to the queue; those that may have been are failed (at most once)."""
    leftovers = OutboundMail.objects.filter(claim=claim, state=State.SENDING)
    leftovers.filter(send_started_at=None).update(state=State.QUEUED, claim=None)
    leftovers.exclude(send_started_at=None).update(state=State.FAILED, error=LOST_IN_FLIGHT)
    MailClaim.objects.filter(pk=claim.pk).update(finished_at=timezone.now())
    _OWN_CLAIMS.discard(claim.pk)


# --------------------------------------------------------------------------- rules per batch


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


def _sent_today(senders: set[int], now: datetime) -> Counter[int]:
    counts: Counter[int] = Counter()
    if senders:
        counts.update(
            dict(
                OutboundMail.objects.filter(
                    sender_id__in=senders,
                    transactional=False,
                    send_started_at__gte=company_day_start(now),
                )
                .values_list("sender_id")
                .annotate(n=Count("pk"))
                .values_list("sender_id", "n")
            )
        )
    return counts


def _check_rules(mails: list[OutboundMail], now: datetime, result: DispatchResult) -> list:
    """Apply suppression, quiet hours and caps to claimed mails (one update per outcome);
    return those to send now, in order."""
    emails = {mail.to_email for mail in mails}
    suppressed = set(Suppression.objects.filter(email__in=emails).values_list("email", flat=True))
    counts = _sent_today(
        {mail.sender_id for mail in mails if mail.sender_id and not mail.transactional}, now
    )
    cap = cap_per_day()
    quiet: dict[str, datetime | None] = {}
    dropped: list[int] = []
    later: dict[datetime, list[int]] = {}
    ready = []
    for mail in mails:
        if mail.to_email in suppressed:
            dropped.append(mail.pk)
            continue
        if not mail.transactional:
            if mail.time_zone not in quiet:
                quiet[mail.time_zone] = quiet_until(now, mail.time_zone)
            until = quiet[mail.time_zone]
            if until is None and mail.sender_id and counts[mail.sender_id] >= cap:
                until = next_company_day(now)
            if until is not None:
                later.setdefault(until, []).append(mail.pk)
                continue
            if mail.sender_id:
                counts[mail.sender_id] += 1
        ready.append(mail)
    with transaction.atomic():
        if dropped:
            OutboundMail.objects.filter(pk__in=dropped).update(state=State.SUPPRESSED, claim=None)
        for until, ids in later.items():
            OutboundMail.objects.filter(pk__in=ids).update(
                state=State.QUEUED, claim=None, due_at=until
            )
    result.suppressed += len(dropped)
    result.deferred += sum(len(ids) for ids in later.values())
    return ready


def _set(mail: OutboundMail, **values) -> None:
    OutboundMail.objects.filter(pk=mail.pk).update(**values)
    for name, value in values.items():
        setattr(mail, name, value)


# --------------------------------------------------------------------------- dispatching


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
        _release(claim)
    return result


def _record(*, sent: list[int], started: list[int]) -> None:
    """One statement (one commit): ``sent`` are recorded sent, ``started`` get their
    ``send_started_at``. It runs before any of ``started`` is handed over."""
    if not sent and not started:
        return
    moment = timezone.now()
    rows = OutboundMail.objects.filter(pk__in=[*sent, *started])
    if not started:
        rows.update(state=State.SENT, sent_at=moment)
    elif not sent:
        rows.update(send_started_at=moment)
    else:
        rows.update(
            state=Case(When(pk__in=sent, then=Value(State.SENT)), default=F("state")),
            sent_at=Case(When(pk__in=sent, then=Value(moment)), default=F("sent_at")),
            send_started_at=Case(
                When(pk__in=started, then=Value(moment)), default=F("send_started_at")
            ),
        )


def _requeue(mails: list[OutboundMail], due_at: datetime | None = None) -> None:
    """Never handed over: back to the queue (``send_started_at`` cleared)."""
    if not mails:
        return
    values: dict = {"state": State.QUEUED, "claim": None, "send_started_at": None}
    if due_at is not None:
        values["due_at"] = due_at
    OutboundMail.objects.filter(pk__in=[mail.pk for mail in mails]).update(**values)


def _answer_code(error: smtplib.SMTPException) -> int:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return min(codes) if codes else 550
    return int(getattr(error, "smtp_code", 550) or 550)


@dataclass
class _Window:
    """The state of the window being handed over (what an interruption must know)."""

    outgoing: list[Outgoing]
    later: list[OutboundMail]  # the batch's mails after this window
    sent: list[int] = field(default_factory=list)  # accepted, not yet recorded
    next: int = 0  # index of the first mail not handed over yet
    in_flight: bool = False  # outgoing[next] is being handed over

    def untouched(self) -> list[OutboundMail]:
        first = self.next + 1 if self.in_flight else self.next
        return [item.mail for item in self.outgoing[first:]] + self.later


def _send_all(claim: MailClaim, ready: list, result: DispatchResult, pause: float) -> None:
    transport = Transport()
    try:
        transport.open()
    except (OSError, smtplib.SMTPException) as error:
        # nothing was handed over: the whole batch goes back to the queue
        _requeue(ready)
        result.errors.append(f"mail server unreachable: {error}")
        logger.error("Mail server unreachable: %s", error)
        return
    size = send_window()
    sent: list[int] = []
    heartbeat = _Heartbeat(claim)
    try:
        for start in range(0, len(ready), size):
            outgoing = _prepare(transport, ready[start : start + size], result)
            _record(sent=sent, started=[item.mail.pk for item in outgoing])
            sent = []
            window = _Window(outgoing=outgoing, later=ready[start + size :])
            try:
                stop = _send_window(transport, window, heartbeat, result, pause)
            except BaseException:
                # an interruption (a signal, a bug): what was never handed over goes back to
                # the queue; a mail being handed over stays in doubt (``_release``)
                _record(sent=window.sent, started=[])
                _requeue(window.untouched())
                raise
            sent = window.sent
            if stop:
                break
    finally:
        _record(sent=sent, started=[])
        transport.close()


class _Heartbeat:
    """The claim's sign of life, written every ``EVERY`` seconds while sending."""

    EVERY = 2.0

    def __init__(self, claim: MailClaim) -> None:
        self.claim = claim
        self.last = time.monotonic()

    def beat(self) -> None:
        if time.monotonic() - self.last > self.EVERY:
            MailClaim.objects.filter(pk=self.claim.pk).update(heartbeat_at=timezone.now())
            self.last = time.monotonic()


def _send_window(
    transport: Transport,
    window: _Window,
    heartbeat: _Heartbeat,
    result: DispatchResult,
    pause: float,
) -> bool:
    """Hand over the window's messages one after the other; True when the batch must stop
    (the server is gone: the rest of the batch is back in the queue)."""
    for index, item in enumerate(window.outgoing):
        window.next = index
        heartbeat.beat()
        window.in_flight = True
        try:
            transport.send(item)
        except NotConnected as error:
            # nothing of this one went out
            window.in_flight = False
            return _stop(window, result, error)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
            window.in_flight = False
            _refused(item.mail, error, result)
            continue
        except (OSError, smtplib.SMTPException) as error:
            # the server went away mid-send: this one is in doubt (at most once)
            _set(item.mail, state=State.FAILED, error=str(error)[:300])
            result.failed += 1
            return _stop(window, result, error)
        window.in_flight = False
        window.sent.append(item.mail.pk)
        result.sent += 1
        if pause:
            time.sleep(pause)
    window.next = len(window.outgoing)
    return False


def _stop(window: _Window, result: DispatchResult, error: Exception) -> bool:
    _record(sent=window.sent, started=[])
    window.sent = []
    _requeue(window.untouched())
    result.errors.append(str(error))
    logger.error("Mail server connection lost: %s", error)
    return True


def _prepare(transport: Transport, mails: list[OutboundMail], result: DispatchResult) -> list:
    """The window's messages; a mail that cannot be built is failed with the reason (it was
    never handed over; bad data in one row must not hold the queue)."""
    outgoing = []
    for mail in mails:
        try:
            outgoing.append(transport.prepare(mail))
        except Exception as error:
            logger.exception("Mail %s cannot be built", mail.key)
            _set(mail, state=State.FAILED, error=f"cannot build: {error}"[:300])
            result.failed += 1
    return outgoing


def _refused(mail: OutboundMail, error: smtplib.SMTPException, result: DispatchResult) -> None:
    """The server answered no: the message was not accepted, so nothing is in doubt."""
    code = _answer_code(error)
    if code < 500:
        _set(
            mail,
            state=State.QUEUED,
            claim=None,
            send_started_at=None,
            due_at=timezone.now() + timedelta(minutes=RETRY_MINUTES),
        )
        result.deferred += 1
        return
    _set(mail, state=State.FAILED, error=str(error)[:300])
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        do_suppress(mail.to_email, Suppression.Reason.BOUNCE, str(error))
    result.failed += 1


def dispatch_due(batch: int = 100, *, pause: float = 0.0, limit: int | None = None) -> int:
    """Send batches until nothing is due; returns how many were sent."""
    total = 0
    while True:
        result = dispatch_batch(batch, pause=pause)
        total += result.sent
        if result.claimed == 0 or result.errors or (limit is not None and total >= limit):
            return total
