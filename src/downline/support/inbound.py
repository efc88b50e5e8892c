"""Inbound e-mail: a mail to the support address becomes a ticket; answers thread onto it.

An SMTP receiver (``aiosmtpd``) on ``DOWNLINE_SUPPORT_SMTP_BIND`` ("127.0.0.1:2525"), run by
``django-admin support_inbound`` (behind the company's mail server, which relays the support
address to it). Each message received is handed to :func:`receive` in a worker thread (the
ORM does not run inside the event loop).

Threading, in this order: the ticket token ``[#T-123]`` in the subject; else an
``In-Reply-To``/``References`` id of a message of a ticket. A threaded mail is added only when
its sender is the ticket's member (their e-mail) or the address that opened it; anything else
starts a new ticket, so nobody writes into someone else's ticket by copying a subject.

A new ticket is matched to the distributor whose e-mail (or login's e-mail) is the sender,
when exactly one has it; otherwise it is kept with the sender's address for staff to sort.
Quoted lines (``> …``) and everything below an "On … wrote:" line are left out of the text.
Attachments pass the same size and type checks as web uploads; a refused one is listed in an
internal note instead.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import re
from email.message import EmailMessage
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import close_old_connections
from django.db.models import Q

from downline.genealogy.models import Distributor

from .actions import (
    SupportError,
    check_attachment,
    do_member_reply,
    do_open_ticket,
    do_staff_reply,
)
from .models import Ticket, TicketMessage

logger = logging.getLogger(__name__)

TOKEN = re.compile(r"\[#T-(\d+)\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
WROTE = re.compile(r"^(On .+ wrote:|Am .+ schrieb .+:|.+ написал\(а\):|W dniu .+ pisze:)\s*$")


def bind_address() -> tuple[str, int]:
    text = getattr(settings, "DOWNLINE_SUPPORT_SMTP_BIND", "127.0.0.1:2525")
    host, _colon, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def member_for(address: str) -> Distributor | None:
    address = address.strip()
    if not address:
        return None
    matches = list(
        Distributor.objects.filter(Q(email__iexact=address) | Q(user__email__iexact=address))
        .exclude(kind="customer")
        .distinct()[:2]
    )
    return matches[0] if len(matches) == 1 else None


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    lines = []
    for line in text.splitlines():
        if WROTE.match(line.strip()):
            break
        if line.lstrip().startswith(">"):
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip()


def _thread(message: EmailMessage, sender: str, member: Distributor | None) -> Ticket | None:
    ticket = None
    match = TOKEN.search(str(message.get("Subject", "")))
    if match:
        ticket = Ticket.objects.filter(pk=int(match.group(1))).first()
    if ticket is None:
        ids = MESSAGE_ID.findall(
            f"{message.get('In-Reply-To', '')} {message.get('References', '')}"
        )
        if ids:
            found = (
                TicketMessage.objects.filter(email_message_id__in=ids)
                .select_related("ticket")
                .order_by("-id")
                .first()
            )
            ticket = found.ticket if found is not None else None
    if ticket is None or ticket.status == Ticket.Status.CLOSED:
        return None
    owner = ticket.member
    if owner is not None and member is not None and owner.pk == member.pk:
        return ticket
    if ticket.from_email and ticket.from_email.lower() == sender.lower():
        return ticket
    return None


def _attachments(message: EmailMessage) -> tuple[list[ContentFile], list[str]]:
    files, refused = [], []
    for part in message.iter_attachments():
        name = part.get_filename() or "attachment"
        data = part.get_payload(decode=True) or b""
        upload = ContentFile(data, name=name)
        try:
            check_attachment(upload)
        except SupportError as error:
            refused.append(str(error))
            continue
        files.append(upload)
    return files, refused


def receive(raw: bytes) -> TicketMessage | Ticket:
    """Turn one received mail into a ticket or a reply on one."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    sender = parseaddr(str(message.get("From", "")))[1]
    member = member_for(sender)
    body = text_of(message) or "(empty message)"
    message_id = (MESSAGE_ID.findall(str(message.get("Message-ID", ""))) or [""])[0]
    files, refused = _attachments(message)
    ticket = _thread(message, sender, member)
    if ticket is not None:
        reply = do_member_reply(ticket, None, body, attachments=files, email_message_id=message_id)
        result: TicketMessage | Ticket = reply
    else:
        subject = TOKEN.sub("", str(message.get("Subject", ""))).strip() or "(no subject)"
        ticket = do_open_ticket(
            member,
            subject=subject,
            body=body,
            channel=Ticket.Channel.EMAIL,
            from_email=sender,
            email_message_id=message_id,
            attachments=files,
        )
        result = ticket
    if refused:
        do_staff_reply(ticket, None, "\n".join(refused), internal=True)
    return result


class Handler:
    """aiosmtpd handler: every mail goes to :func:`receive` in a worker thread."""

    def __init__(self) -> None:
        self.received = 0

    def _receive(self, raw: bytes) -> None:
        close_old_connections()
        try:
            receive(raw)
        finally:
            close_old_connections()

    async def handle_DATA(self, server, session, envelope):
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._receive, bytes(envelope.content))
        except Exception:  # the sender retries a temporary failure
            logger.exception("support inbound: message not stored")
            return "451 Requested action aborted: local error in processing"
        self.received += 1
        return "250 Message accepted"


def controller(host: str | None = None, port: int | None = None):
    """An aiosmtpd controller (``start()``/``stop()``) on the bind address."""
    from aiosmtpd.controller import Controller

    default_host, default_port = bind_address()
    return Controller(
        Handler(),
        hostname=host or default_host,
        port=default_port if port is None else port,
        data_size_limit=30 * 1024 * 1024,
    )
