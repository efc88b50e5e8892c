"""A leader's residual income: the last 12 final periods by source, stability and legs.

Read from the commission lines of final runs (``compensation.LineBlock``; clawback lines are
left out: they land in later periods and are shown on statements). For each line of the member:

* ``customers``: the line's source order is a retail customer's order credited to the member
  (or its source is one of the member's retail customers);
* ``own``: otherwise, the line's source is the member themself (own orders, rank bonuses). A
  line on the member's whole volume (source the member, no source order: a personal bonus) is
  split in proportion to the period's CV: ``customers = ⌊amount · customer_cv / cv⌋``, the rest
  ``own``, so the parts still add up to the line;
* ``team``: anyone else; by the line's ``level``, and by *leg*: the member's first-level
  enrollee whose enrollment subtree holds the source (``None``: outside the enrollment
  downline, e.g. placement-tree spillover).

Stability is the coefficient of variation of the period totals, from integers:
``CV = σ / μ = √(n·Σx² − (Σx)²) / Σx`` (population σ), shown in basis points computed with
``isqrt``; a leg's share is ``leg / team`` in basis points. Only the member's own figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from math import isqrt

from django.db import connection

from downline.compensation.line_blocks import unpack
from downline.compensation.models import LineBlock, Run
from downline.genealogy.models import Distributor
from downline.orders.models import Order, PeriodVolume

PERIODS = 12


@dataclass
class PeriodIncome:
    code: str
    currency: str
    own: int = 0
    customers: int = 0
    team: int = 0
    total: int = 0
    by_level: dict[int, int] = field(default_factory=dict)
    by_leg: dict[int | None, int] = field(default_factory=dict)


@dataclass
class Residual:
    periods: list[PeriodIncome]
    currency: str
    total: int
    mean: int
    cv_bp: int | None  # coefficient of variation in basis points (None: no income)
    legs: list[dict]  # {member_id, name, amount, share_bp}
    levels: list[tuple[int, int]]


def _legs(member: Distributor) -> tuple[dict[int, int], set[int]]:
    """Every enrollment descendant -> first-level enrollee; and the member's own customers."""
    table = Distributor._meta.db_table
    sql = f"""
WITH RECURSIVE leg(id, top, depth) AS (
    SELECT id, id, 1 FROM {table} WHERE sponsor_id = %s
    UNION ALL
    SELECT d.id, l.top, l.depth + 1 FROM {table} d JOIN leg l ON d.sponsor_id = l.id
    WHERE l.depth < 1000
)
SELECT id, top FROM leg"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [member.pk])
        tops = dict(cursor.fetchall())
    customers = set(
        Distributor.objects.filter(sponsor=member, kind=Distributor.Kind.CUSTOMER).values_list(
            "pk", flat=True
        )
    )
    return tops, customers


def cv_basis_points(totals: list[int]) -> int | None:
    n = len(totals)
    s = sum(totals)
    if n == 0 or s <= 0:
        return None
    spread = n * sum(x * x for x in totals) - s * s
    return isqrt(spread * 10**8) // s


def residual_income(member: Distributor, periods: int = PERIODS) -> Residual:
    runs = list(
        Run.objects.filter(kind=Run.Kind.FINAL)
        .select_related("period")
        .order_by("-period__starts_at")[:periods]
    )
    runs.reverse()
    tops, customers = _legs(member)
    blocks = {
        run_id: unpack(data)
        for run_id, data in LineBlock.objects.filter(run__in=runs, recipient=member).values_list(
            "run_id", "data"
        )
    }
    order_ids = {int(o) for lines in blocks.values() for o in lines["source_order"] if o >= 0}
    customer_orders = set(
        Order.objects.filter(
            pk__in=order_ids, is_customer_order=True, distributor=member
        ).values_list("pk", flat=True)
    )
    shares = {
        period_id: (cv, customer_cv)
        for period_id, cv, customer_cv in PeriodVolume.objects.filter(
            distributor=member, period__in=[run.period_id for run in runs]
        ).values_list("period_id", "cv", "customer_cv")
    }
    out: list[PeriodIncome] = []
    leg_totals: dict[int | None, int] = defaultdict(int)
    level_totals: dict[int, int] = defaultdict(int)
    for run in runs:
        income = PeriodIncome(code=run.period.code, currency=run.currency)
        lines = blocks.get(run.pk)
        if lines is not None:
            for line in lines:
                amount = int(line["amount"])
                source = int(line["source"])
                income.total += amount
                if int(line["source_order"]) in customer_orders or source in customers:
                    income.customers += amount
                elif source == member.pk:
                    if int(line["source_order"]) < 0:  # a bonus on the member's whole volume
                        cv, customer_cv = shares.get(run.period_id, (0, 0))
                        part = amount * customer_cv // cv if cv > 0 else 0
                        income.customers += part
                        income.own += amount - part
                    else:
                        income.own += amount
                else:
                    income.team += amount
                    level = int(line["level"])
                    leg = tops.get(source)
                    income.by_level[level] = income.by_level.get(level, 0) + amount
                    income.by_leg[leg] = income.by_leg.get(leg, 0) + amount
                    leg_totals[leg] += amount
                    level_totals[level] += amount
        out.append(income)
    totals = [p.total for p in out]
    team_total = sum(leg_totals.values())
    names = dict(
        Distributor.objects.filter(pk__in=[k for k in leg_totals if k is not None]).values_list(
            "pk", "name"
        )
    )
    codes = dict(
        Distributor.objects.filter(pk__in=[k for k in leg_totals if k is not None]).values_list(
            "pk", "member_id"
        )
    )
    legs = sorted(
        (
            {
                "member_id": codes.get(key, ""),
                "name": names.get(key, "") if key is not None else "",
                "amount": amount,
                "share_bp": (amount * 10_000 // team_total) if team_total > 0 else 0,
            }
            for key, amount in leg_totals.items()
        ),
        key=lambda leg: -leg["amount"],
    )
    total = sum(totals)
    return Residual(
        periods=out,
        currency=out[-1].currency if out else member.currency,
        total=total,
        mean=total // len(out) if out else 0,
        cv_bp=cv_basis_points(totals),
        legs=legs,
        levels=sorted(level_totals.items()),
    )
