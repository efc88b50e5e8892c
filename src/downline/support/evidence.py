"""What a dispute attaches: the line and its source, the trace's conditions, what was missing and
the counterfactual (what would have been paid had the condition been met).

Commission lines of final runs are packed per recipient (``compensation.line_blocks``); a line's
id is ``LineBlock.pk × LINE_STRIDE + row`` (its row in the block, engine order), what the
statement links to ``support:dispute_new?line=<id>`` carry (:func:`line_id`).

Reads only compensation-level functions (``run_lines``, ``trace_of``, ``loaded_plan``); figures
are numbers and keys (design rule 12), the trace's sentences are rendered when a page shows them.

The counterfactual:

* a **line** paid less than its amount before caps: the amount before caps (cause ``cap:<bonus>``);
  any other line: its exact value ``base × rate`` rounded half up (cause ``bonus:<bonus>``);
* an **order without a line**: for every per-order bonus with levels (unilevel, fast start) whose
  tree is the enrollment tree, the member's level above the order's credited distributor; if
  the level is within the bonus's levels, ``volume × rate of that level`` is what would have been
  paid (``volume_hundredths × rate × 10^minor / 100`` minor units, half up). The cause is the
  first condition the member's trace shows failing: ``eligible``, ``activity:<pv|cv>``,
  ``requires:<bonus>:<condition>``, else ``depth:<bonus>`` (level beyond the bonus's levels or
  the rank's depth) or ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from django.utils.translation import gettext as _

from downline.compensation.line_blocks import unpack
from downline.compensation.models import LineBlock, Run, RunResult
from downline.compensation.plans import loaded_plan
from downline.compensation.traces import trace_of
from downline.genealogy.models import Distributor
from downline.money import minor_units
from downline.orders.models import Order

LINE_STRIDE = 1_000_000


class EvidenceError(ValueError):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def line_id(block_id: int, row: int) -> int:
    return int(block_id) * LINE_STRIDE + int(row)


def split_line_id(value: int) -> tuple[int, int]:
    return divmod(int(value), LINE_STRIDE)


def half_up(value: Fraction) -> int:
    """``value`` rounded half away from zero to an integer (the plan's one rounding rule)."""
    sign = -1 if value < 0 else 1
    return sign * int((abs(value) + Fraction(1, 2)) // 1)


@dataclass
class Evidence:
    kind: str  # line | order
    run: Run
    member: Distributor
    currency: str = ""
    bonus: str = ""
    level: int | None = None
    source: Distributor | None = None
    order: Order | None = None
    base: int | None = None
    rate_num: int | None = None
    rate_den: int | None = None
    paid: int = 0
    counterfactual: int | None = None
    cause: str = ""
    line_id: int | None = None
    facts: dict = field(default_factory=dict)


def _plan_currency(run: Run) -> tuple[str, int]:
    return run.currency, int(run.minor_digits)


def line_evidence(member: Distributor, value: int) -> Evidence:
    """The line ``value`` of ``member``'s statement (refused if it is someone else's)."""
    block_id, row = split_line_id(value)
    block = LineBlock.objects.filter(pk=block_id, recipient=member).first()
    if block is None:
        raise EvidenceError(_("No such line on your statements."), "line")
    lines = unpack(block.data)
    if not 0 <= row < len(lines):
        raise EvidenceError(_("No such line on your statements."), "line")
    run = Run.objects.select_related("plan_version", "period").get(pk=block.run_id)
    plan = loaded_plan(run.plan_version).plan
    line = lines[row]
    bonus = plan.bonuses[int(line["bonus"])].name
    evidence = Evidence(
        kind="line",
        run=run,
        member=member,
        currency=run.currency,
        bonus=bonus,
        level=int(line["level"]),
        base=int(line["base"]),
        rate_num=int(line["rate_num"]),
        rate_den=int(line["rate_den"]),
        paid=int(line["amount"]),
        line_id=value,
    )
    if line["source"] >= 0:
        evidence.source = Distributor.objects.filter(pk=int(line["source"])).first()
    if line["source_order"] >= 0:
        evidence.order = Order.objects.filter(pk=int(line["source_order"])).first()
    if int(line["amount"]) < int(line["amount_before_cap"]):
        evidence.counterfactual = int(line["amount_before_cap"])
        evidence.cause = f"cap:{bonus}"
    else:
        evidence.counterfactual = int(line["amount_before_cap"])
        evidence.cause = f"bonus:{bonus}"
    evidence.facts = _trace_facts(run, member)
    return evidence


def _trace_facts(run: Run, member: Distributor) -> dict:
    """Numbers and keys of the member's trace in ``run``: activity, eligibility, failed
    conditions per bonus, paid-as rank."""
    result = RunResult.objects.filter(run=run, distributor=member).first()
    if result is None:
        return {"result": False}
    trace = trace_of(result)
    failed_activity = [
        c["name"] for c in trace.get("activity", {}).get("conditions", []) if not c.get("pass")
    ]
    requirements = {
        name: [c["name"] for c in data.get("conditions", []) if not c.get("pass")]
        for name, data in (trace.get("requirements") or {}).items()
        if not data.get("met", True)
    }
    return {
        "result": True,
        "eligible": bool(trace.get("eligible", True)),
        "active": bool(trace.get("active", True)),
        "failed_activity": failed_activity,
        "requirements": requirements,
        "paid_as": (trace.get("rank") or {}).get("paid_as", ""),
        "earned": {
            name: data.get("lines", 0) for name, data in (trace.get("earned") or {}).items()
        },
    }


def _enrollment_level(member: Distributor, credited: Distributor) -> int | None:
    """How many sponsor steps ``member`` is above ``credited`` (None: not above)."""
    level, current = 0, credited
    seen = set()
    while current is not None and current.pk not in seen and level < 200:
        if current.pk == member.pk:
            return level
        seen.add(current.pk)
        current = current.sponsor
        level += 1
    return None


def order_evidence(member: Distributor, order: Order) -> Evidence:
    """Why ``order`` paid ``member`` nothing, and what it would have paid."""
    run = (
        Run.objects.filter(period=order.period, kind=Run.Kind.FINAL)
        .select_related("plan_version", "period")
        .first()
    )
    if run is None:
        raise EvidenceError(
            _("The period of this order is not closed yet; its commissions are not final."), "order"
        )
    credited = order.distributor
    level = _enrollment_level(member, credited)
    if level is None:
        raise EvidenceError(_("This order is not in your team."), "order")
    plan = loaded_plan(run.plan_version).plan
    minor = minor_units(run.currency) if isinstance(plan.currency, str) else plan.currency.decimals
    facts = _trace_facts(run, member)
    evidence = Evidence(
        kind="order",
        run=run,
        member=member,
        currency=run.currency,
        order=order,
        source=credited,
        level=level,
        facts=facts,
    )
    # the lines this order did pay the member (a dispute about an order that paid is fine too)
    block = LineBlock.objects.filter(run=run, recipient=member).first()
    if block is not None:
        lines = unpack(block.data)
        evidence.paid = int(lines["amount"][lines["source_order"] == order.pk].sum())
    for bonus in plan.bonuses:
        if bonus.kind not in ("unilevel", "fast_start") or getattr(bonus, "tree", "") != (
            "enrollment"
        ):
            continue
        if not 1 <= level <= len(bonus.levels):
            continue
        rate = bonus.levels[level - 1].value
        volume = {"cv": order.cv, "pv": order.pv, "amount": order.amount}[bonus.volume]
        evidence.bonus = bonus.name
        evidence.base = int(volume)
        evidence.rate_num, evidence.rate_den = rate.numerator, rate.denominator
        if bonus.volume == "amount":
            exact = Fraction(volume) * rate
        else:
            exact = Fraction(volume) * rate * Fraction(10**minor, 100)
        evidence.counterfactual = half_up(exact)
        evidence.cause = _cause(facts, bonus.name)
        break
    if not evidence.bonus:
        evidence.cause = "depth"
        evidence.counterfactual = 0
    return evidence


def _cause(facts: dict, bonus: str) -> str:
    if not facts.get("result"):
        return "no_result"
    if not facts.get("eligible", True):
        return "eligible"
    if not facts.get("active", True):
        failed = facts.get("failed_activity") or []
        return f"activity:{failed[0]}" if failed else "activity"
    failed = (facts.get("requirements") or {}).get(bonus)
    if failed:
        return f"requires:{bonus}:{failed[0]}"
    if facts.get("earned", {}).get(bonus):
        return f"bonus:{bonus}"
    return f"depth:{bonus}"


def lines_of(member: Distributor, run: Run) -> list[tuple[int, dict]]:
    """``(line id, line)`` of every line of ``member`` in final ``run`` (for the dispute pickers
    and the statement's links)."""
    block = LineBlock.objects.filter(run=run, recipient=member).first()
    if block is None:
        return []
    plan = loaded_plan(run.plan_version).plan
    out = []
    for row, line in enumerate(unpack(block.data)):
        out.append(
            (
                line_id(block.pk, row),
                {
                    "bonus": plan.bonuses[int(line["bonus"])].name,
                    "level": int(line["level"]),
                    "source_id": int(line["source"]) if line["source"] >= 0 else None,
                    "order_id": int(line["source_order"]) if line["source_order"] >= 0 else None,
                    "amount": int(line["amount"]),
                },
            )
        )
    return out
