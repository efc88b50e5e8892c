"""Support in the demo: the knowledge base in four languages (with the articles generated from
the active plan), tickets of the personas in every state with their messages, one SLA breach
(escalated), and a commission dispute resolved by an adjustment through the four-eyes path
(fiona asks, admin approves). Everything goes through the support actions."""

from __future__ import annotations

from datetime import timedelta

from downline.compensation.models import LineBlock, Run
from downline.genealogy.models import Distributor
from downline.support.actions import (
    do_approve_dispute_adjustment,
    do_mark_breaches,
    do_member_reply,
    do_open_dispute,
    do_open_ticket,
    do_rate_ticket,
    do_resolve_dispute_with_adjustment,
    do_set_status,
    do_staff_reply,
)
from downline.support.evidence import line_id
from downline.support.kb import ensure_content
from downline.support.models import Ticket

from .tools import ToolsContext

TICKETS = (
    # persona, subject, body, category, final state, priority
    (
        "emma",
        "Payout not arrived",
        "My payout of last month is not in my account yet.",
        "payouts",
        "new",
        "normal",
    ),
    (
        "olga",
        "Смена банковских реквизитов",
        "Я сменила банк. Как обновить IBAN?",
        "account",
        "open",
        "normal",
    ),
    (
        "kasia",
        "Zwrot zamówienia",
        "Klientka chce zwrócić krem. Co z moją prowizją?",
        "returns",
        "waiting_on_member",
        "normal",
    ),
    (
        "jonas",
        "Rang nicht erreicht",
        "Warum bin ich nicht Leader geworden?",
        "commissions",
        "resolved",
        "high",
    ),
    ("emma", "Change of address", "Please update my shipping address.", "account", "closed", "low"),
    (
        "olga",
        "Срочно: заказ не оплачен",
        "Оплата прошла, но заказ не виден.",
        "orders",
        "breach",
        "urgent",
    ),
)


def _member(ctx: ToolsContext, login: str) -> Distributor | None:
    member_id = ctx.persona_ids.get(login)
    return Distributor.objects.filter(member_id=member_id).first() if member_id else None


def seed(ctx: ToolsContext) -> None:
    ensure_content()
    now = ctx.timeline.now
    for index, (login, subject, body, category, state, priority) in enumerate(TICKETS):
        member = _member(ctx, login)
        if member is None:
            continue
        opened = now - timedelta(days=6 - index, hours=3)
        if state == "breach":
            opened = now - timedelta(days=3)
        with ctx.timeline.at(opened):
            ticket = do_open_ticket(
                member, subject=subject, body=body, category_key=category, priority=priority
            )
        if state in ("new", "breach"):
            continue
        with ctx.timeline.at(opened + timedelta(hours=2)):
            do_staff_reply(ticket, ctx.admin, "Checked the account.", internal=True)
            do_staff_reply(
                ticket,
                ctx.admin,
                "Thank you, we are looking into it." if login != "olga" else "Спасибо, проверяем.",
                wait_for_member=state == "waiting_on_member",
            )
        if state in ("resolved", "closed"):
            with ctx.timeline.at(opened + timedelta(hours=5)):
                do_member_reply(ticket, member, "Danke!" if login == "jonas" else "Thanks!")
                do_set_status(ticket, ctx.admin, Ticket.Status.RESOLVED)
                do_rate_ticket(ticket, member, 5 if state == "resolved" else 4)
            if state == "closed":
                with ctx.timeline.at(opened + timedelta(days=2)):
                    do_set_status(ticket, ctx.admin, Ticket.Status.CLOSED)
    do_mark_breaches(now)
    _dispute(ctx)
    ctx.say("support: knowledge base, tickets in every state, an SLA breach, a dispute")


def _dispute(ctx: ToolsContext) -> None:
    """jonas (or the first persona with a line) disputes a line of the last closed month; fiona
    asks for a 5.00 credit, admin approves it."""
    if len(ctx.months) < 2:
        return
    run = Run.objects.filter(period__code=ctx.months[-2], kind=Run.Kind.FINAL).first()
    if run is None:
        return
    for login in ("jonas", "emma", "kasia", "olga"):
        member = _member(ctx, login)
        if member is None:
            continue
        block = LineBlock.objects.filter(run=run, recipient=member).first()
        if block is None or block.lines == 0:
            continue
        with ctx.timeline.at(ctx.timeline.now - timedelta(days=2)):
            dispute = do_open_dispute(
                member,
                line_id=line_id(block.pk, 0),
                message="I think this line is too small.",
            )
        with ctx.timeline.at(ctx.timeline.now - timedelta(days=1)):
            pending = do_resolve_dispute_with_adjustment(
                dispute,
                ctx.fiona,
                amount=500,
                reason="Goodwill credit: the volume of a late order was counted in the next month.",
                second_person=True,
            )
            do_approve_dispute_adjustment(pending, ctx.admin)
        return
