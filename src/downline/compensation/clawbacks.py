"""Clawbacks: what a return of an order from a closed period takes back.

A return after the close (``Order.after_close``) never changes the closed period: its volumes,
ranks and lines stay. Instead, in the open period of the refund, it creates negative lines for
the commissions its volume produced in that period's final run, posted to the ledger at once
(a debit of the wallet; what the wallet cannot cover becomes clawback receivable, netted
against later earnings). With ``f = returned volume ÷ order volume``, measured in the volume the
bonus is paid on (PV, CV or turnover):

1. every line whose source order is the returned order (unilevel, matrix, fast start,
   generation by order; found in the blocks of the credited distributor's uplines in both trees
   as the run computed them): ``claw = −round_half_up(amount × f)``;
2. every personal-bonus line of the distributor the order was credited to, whose base is that
   distributor's period volume ``V``: ``claw = −round_half_up(amount × returned ÷ V)``;
3. every matching line built on the clawed lines, bonus by bonus in plan order (so a matching
   of a matching follows): for a recipient whose matched bonuses were clawed ``c`` (< 0) and each
   matching line of the run that matched them at rate ``r`` and paid ``amount`` of
   ``amount_before_cap``: ``claw = round_half_up(c × r × amount ÷ amount_before_cap)``.

Each clawback line copies the bonus, level, recipient, source and rate of the line it reverses,
with a negative base and amount (``amount_before_cap`` equals ``amount``); its source order is
the returned order, and its clawback names the return. Bonuses that depend on
totals over a leg or the company (binary, stairstep, pools, rank advancement) are not clawed
back: their lines have no single order behind them, and the closed period's ranks stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from django.db import connection

from downline.core import events as outbox
from downline.engine.plan.model import MatchingBonus
from downline.ledger import memos
from downline.ledger.models import Account, Transaction
from downline.ledger.posting import Entries, company_account, distributor_entries, post
from downline.orders.models import Order

from .line_blocks import unpack
from .models import Clawback, CommissionLine, LineBlock, Run, RunResult
from .plans import loaded_plan

ORDER_BONUSES = {"unilevel", "matrix", "fast_start", "generation"}


def _round_half_up(value: Fraction) -> int:
    """Half away from zero, as the engine rounds each line."""
    magnitude = (2 * abs(value.numerator) + value.denominator) // (2 * value.denominator)
    return magnitude if value >= 0 else -magnitude


def _returned(refund: Order, original: Order, measure: str) -> tuple[int, int]:
    """The returned and the original volume of ``measure`` (pv, cv or amount)."""
    return getattr(refund, measure), getattr(original, measure)


@dataclass
class Claw:
    """A clawback line: the line it reverses (``recipient`` and a :data:`line_blocks.LINE`
    record), the negative base and amount."""

    recipient: int
    line: np.void
    base: int
    amount: int


def _uplines(run: Run, start: int, tree: str, levels: int | None = None) -> list[int]:
    """``start`` and its ancestors in ``tree`` as the run computed them (up to ``levels``)."""
    column = "sponsor_id" if tree == "enrollment" else "placement_id"
    table = RunResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE up(id, depth) AS (
                    SELECT CAST(%s AS BIGINT), 0
                    UNION ALL
                    SELECT r.{column}, up.depth + 1 FROM up
                    JOIN {table} r ON r.run_id = %s AND r.distributor_id = up.id
                    WHERE r.{column} IS NOT NULL AND up.depth < %s)
                SELECT id FROM up""",
            [start, run.pk, levels if levels is not None else 10_000_000],
        )
        return [row[0] for row in cursor.fetchall()]


def _blocks(run: Run, recipients: set[int]) -> dict[int, np.ndarray]:
    found: dict[int, np.ndarray] = {}
    wanted = sorted(recipients)
    for chunk in range(0, len(wanted), 500):
        for recipient, data in LineBlock.objects.filter(
            run=run, recipient_id__in=wanted[chunk : chunk + 500]
        ).values_list("recipient_id", "data"):
            found[recipient] = unpack(data)
    return found


def _record_clawback_event(
    clawback: Clawback, refund: Order, original: Order, run: Run, claws: list[Claw]
) -> None:
    """The ``clawback.created`` event, about the distributor the order was credited to."""
    outbox.record_event(
        outbox.CLAWBACK_CREATED,
        {
            "clawback": clawback.pk,
            "order": original.number,
            "return": refund.number,
            "member": original.distributor.member_id,
            "period": refund.period.code,
            "original_period": run.period.code,
            "currency": clawback.currency,
            "amount": clawback.amount,
            "lines": len(claws),
            "recipients": len({claw.recipient for claw in claws}),
        },
        member_id=original.distributor_id,
    )


def do_claw_back(refund: Order) -> Clawback | None:
    """Claw back the commissions of ``refund``'s original order (inside the return's
    transaction); ``None`` when the original's period has no final run."""
    original = refund.returns_order
    run = (
        Run.objects.filter(period_id=original.period_id, kind=Run.Kind.FINAL)
        .select_related("plan_version", "period")
        .first()
    )
    if run is None:
        return None
    plan = loaded_plan(run.plan_version).plan
    credited = original.distributor_id
    candidates = set(_uplines(run, credited, "enrollment")) | set(
        _uplines(run, credited, "placement")
    )
    blocks = _blocks(run, candidates)
    claws: list[Claw] = []

    def add(recipient: int, line: np.void, base: int, amount: int) -> None:
        if amount:
            claws.append(Claw(recipient, line, base, amount))

    for recipient, lines in blocks.items():
        for line in lines[lines["source_order"] == original.pk]:
            bonus = plan.bonuses[int(line["bonus"])]
            if bonus.kind not in ORDER_BONUSES:
                continue
            returned, whole = _returned(refund, original, bonus.volume)
            if whole:
                value = Fraction(int(line["amount"]) * returned, whole)
                add(recipient, line, -returned, -_round_half_up(value))
    own = blocks.get(credited)
    if own is not None:
        for line in own:
            bonus = plan.bonuses[int(line["bonus"])]
            if bonus.kind == "personal" and line["base"]:
                returned, _whole = _returned(refund, original, bonus.volume)
                value = Fraction(int(line["amount"]) * returned, int(line["base"]))
                add(credited, line, -returned, -_round_half_up(value))
    names = {bonus.name: b for b, bonus in enumerate(plan.bonuses)}
    for b, bonus in enumerate(plan.bonuses):
        if not isinstance(bonus, MatchingBonus):
            continue
        matched = {names[name] for name in bonus.of}
        clawed: dict[int, int] = {}
        for claw in claws:
            if int(claw.line["bonus"]) in matched:
                clawed[claw.recipient] = clawed.get(claw.recipient, 0) + claw.amount
        uplines: dict[int, set[int]] = {
            source: set(_uplines(run, source, bonus.tree, len(bonus.levels))) - {source}
            for source in clawed
        }
        matching_blocks = _blocks(run, set().union(*uplines.values()) if uplines else set())
        for recipient, lines in matching_blocks.items():
            for line in lines[lines["bonus"] == b]:
                source = int(line["source"])
                if source not in clawed or recipient not in uplines[source]:
                    continue
                if not line["amount_before_cap"] or not line["rate_den"]:
                    continue
                value = Fraction(
                    clawed[source] * int(line["rate_num"]) * int(line["amount"]),
                    int(line["rate_den"]) * int(line["amount_before_cap"]),
                )
                add(recipient, line, clawed[source], _round_half_up(value))
    total = sum(claw.amount for claw in claws)
    clawback = Clawback.objects.create(
        return_order=refund,
        original_run=run,
        period_id=refund.period_id,
        currency=run.currency,
        amount=total,
    )
    _record_clawback_event(clawback, refund, original, run, claws)
    if not claws:
        return clawback
    CommissionLine.objects.bulk_create(
        CommissionLine(
            period_id=refund.period_id,
            clawback=clawback,
            bonus=int(claw.line["bonus"]),
            recipient_id=claw.recipient,
            source_id=int(claw.line["source"]) if claw.line["source"] >= 0 else None,
            source_order_id=original.pk,
            level=int(claw.line["level"]),
            base=claw.base,
            rate_num=int(claw.line["rate_num"]),
            rate_den=int(claw.line["rate_den"]),
            amount_before_cap=claw.amount,
            amount=claw.amount,
        )
        for claw in claws
    )
    per_recipient: dict[int, int] = {}
    for claw in claws:
        per_recipient[claw.recipient] = per_recipient.get(claw.recipient, 0) + claw.amount
    recipients = np.array(list(per_recipient), dtype=np.int64)
    amounts = np.array(list(per_recipient.values()), dtype=np.int64)
    entries, counter = distributor_entries(recipients, amounts, run.currency)
    parts = [entries]
    if counter:
        expense = company_account(Account.Kind.COMMISSION_EXPENSE, run.currency)
        parts.append(Entries(np.array([expense.pk]), np.array([-counter])))
    clawback.ledger_transaction = post(
        Transaction.Kind.CLAWBACK,
        memos.memo(
            memos.CLAWBACK, refund=refund.number, order=original.number, period=run.period.code
        ),
        Entries.join(*parts),
        idempotency_key=f"clawback:{refund.pk}",
        currency=run.currency,
    )
    clawback.save(update_fields=["ledger_transaction"])
    return clawback
