"""Reads of commission runs: the latest projection, a distributor's result, trace and lines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from downline.genealogy.models import Distributor
from downline.periods.models import Period

from .line_blocks import unpack
from .models import CommissionLine, LineBlock, Run, RunResult
from .plans import loaded_plan
from .traces import trace_of as stored_trace


@dataclass(frozen=True)
class StatementLine:
    """One line of a distributor's statement; ``clawback_id`` set for a clawback line."""

    bonus: str
    level: int
    source_id: int | None
    source_order_id: int | None
    base: int
    rate_num: int
    rate_den: int
    amount_before_cap: int
    amount: int
    clawback_id: int | None = None


def final_run(period: Period) -> Run | None:
    return Run.objects.filter(period=period, kind=Run.Kind.FINAL).first()


def latest_projection(period: Period) -> Run | None:
    """The newest projection of ``period`` (what dashboards show, with its time)."""
    return (
        Run.objects.filter(period=period, kind=Run.Kind.PROJECTION)
        .order_by("-computed_at", "-id")
        .first()
    )


def result_of(run: Run, distributor: Distributor) -> RunResult | None:
    return RunResult.objects.filter(run=run, distributor=distributor).first()


def by_bonus(result: RunResult) -> dict[str, int]:
    """The result's earnings per bonus of the run's plan, in minor units."""
    names = [bonus.name for bonus in loaded_plan(result.run.plan_version).plan.bonuses]
    amounts = np.frombuffer(bytes(result.by_bonus), dtype="<i8").tolist()
    return dict(zip(names, amounts, strict=True))


def trace_of(result: RunResult) -> dict:
    """The trace of a result (docs/plan-language.md, "Outputs"), rendered from the run's
    stored numbers in the reader's language (older runs: their stored JSON trace)."""
    return stored_trace(result)


def run_lines(run: Run, distributor: Distributor) -> list[StatementLine]:
    """The distributor's lines in a final run, in the engine's order."""
    block = LineBlock.objects.filter(run=run, recipient=distributor).values_list("data", flat=True)
    names = [bonus.name for bonus in loaded_plan(run.plan_version).plan.bonuses]
    return [
        StatementLine(
            bonus=names[int(r["bonus"])],
            level=int(r["level"]),
            source_id=int(r["source"]) if r["source"] >= 0 else None,
            source_order_id=int(r["source_order"]) if r["source_order"] >= 0 else None,
            base=int(r["base"]),
            rate_num=int(r["rate_num"]),
            rate_den=int(r["rate_den"]),
            amount_before_cap=int(r["amount_before_cap"]),
            amount=int(r["amount"]),
        )
        for data in block
        for r in unpack(data)
    ]


def clawback_lines(period: Period, distributor: Distributor) -> list[StatementLine]:
    """The distributor's clawback lines that landed in ``period`` (each names its return)."""
    lines = CommissionLine.objects.filter(period=period, recipient=distributor).select_related(
        "clawback__original_run__plan_version"
    )
    out = []
    for line in lines.order_by("id"):
        plan = loaded_plan(line.clawback.original_run.plan_version).plan
        out.append(
            StatementLine(
                bonus=plan.bonuses[line.bonus].name,
                level=line.level,
                source_id=line.source_id,
                source_order_id=line.source_order_id,
                base=line.base,
                rate_num=line.rate_num,
                rate_den=line.rate_den,
                amount_before_cap=line.amount_before_cap,
                amount=line.amount,
                clawback_id=line.clawback_id,
            )
        )
    return out
