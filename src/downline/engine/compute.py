"""One commission period: ``compute_period(plan, inputs, state) -> PeriodResult``.

The order of evaluation of docs/plan-language.md: 1. volumes, group volumes and legs;
2. activity; 3. ranks, bottom-up; 4. bonuses in the order of the plan, each per-distributor cap
right after the last bonus it lists; 5. the company cap. Nothing here loops over distributors or
orders; the inputs and the state are never modified.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from downline.i18n import gettext as _

from .bonuses import BONUS_KINDS
from .caps import company_cap, company_limit, distributor_cap
from .context import PeriodContext
from .inputs import EngineState, Lines, PeriodDetails, PeriodInputs, PeriodResult
from .plan import Plan
from .ranks import reported_qualifying_volume
from .rounding import sum_by
from .volumes import PlanInputError, check_currency


def compute_period(
    plan: Plan, inputs: PeriodInputs, state: EngineState | None = None
) -> PeriodResult:
    """Compute one period of ``plan`` (docs/plan-language.md) over ``inputs``, starting from
    ``state`` (the previous period's :attr:`PeriodResult.state`; ``None``: everyone new)."""
    check_currency(plan, inputs)
    state = state if state is not None else EngineState.fresh(inputs.n)
    ctx = PeriodContext(plan, inputs, state)
    run_bonuses(ctx)
    lines = assemble_lines(ctx)
    apply_company_cap(ctx, lines)
    return period_result(ctx, lines)


def run_bonuses(ctx: PeriodContext, on_step: Callable[[str], None] | None = None) -> None:
    """Every bonus in plan order (its lines into ``ctx.store``), each per-distributor cap after
    the last bonus it lists."""
    plan = ctx.plan
    index = {bonus.name: b for b, bonus in enumerate(plan.bonuses)}
    caps_after: dict[int, list] = {}
    for cap in plan.caps:
        caps_after.setdefault(max(index[name] for name in cap.bonuses), []).append(cap)
    for b, bonus in enumerate(plan.bonuses):
        try:
            batch = BONUS_KINDS[bonus.kind](ctx, b, bonus)
        except OverflowError as error:
            raise PlanInputError(
                _(
                    "bonus %(bonus)s: a line would be 2^63 minor units or more; its rates are "
                    "too large for the period's volumes"
                )
                % {"bonus": bonus.name},
                path=("bonuses", b),
            ) from error
        if len(ctx.store.segments) == b:  # level walks write into the store themselves
            ctx.store.append(b, batch, ctx.rates)
        for cap in caps_after.get(b, []):
            listed = sorted(index[name] for name in cap.bonuses)
            distributor_cap([ctx.batch(k) for k in listed], plan.money_minor(cap.max), ctx.n)
        if on_step is not None:
            on_step(bonus.name)


def assemble_lines(ctx: PeriodContext) -> Lines:
    """The period's line arrays: every bonus's lines in plan order, each canonical."""
    return ctx.store.lines(ctx.rates)


def apply_company_cap(ctx: PeriodContext, lines: Lines) -> bool:
    """The company-wide cap on the final line arrays; whether it bound."""
    cap = ctx.plan.company_cap
    if cap is None:
        return False
    index = {bonus.name: b for b, bonus in enumerate(ctx.plan.bonuses)}
    capped = sorted(index[name] for name in cap.bonuses) if cap.bonuses else range(len(index))
    limit = company_limit(cap.share.value, ctx.volumes.totals[cap.of], ctx.minor)
    return company_cap(lines.amount, [ctx.store.segments[b] for b in capped], limit)


def earned_by_recipient(lines: Lines, n: int) -> np.ndarray:
    """Σ amount per recipient. Each bonus's lines are sorted by recipient, so every run of one
    recipient in one bonus is summed with ``reduceat`` and only the run totals are scattered."""
    if not len(lines):
        return np.zeros(n, dtype=np.int64)
    recipient, bonus = lines.recipient, lines.bonus
    change = np.empty(len(lines), dtype=bool)
    change[0] = True
    np.not_equal(recipient[1:], recipient[:-1], out=change[1:])
    change[1:] |= bonus[1:] != bonus[:-1]
    starts = np.flatnonzero(change)
    return sum_by(recipient[starts], np.add.reduceat(lines.amount, starts), n)


def period_result(ctx: PeriodContext, lines: Lines) -> PeriodResult:
    plan, n = ctx.plan, ctx.n
    ranks = ctx.ranks
    binary = [bonus.name for bonus in plan.bonuses if bonus.kind == "binary"]
    if binary:
        carry_left, carry_right = ctx.new_carry[binary[0]]
    else:
        carry_left = carry_right = np.zeros(n, dtype=np.int64)
    volumes = ctx.volumes
    return PeriodResult(
        pv=volumes.pv,
        cv=volumes.cv,
        gv=volumes.gv,
        qualifying_volume=reported_qualifying_volume(plan, ranks, n),
        active=ctx.active,
        qualified_rank=ranks.qualified,
        paid_as_rank=ranks.paid_as,
        highest_rank=ranks.highest,
        earned=earned_by_recipient(lines, n),
        carry_left=carry_left,
        carry_right=carry_right,
        lines=lines,
        state=EngineState(
            highest_rank=ranks.highest,
            paid_as_rank=ranks.paid_as,
            grace_used=ranks.grace_used,
            carry=dict(ctx.new_carry),
            awarded=dict(ctx.new_awarded),
        ),
        details=PeriodDetails(
            present=ctx.present,
            eligible=ctx.eligible,
            own_pv=volumes.own("pv"),
            customer_pv=volumes.customer("pv"),
            buying_customers=volumes.buying_customers,
            conditions=ranks.conditions,
            totals=dict(volumes.totals),
            missed=dict(ctx.missed),
            walks=dict(ctx.walks),
            binary_legs=dict(ctx.binary_legs),
            pools=dict(ctx.pools),
            requirements=dict(ctx.requirements),
            trees={
                name: ctx.tree(name) for name in ("enrollment", "placement") if name in ctx.__dict__
            },
        ),
    )
