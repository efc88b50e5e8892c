"""Writes of the support app: tickets, replies, SLA clocks, votes and commission disputes.

Every action is atomic and validated; errors are :class:`SupportError` naming the field and why.
Events (rule 11): ``ticket.opened`` {ticket_id, category, priority, channel},
``ticket.answered`` {ticket_id, message_id, first}, ``dispute.opened`` {dispute_id, ticket_id,
kind, period, bonus, cause, line_id, order_id}, ``dispute.resolved`` {dispute_id, outcome,
adjustment_id, amount}; all with ``member_id`` of the distributor.

Attachments: at most ``DOWNLINE_SUPPORT_MAX_ATTACHMENT`` bytes each (5 MB) and
``MAX_ATTACHMENTS`` per message, of the types in ``ALLOWED_TYPES`` — checked by the file's
first bytes, not by the name or the browser's word.

Mail: replies go out through Django's mailer from ``DOWNLINE_SUPPORT_EMAIL`` (default
``DEFAULT_FROM_EMAIL``) with ``[#T-<id>]`` in the subject and ``In-Reply-To``/``References`` of the
ticket's last message, so the member's answer threads back (``inbound``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.core.events import (
    DISPUTE_OPENED,
    DISPUTE_RESOLVED,
    TICKET_ANSWERED,
    TICKET_OPENED,
    record_event,
)
from downline.genealogy.access import in_downline
from downline.genealogy.models import Distributor
from downline.ledger import actions as ledger
from downline.ledger.models import AdjustmentRequest
from downline.ledger.posting import LedgerError
from downline.orders.models import Order
from downline.periods.models import Period

from . import sla
from .evidence import EvidenceError, line_evidence, order_evidence
from .models import (
    Article,
    ArticleVote,
    Dispute,
    Ticket,
    TicketAttachment,
    TicketMessage,
)

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 5
SUBJECT_MAX = 200
BODY_MAX = 20_000
CATEGORIES = ("general", "orders", "returns", "payouts", "commissions", "account", "dispute")
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "text/plain": (),  # checked as UTF-8 text below
}


class SupportError(ValidationError):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.text = message

    def __str__(self) -> str:
        return self.text


def _now() -> datetime:
    return timezone.now()


def max_attachment() -> int:
    return int(getattr(settings, "DOWNLINE_SUPPORT_MAX_ATTACHMENT", 5 * 1024 * 1024))


def support_address() -> str:
    return getattr(settings, "DOWNLINE_SUPPORT_EMAIL", "") or settings.DEFAULT_FROM_EMAIL


def _sniff(head: bytes) -> str | None:
    for content_type, magics in ALLOWED_TYPES.items():
        if any(head.startswith(magic) for magic in magics):
            return content_type
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if b"\x00" in head:
        return None
    return "text/plain"


def check_attachment(upload) -> str:
    """The checked content type of ``upload``; :class:`SupportError` if too big or not allowed."""
    size = upload.size if upload.size is not None else len(upload.read())
    name = getattr(upload, "name", "file")
    if size > max_attachment():
        raise SupportError(
            _("%(name)s is %(size)d bytes; attachments may have at most %(max)d bytes.")
            % {"name": name, "size": size, "max": max_attachment()},
            "attachments",
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    kind = _sniff(head)
    if kind is None:
        raise SupportError(
            _("%(name)s is not a PDF, PNG, JPEG, GIF or text file.") % {"name": name},
            "attachments",
        )
    return kind


def _check_text(subject: str | None, body: str) -> tuple[str, str]:
    body = (body or "").strip()
    if not body:
        raise SupportError(_("Write a message."), "body")
    if len(body) > BODY_MAX:
        raise SupportError(
            _("The message is longer than %(max)d characters.") % {"max": BODY_MAX}, "body"
        )
    if subject is not None:
        subject = " ".join((subject or "").split())
        if not subject:
            raise SupportError(_("Write a subject."), "subject")
        subject = subject[:SUBJECT_MAX]
    return subject or "", body


def _add_message(
    ticket: Ticket,
    body: str,
    *,
    kind: str = TicketMessage.Kind.PUBLIC,
    from_staff: bool = False,
    author: User | None = None,
    attachments=(),
    email_message_id: str = "",
) -> TicketMessage:
    attachments = list(attachments or ())
    if len(attachments) > MAX_ATTACHMENTS:
        raise SupportError(
            _("At most %(max)d attachments per message.") % {"max": MAX_ATTACHMENTS},
            "attachments",
        )
    types = [check_attachment(upload) for upload in attachments]
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=kind,
        from_staff=from_staff,
        author_user=author,
        body=body,
        email_message_id=email_message_id,
        created_at=_now(),
    )
    for upload, content_type in zip(attachments, types, strict=True):
        TicketAttachment.objects.create(
            message=message,
            file=upload,
            name=str(getattr(upload, "name", "file"))[:200],
            size=upload.size,
            content_type=content_type,
        )
    return message


def _links(member: Distributor | None, links: dict | None) -> dict:
    """The ticket's link fields from ``links`` ({order, payout, line, member}), each checked to
    be the member's own (or their downline's)."""
    from downline.payouts.models import Payout

    out: dict = {}
    links = links or {}
    if links.get("order"):
        value = str(links["order"])
        order = Order.objects.filter(number=value).first() or (
            Order.objects.filter(pk=int(value)).first() if value.isdigit() else None
        )
        if (
            order is None
            or member is None
            or not (order.buyer_id == member.pk or in_downline(member, order.distributor))
        ):
            raise SupportError(_("No such order of yours or your team."), "order")
        out["order"] = order
    if links.get("payout"):
        payout = Payout.objects.filter(pk=int(links["payout"])).first()
        if payout is None or member is None or payout.distributor_id != member.pk:
            raise SupportError(_("No such payout of yours."), "payout")
        out["payout"] = payout
    if links.get("line"):
        if member is None:
            raise SupportError(_("No such line on your statements."), "line")
        try:
            line_evidence(member, int(links["line"]))
        except (EvidenceError, ValueError) as error:
            raise SupportError(_("No such line on your statements."), "line") from error
        out["line_ref"] = int(links["line"])
    if links.get("member"):
        about = Distributor.objects.filter(member_id=str(links["member"])).first()
        if about is None or member is None or not in_downline(member, about):
            raise SupportError(_("No such member in your team."), "member")
        out["about_member"] = about
    return out


@transaction.atomic
def do_open_ticket(
    member: Distributor | None,
    *,
    subject: str,
    body: str,
    category_key: str = "general",
    links: dict | None = None,
    attachments=(),
    conversation: list[dict] | None = None,
    priority: str = Ticket.Priority.NORMAL,
    channel: str = Ticket.Channel.WEB,
    from_email: str = "",
    email_message_id: str = "",
    language: str | None = None,
) -> Ticket:
    """A new ticket of ``member`` (``None`` only for mail from an unknown address) with its
    first message; its SLA clock starts now."""
    subject, body = _check_text(subject, body)
    if category_key not in CATEGORIES:
        raise SupportError(_("Unknown category %(key)s.") % {"key": category_key}, "category")
    if priority not in Ticket.Priority.values:
        raise SupportError(_("Unknown priority %(key)s.") % {"key": priority}, "priority")
    conversation = list(conversation or [])[:50]
    for turn in conversation:
        if not isinstance(turn, dict):
            raise SupportError(_("The conversation must be a list of turns."), "conversation")
    now = _now()
    ticket = Ticket(
        member=member,
        from_email=from_email,
        subject=subject,
        category=category_key,
        priority=priority,
        channel=channel,
        language=(language or (member.language if member else "") or "en")[:8],
        assignee_group="finance" if category_key == "dispute" else "support",
        conversation=conversation,
        created_at=now,
        updated_at=now,
        **_links(member, links),
    )
    sla.compute_dues(ticket)
    ticket.save()
    _add_message(ticket, body, attachments=attachments, email_message_id=email_message_id)
    record_event(
        TICKET_OPENED,
        {
            "ticket_id": ticket.pk,
            "category": ticket.category,
            "priority": ticket.priority,
            "channel": ticket.channel,
        },
        member_id=member.pk if member else None,
    )
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


@transaction.atomic
def do_member_reply(
    ticket: Ticket, member: Distributor | None, body: str, *, attachments=(), email_message_id=""
) -> TicketMessage:
    """The member answers: a paused clock runs again, a resolved ticket opens again."""
    ticket = _locked(ticket)
    if member is not None and ticket.member_id != member.pk:
        raise SupportError(_("This is not your ticket."), "ticket")
    if ticket.status == Ticket.Status.CLOSED:
        raise SupportError(_("This ticket is closed; open a new one."), "ticket")
    _subject, body = _check_text(None, body)
    now = _now()
    message = _add_message(ticket, body, attachments=attachments, email_message_id=email_message_id)
    sla.resume(ticket, now)
    if ticket.status in (Ticket.Status.WAITING, Ticket.Status.RESOLVED):
        ticket.status = Ticket.Status.OPEN
        ticket.resolved_at = None
    ticket.updated_at = now
    ticket.save()
    return message


def _member_email(ticket: Ticket) -> str:
    member = ticket.member
    if member is not None:
        return member.email or (member.user.email if member.user_id else "")
    return ticket.from_email


def _thread_ids(ticket: Ticket) -> list[str]:
    return list(
        ticket.messages.exclude(email_message_id="").values_list("email_message_id", flat=True)
    )


def send_reply_mail(ticket: Ticket, message: TicketMessage) -> None:
    """E-mail a public staff reply to the member (after the transaction commits)."""
    address = _member_email(ticket)
    if not address:
        return
    references = _thread_ids(ticket)
    references = [mid for mid in references if mid != message.email_message_id]
    headers = {"Message-ID": message.email_message_id}
    if references:
        headers["In-Reply-To"] = references[-1]
        headers["References"] = " ".join(references[-10:])
    mail = EmailMessage(
        subject=f"[#{ticket.token}] {ticket.subject}",
        body=message.body,
        from_email=support_address(),
        to=[address],
        reply_to=[support_address()],
        headers=headers,
    )
    try:
        mail.send()
    except OSError:  # the mail server is down: the reply is on the ticket page anyway
        logger.exception("support: reply mail of ticket %s not sent", ticket.pk)


@transaction.atomic
def do_staff_reply(
    ticket: Ticket,
    actor: User,
    body: str,
    *,
    internal: bool = False,
    wait_for_member: bool = False,
    attachments=(),
) -> TicketMessage:
    """Staff answers (public reply: the first one is the first response) or adds an internal
    note (never a response). ``wait_for_member`` pauses the clock until the member answers."""
    ticket = _locked(ticket)
    _subject, body = _check_text(None, body)
    now = _now()
    kind = TicketMessage.Kind.INTERNAL if internal else TicketMessage.Kind.PUBLIC
    message = _add_message(
        ticket, body, kind=kind, from_staff=True, author=actor, attachments=attachments
    )
    if not internal:
        message.email_message_id = make_msgid(domain="support.downline")
        message.save(update_fields=["email_message_id"])
        first = ticket.first_response_at is None
        if first:
            ticket.first_response_at = now
        if ticket.status in (Ticket.Status.NEW, Ticket.Status.RESOLVED):
            ticket.status = Ticket.Status.OPEN
            ticket.resolved_at = None
        if wait_for_member:
            ticket.status = Ticket.Status.WAITING
            sla.pause(ticket, now)
        elif ticket.status == Ticket.Status.WAITING:  # answered without waiting: clock runs
            ticket.status = Ticket.Status.OPEN
            sla.resume(ticket, now)
        record_event(
            TICKET_ANSWERED,
            {"ticket_id": ticket.pk, "message_id": message.pk, "first": first},
            member_id=ticket.member_id,
        )
        transaction.on_commit(lambda: send_reply_mail(ticket, message))
    elif ticket.status == Ticket.Status.NEW:
        ticket.status = Ticket.Status.OPEN
    ticket.updated_at = now
    ticket.save()
    return message


@transaction.atomic
def do_set_status(ticket: Ticket, actor: User | None, status: str) -> Ticket:
    """Move a ticket: waiting pauses the clock, open resumes it, resolved and closed stop it."""
    if status not in Ticket.Status.values:
        raise SupportError(_("Unknown status %(key)s.") % {"key": status}, "status")
    ticket = _locked(ticket)
    now = _now()
    if ticket.status == Ticket.Status.CLOSED and status != Ticket.Status.CLOSED:
        raise SupportError(_("A closed ticket stays closed."), "status")
    if status == Ticket.Status.WAITING:
        sla.pause(ticket, now)
    else:
        sla.resume(ticket, now)
    if status == Ticket.Status.RESOLVED:
        ticket.resolved_at = now
    elif status in (Ticket.Status.OPEN, Ticket.Status.NEW, Ticket.Status.WAITING):
        ticket.resolved_at = None
    if status == Ticket.Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    ticket.status = status
    ticket.updated_at = now
    ticket.save()
    return ticket


@transaction.atomic
def do_assign(ticket: Ticket, actor: User, *, group: str, assignee: User | None = None) -> Ticket:
    if group not in ("support", "finance", "admin"):
        raise SupportError(_("Unknown group %(key)s.") % {"key": group}, "group")
    if assignee is not None and not assignee.is_staff:
        raise SupportError(_("Tickets are assigned to staff only."), "assignee")
    ticket = _locked(ticket)
    ticket.assignee_group = group
    ticket.assignee = assignee
    ticket.updated_at = _now()
    ticket.save(update_fields=["assignee_group", "assignee", "updated_at"])
    return ticket


@transaction.atomic
def do_set_priority(ticket: Ticket, actor: User, priority: str) -> Ticket:
    """A new priority sets the due instants by its policy (from the ticket's creation)."""
    if priority not in Ticket.Priority.values:
        raise SupportError(_("Unknown priority %(key)s.") % {"key": priority}, "priority")
    ticket = _locked(ticket)
    ticket.priority = priority
    sla.compute_dues(ticket)
    ticket.updated_at = _now()
    ticket.save()
    return ticket


@transaction.atomic
def do_rate_ticket(ticket: Ticket, member: Distributor, score: int, comment: str = "") -> Ticket:
    """The satisfaction survey: 1 to 5, once the ticket is resolved or closed."""
    ticket = _locked(ticket)
    if ticket.member_id != member.pk:
        raise SupportError(_("This is not your ticket."), "ticket")
    if ticket.status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        raise SupportError(_("You can rate a ticket once it is resolved."), "satisfaction")
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise SupportError(_("Rate from 1 to 5."), "satisfaction")
    ticket.satisfaction = score
    ticket.satisfaction_comment = (comment or "").strip()[:2000]
    ticket.save(update_fields=["satisfaction", "satisfaction_comment"])
    return ticket


@transaction.atomic
def do_vote_article(
    article: Article, member: Distributor, helpful: bool, language: str = "en"
) -> ArticleVote:
    vote, _created = ArticleVote.objects.update_or_create(
        article=article,
        member=member,
        defaults={"helpful": bool(helpful), "language": language[:8], "voted_at": _now()},
    )
    return vote


def _send_quietly(mail: EmailMessage) -> None:
    try:
        mail.send()
    except OSError:  # the mail server is down: the breach is marked on the ticket anyway
        logger.exception("support: escalation mail not sent")


@transaction.atomic
def do_edit_article(
    article: Article,
    actor: User,
    *,
    language: str,
    title: str,
    body: str,
    status: str | None = None,
) -> Article:
    """Staff edit one language of an article (its version goes up when the text changes).
    Plan articles are generated: they change with the plan, not here."""
    from .models import ArticleText
    from .search import token_field

    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.source == Article.Source.PLAN:
        raise SupportError(
            _("This article is generated from the plan; change the plan instead."), "body"
        )
    if language not in ("en", "ru", "pl", "de"):
        raise SupportError(_("Unknown language %(key)s.") % {"key": language}, "language")
    title, body = _check_text(title, body)
    row = ArticleText.objects.filter(article=article, language=language).first()
    if row is None or (row.title, row.body) != (title, body):
        ArticleText.objects.update_or_create(
            article=article,
            language=language,
            defaults={
                "title": title,
                "body": body,
                "search_tokens": token_field(title, body, language),
            },
        )
        article.version += 1
    if status is not None:
        if status not in Article.Status.values:
            raise SupportError(_("Unknown status %(key)s.") % {"key": status}, "status")
        article.status = status
    article.save()
    return article


def _group_addresses(group: str) -> list[str]:
    users = User.objects.filter(is_active=True, is_staff=True).exclude(email="")
    users = users.filter(groups__name=group) | users.filter(is_superuser=True)
    return sorted(set(users.values_list("email", flat=True)))


def do_mark_breaches(now: datetime | None = None) -> int:
    """Mark SLA breaches of open tickets; a ticket's group is e-mailed once (``escalated_at``).
    Returns how many tickets were escalated now."""
    now = now or _now()
    escalated = 0
    candidates = Ticket.objects.filter(
        status__in=[Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.WAITING]
    )
    for ticket in candidates:
        first, resolution = sla.breaches(ticket, now)
        if (first, resolution) == (ticket.first_response_breached, ticket.resolution_breached):
            continue
        with transaction.atomic():
            locked = _locked(ticket)
            locked.first_response_breached = first
            locked.resolution_breached = resolution
            notify = locked.escalated_at is None
            if notify:
                locked.escalated_at = now
                escalated += 1
            locked.save(
                update_fields=["first_response_breached", "resolution_breached", "escalated_at"]
            )
            if notify:
                addresses = _group_addresses(locked.assignee_group)
                if addresses:
                    mail = EmailMessage(
                        subject=f"[#{locked.token}] SLA breach: {locked.subject}",
                        body=f"Ticket {locked.token} ({locked.priority}) breached its SLA.",
                        from_email=support_address(),
                        to=addresses,
                    )
                    transaction.on_commit(lambda mail=mail: _send_quietly(mail))
    return escalated


# ----------------------------------------------------------------------------------- disputes


def _find_order(value: str) -> Order | None:
    value = str(value).strip()
    order = Order.objects.filter(number=value).select_related("distributor", "period").first()
    if order is None and value.isdigit():
        order = Order.objects.filter(pk=int(value)).select_related("distributor", "period").first()
    return order


@transaction.atomic
def do_open_dispute(
    member: Distributor,
    *,
    line_id: int | None = None,
    order_id: str | None = None,
    period_code: str | None = None,
    message: str = "",
) -> Dispute:
    """A dispute of a statement line (``line_id``) or of an order that paid no commission
    (``order_id``: its number or id), with the evidence attached and a ticket for finance."""
    if (line_id is None) == (order_id is None or order_id == ""):
        raise SupportError(_("Name either a statement line or an order."), "line")
    try:
        if line_id is not None:
            evidence = line_evidence(member, int(line_id))
        else:
            order = _find_order(order_id)
            if order is None:
                raise SupportError(_("No such order."), "order")
            evidence = order_evidence(member, order)
    except EvidenceError as error:
        raise SupportError(str(error), error.field) from error
    except (TypeError, ValueError) as error:
        raise SupportError(_("No such line on your statements."), "line") from error
    if period_code and evidence.run.period.code != period_code:
        raise SupportError(
            _("The line or order belongs to %(period)s, not %(asked)s.")
            % {"period": evidence.run.period.code, "asked": period_code},
            "period",
        )
    same = Dispute.objects.filter(
        member=member,
        status__in=[Dispute.Status.OPEN, Dispute.Status.PENDING_APPROVAL],
        kind=evidence.kind,
    )
    if evidence.kind == "line":
        same = same.filter(line_id=evidence.line_id)
    else:
        same = same.filter(order=evidence.order)
    open_same = same.first()
    if open_same is not None:
        raise SupportError(
            _("You already have an open dispute about this: %(ref)s.")
            % {"ref": open_same.reference},
            "line",
        )
    message = (message or "").strip()[:BODY_MAX]
    now = _now()
    dispute = Dispute.objects.create(
        member=member,
        kind=evidence.kind,
        period=evidence.run.period,
        run=evidence.run,
        line_id=evidence.line_id,
        order=evidence.order,
        source=evidence.source,
        bonus=evidence.bonus,
        level=evidence.level,
        cause=evidence.cause,
        currency=evidence.currency,
        base=evidence.base,
        rate_num=evidence.rate_num,
        rate_den=evidence.rate_den,
        paid=evidence.paid,
        counterfactual=evidence.counterfactual,
        evidence=evidence.facts,
        message=message,
        opened_at=now,
    )
    if evidence.kind == "line":
        subject = _("Dispute %(ref)s: %(bonus)s line of %(period)s") % {
            "ref": dispute.reference,
            "bonus": evidence.bonus,
            "period": evidence.run.period.code,
        }
    else:
        subject = _("Dispute %(ref)s: no commission for order %(order)s") % {
            "ref": dispute.reference,
            "order": evidence.order.number,
        }
    ticket = do_open_ticket(
        member,
        subject=subject,
        body=message or subject,
        category_key="dispute",
        channel=Ticket.Channel.DISPUTE,
        links={"order": evidence.order.pk} if evidence.order is not None else None,
    )
    ticket.line_ref = evidence.line_id
    ticket.save(update_fields=["line_ref"])
    dispute.ticket = ticket
    dispute.save(update_fields=["ticket"])
    record_event(
        DISPUTE_OPENED,
        {
            "dispute_id": dispute.pk,
            "ticket_id": ticket.pk,
            "kind": dispute.kind,
            "period": dispute.period.code,
            "bonus": dispute.bonus,
            "cause": dispute.cause,
            "line_id": dispute.line_id,
            "order_id": dispute.order_id,
        },
        member_id=member.pk,
    )
    return dispute


def dispute_reference(dispute: Dispute) -> str:
    """The adjustment's reference (and so its ledger memo, ``ledger.adjustment``): names the
    dispute, so the ledger entry points at it."""
    return f"dispute {dispute.reference}"


def _finish(dispute: Dispute, actor: User, status: str, reason: str) -> None:
    dispute.status = status
    dispute.resolved_at = _now()
    dispute.resolved_by = actor
    dispute.resolution_reason = reason
    dispute.save()
    record_event(
        DISPUTE_RESOLVED,
        {
            "dispute_id": dispute.pk,
            "outcome": "adjusted" if status == Dispute.Status.ADJUSTED else "rejected",
            "adjustment_id": dispute.adjustment_id,
            "amount": dispute.adjustment.amount if dispute.adjustment_id else 0,
        },
        member_id=dispute.member_id,
    )
    if dispute.ticket_id:
        do_staff_reply(dispute.ticket, actor, reason)
        do_set_status(dispute.ticket, actor, Ticket.Status.RESOLVED)


def _open_dispute(dispute: Dispute) -> Dispute:
    locked = Dispute.objects.select_for_update().select_related("member").get(pk=dispute.pk)
    if locked.status != Dispute.Status.OPEN:
        raise SupportError(
            _("Dispute %(ref)s is %(status)s already.")
            % {"ref": locked.reference, "status": locked.get_status_display()},
            "status",
        )
    return locked


@transaction.atomic
def do_resolve_dispute_with_adjustment(
    dispute: Dispute, actor: User, *, amount: int, reason: str, second_person: bool = False
) -> Dispute:
    """Finance credits (or debits) ``amount`` minor units through the ledger's adjustment
    action. Above the four-eyes limit (or whenever ``second_person`` is asked for) it becomes an
    adjustment request that a second finance or admin login approves
    (:func:`do_approve_dispute_adjustment`)."""
    locked = _open_dispute(dispute)
    reason = (reason or "").strip()
    if not reason:
        raise SupportError(_("Say why (the member reads it)."), "reason")
    currency = locked.currency or locked.member.currency
    kwargs = {
        "currency": currency,
        "reason": reason,
        "reference": dispute_reference(locked),
        "actor": actor,
    }
    try:
        if second_person or ledger.needs_approval(
            amount, actor=actor, distributor=locked.member, currency=currency
        ):
            request = ledger.do_request_adjustment(locked.member, amount, **kwargs)
            locked.adjustment_request = request
            locked.status = Dispute.Status.PENDING_APPROVAL
            locked.resolution_reason = reason
            locked.save()
            return locked
        adjustment = ledger.do_adjust_balance(
            locked.member, amount, idempotency_key=f"dispute:{locked.pk}", **kwargs
        )
    except LedgerError as error:
        raise SupportError(str(error), getattr(error, "field", "") or "amount") from error
    locked.adjustment = adjustment
    _finish(locked, actor, Dispute.Status.ADJUSTED, reason)
    return locked


@transaction.atomic
def do_approve_dispute_adjustment(dispute: Dispute, actor: User) -> Dispute:
    """The second person approves the dispute's adjustment request: it posts, the dispute is
    resolved."""
    locked = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if locked.status != Dispute.Status.PENDING_APPROVAL or locked.adjustment_request is None:
        raise SupportError(_("This dispute has no adjustment waiting."), "status")
    try:
        adjustment = ledger.do_approve_adjustment_request(locked.adjustment_request, actor=actor)
    except LedgerError as error:
        raise SupportError(str(error), "approval") from error
    locked.adjustment = adjustment
    _finish(locked, actor, Dispute.Status.ADJUSTED, locked.resolution_reason)
    return locked


@transaction.atomic
def sync_dispute(dispute: Dispute) -> Dispute:
    """A pending dispute whose request was decided elsewhere (the console's adjustments page)
    follows it: approved → resolved by its adjustment; rejected → open again."""
    if dispute.status != Dispute.Status.PENDING_APPROVAL or dispute.adjustment_request_id is None:
        return dispute
    locked = Dispute.objects.select_for_update().get(pk=dispute.pk)
    request = AdjustmentRequest.objects.get(pk=locked.adjustment_request_id)
    if request.status == AdjustmentRequest.Status.APPROVED and request.adjustment_id:
        locked.adjustment_id = request.adjustment_id
        _finish(locked, request.decided_by, Dispute.Status.ADJUSTED, locked.resolution_reason)
    elif request.status == AdjustmentRequest.Status.REJECTED:
        locked.status = Dispute.Status.OPEN
        locked.adjustment_request = None
        locked.save(update_fields=["status", "adjustment_request"])
    return locked


@transaction.atomic
def do_reject_dispute(dispute: Dispute, actor: User, *, reason: str) -> Dispute:
    """Finance rejects with reasons (the member reads them on the ticket)."""
    locked = _open_dispute(dispute)
    reason = (reason or "").strip()
    if not reason:
        raise SupportError(_("A rejection needs a reason."), "reason")
    _finish(locked, actor, Dispute.Status.REJECTED, reason)
    return locked


def period_of(code: str) -> Period | None:
    return Period.objects.filter(code=code).first()
