"""Commission statements and lines, wallets and payouts (read only).

A statement is the member's result in the period's final run (what the back office's statement
page shows: earned, per bonus, rank) and the clawbacks that landed in the period. A personal
token reads only its own member's; a line names its source member only when that member is in
the viewer's team (``web.statements.visible_sources``), as on the back office's statement.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from downline.compensation.reports import rank_names
from downline.compensation.selectors import (
    StatementLine,
    by_bonus,
    clawback_lines,
    final_run,
    result_of,
    run_lines,
)
from downline.genealogy.models import Distributor
from downline.ledger.selectors import balances
from downline.orders.models import Order
from downline.payouts.models import Payout
from downline.periods.models import Period
from downline.web.statements import visible_sources

from ..auth import need, viewer
from ..pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor, page
from ..schemas import BalanceOut, CommissionLinePage, PayoutPage, StatementOut
from .visibility import not_found, own_or_404

router = Router()


def _period_or_404(code: str) -> Period:
    period = Period.objects.filter(code=code).first()
    if period is None:
        raise not_found(_("period %(code)s") % {"code": code})
    return period


def _final_result(member: Distributor, period: Period):
    run = final_run(period)
    result = result_of(run, member) if run is not None else None
    if result is None:
        raise not_found(
            _("statement of %(member)s for %(period)s")
            % {"member": member.member_id, "period": period.code}
        )
    return run, result


@router.get(
    "/members/{member_id}/statements/{period_code}",
    response=StatementOut,
    summary="Read a statement",
)
def get_statement(request: HttpRequest, member_id: str, period_code: str):
    need(request, "commissions:read")
    member = own_or_404(viewer(request), member_id)
    period = _period_or_404(period_code)
    run, result = _final_result(member, period)
    ranks = rank_names(run)
    rank = ranks[result.paid_as_rank] if 0 <= result.paid_as_rank < len(ranks) else None
    return {
        "member_id": member.member_id,
        "period": period.code,
        "run": run.pk,
        "currency": run.currency,
        "earned": result.earned,
        "by_bonus": by_bonus(result),
        "clawbacks": sum(line.amount for line in clawback_lines(period, member)),
        "rank": rank,
    }


@router.get(
    "/members/{member_id}/commission-lines",
    response=CommissionLinePage,
    summary="List commission lines",
)
def list_lines(
    request: HttpRequest,
    member_id: str,
    period: str = Query(..., max_length=16, description="period code"),
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """The member's lines of the period's final run, then the clawback lines that landed in the
    period, in the engine's order."""
    need(request, "commissions:read")
    who = viewer(request)
    member = own_or_404(who, member_id)
    found = _period_or_404(period)
    run, _result = _final_result(member, found)
    lines: list[StatementLine] = run_lines(run, member) + clawback_lines(found, member)
    start = decode_cursor(cursor) if cursor else 0
    chunk = lines[start : start + limit]
    sources = {line.source_id for line in chunk if line.source_id is not None}
    shown = sources if who is None else visible_sources(who, sources)
    ids = dict(Distributor.objects.filter(pk__in=shown).values_list("pk", "member_id"))
    orders = dict(
        Order.objects.filter(
            pk__in={line.source_order_id for line in chunk if line.source_order_id}
        ).values_list("pk", "number")
    )
    items = [
        {
            "bonus": line.bonus,
            "level": line.level,
            "source": ids.get(line.source_id),
            "source_order": orders.get(line.source_order_id),
            "base": line.base,
            "rate_num": line.rate_num,
            "rate_den": line.rate_den,
            "amount_before_cap": line.amount_before_cap,
            "amount": line.amount,
            "clawback": line.clawback_id is not None,
        }
        for line in chunk
    ]
    end = start + len(chunk)
    return {"items": items, "next_cursor": encode_cursor(end) if end < len(lines) else None}


@router.get("/members/{member_id}/wallets", response=list[BalanceOut], summary="Read wallets")
def list_wallets(request: HttpRequest, member_id: str):
    """Balances per currency: what the wallet holds, what the member owes, and the net."""
    need(request, "wallets:read")
    member = own_or_404(viewer(request), member_id)
    return [
        {"currency": b.currency, "wallet": b.wallet, "owed": b.owed, "net": b.net}
        for b in balances(member)
    ]


def payout_dict(payout: Payout) -> dict:
    return {
        "id": payout.pk,
        "batch": payout.batch_id,
        "member_id": payout.distributor.member_id,
        "currency": payout.currency,
        "amount": payout.amount,
        "status": payout.status,
        "updated_at": payout.updated_at,
    }


@router.get("/payouts", response=PayoutPage, summary="List payouts")
def list_payouts(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    member: str | None = Query(None, description="member id"),
    status: str | None = Query(None, pattern="^(pending|paid|failed|cancelled)$"),
):
    """Payouts (a personal token: its own only), oldest first."""
    need(request, "wallets:read")
    rows = Payout.objects.select_related("distributor")
    who = viewer(request)
    if who is not None:
        rows = rows.filter(distributor=who)
    if member:
        rows = rows.filter(distributor__member_id=member)
    if status:
        rows = rows.filter(status=status)
    return page(rows, cursor=cursor, limit=limit, render=payout_dict)
