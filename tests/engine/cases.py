"""Helpers for hand-computed engine cases: plans from YAML text, lines as readable tuples."""

from __future__ import annotations

from fractions import Fraction

from downline.engine import compute_period
from downline.engine.inputs import EngineState, PeriodInputs, PeriodResult
from downline.engine.plan import Plan, load_plan_text

from .strategies import Member, Order, build_inputs

__all__ = ["Member", "Order", "build_inputs", "compute", "line_tuples", "plan_of"]


def plan_of(text: str) -> Plan:
    return load_plan_text(text, source="case.yaml").plan


def compute(
    plan: Plan, members: list[Member], orders: list[Order], state: EngineState | None = None
) -> tuple[PeriodInputs, PeriodResult]:
    inputs = build_inputs(members, orders)
    return inputs, compute_period(plan, inputs, state)


def line_tuples(plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> list[tuple]:
    """(bonus, recipient, source, order, level, base, rate, before cap, amount) per line, in
    the engine's order; ids instead of rows, ``None`` for none, the rate as a Fraction."""
    lines = result.lines
    out = []
    for k in range(len(lines)):
        source, order, den = (
            int(lines.source[k]),
            int(lines.source_order[k]),
            int(lines.rate_den[k]),
        )
        out.append(
            (
                plan.bonuses[int(lines.bonus[k])].name,
                inputs.ids[int(lines.recipient[k])],
                inputs.ids[source] if source >= 0 else None,
                inputs.order_ids[order] if order >= 0 else None,
                int(lines.level[k]),
                int(lines.base[k]),
                Fraction(int(lines.rate_num[k]), den) if den else None,
                int(lines.amount_before_cap[k]),
                int(lines.amount[k]),
            )
        )
    return out
