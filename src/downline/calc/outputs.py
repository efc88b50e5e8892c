"""The files ``downline calc`` writes (docs/plan-language.md, "Outputs"), as text.

* ``lines.csv``: every line in canonical order; ``base`` is a volume (two decimals), money
  (the currency's minor digits) for matching and pool lines, a cycle count for binary cycles,
  or empty for rank advancement; ``rate`` as the plan wrote it (``10%``, ``10 per unit``), a
  difference of brackets (``3%``), a share (``1/3``), ``30.00 per cycle``, or empty;
* ``distributors.csv``: one row per distributor;
* ``trace.jsonl``: one explanation per distributor (:mod:`downline.engine.explain`);
* ``run.json``: hashes, counts, totals, ratios, remainders and timings;
* ``state.json``: the state for the next period.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import IO

import numpy as np

from downline.engine.explain import Explainer
from downline.engine.inputs import PeriodInputs, PeriodResult
from downline.engine.plan import Plan
from downline.engine.plan.values import format_percent
from downline.engine.summary import PeriodSummary, base_kind
from downline.money import format_decimal

LINE_COLUMNS = (
    "recipient_id",
    "bonus",
    "source_id",
    "source_order_id",
    "level",
    "base",
    "rate",
    "amount",
    "currency",
    "amount_before_cap",
)
DISTRIBUTOR_COLUMNS = (
    "id",
    "pv",
    "cv",
    "gv",
    "qualifying_volume",
    "active",
    "paid_as_rank",
    "highest_rank",
    "earned",
    "carry_left",
    "carry_right",
)
CHUNK = 200_000


def _formatted(values: np.ndarray, places: int) -> list[str]:
    """Decimal text of each value; each distinct value is formatted once."""
    if not values.size:
        return []
    unique, inverse = np.unique(values, return_inverse=True)
    text = [format_decimal(value, places) for value in unique.tolist()]
    return [text[k] for k in inverse.reshape(-1).tolist()]


def _fraction_text(value: Fraction) -> str:
    return (
        f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value.numerator)
    )


class LineText:
    """Turns the lines of a period into the text of ``lines.csv``."""

    def __init__(self, plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> None:
        self.plan = plan
        self.lines = result.lines
        self.minor = plan.minor_digits
        self.currency = plan.currency_code
        self.ids = np.asarray([*inputs.ids, ""], dtype=object)  # row -1 → ""
        self.order_ids = np.asarray([*inputs.order_ids, ""], dtype=object)
        self.names = [bonus.name for bonus in plan.bonuses]
        self.kinds = [base_kind(plan, b) for b in range(len(plan.bonuses))]
        self._rates: dict[tuple[int, int, int], str] = {}

    def rate_text(self, b: int, num: int, den: int) -> str:
        key = (b, num, den)
        if key not in self._rates:
            self._rates[key] = self._rate_text(b, num, den)
        return self._rates[key]

    def _rate_text(self, b: int, num: int, den: int) -> str:
        bonus = self.plan.bonuses[b]
        if den == 0:
            return ""
        value = Fraction(num, den)
        if bonus.kind == "pool":
            return f"{num}/{den}"
        if bonus.kind == "binary" and bonus.cycles is not None:
            pays = self.plan.money_minor(bonus.cycles.pays)
            return f"{format_decimal(pays, self.minor)} per cycle"
        written = []
        for name in ("levels", "generations"):
            written += getattr(bonus, name, None) or []
        for name in ("rate", "royalty"):
            if getattr(bonus, name, None) is not None:
                written.append(getattr(bonus, name))
        written += [bracket.rate for bracket in getattr(bonus, "brackets", None) or []]
        for rate in written:
            if rate.value == value:
                return rate.text
        if value > 1:
            return f"{_fraction_text(value)} per unit"
        return format_percent(value)

    def base_text(self, b: int, base: int) -> str:
        kind = self.kinds[b]
        if kind == "volume":
            return format_decimal(base, 2)
        if kind == "money":
            return format_decimal(base, self.minor)
        if kind == "cycles":
            return str(base)
        return ""

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[str, ...]]:
        lines = self.lines
        stop = len(lines) if stop is None else stop
        for begin in range(start, stop, CHUNK):
            end = min(begin + CHUNK, stop)
            bonus = lines.bonus[begin:end].tolist()
            base = lines.base[begin:end].tolist()
            num = lines.rate_num[begin:end].tolist()
            den = lines.rate_den[begin:end].tolist()
            recipient = self.ids[lines.recipient[begin:end]].tolist()
            source = self.ids[lines.source[begin:end]].tolist()
            order = self.order_ids[lines.source_order[begin:end]].tolist()
            level = lines.level[begin:end].tolist()
            amount = _formatted(lines.amount[begin:end], self.minor)
            before = _formatted(lines.amount_before_cap[begin:end], self.minor)
            for k in range(end - begin):
                b = bonus[k]
                yield (
                    recipient[k],
                    self.names[b],
                    source[k],
                    order[k],
                    str(level[k]),
                    self.base_text(b, base[k]),
                    self.rate_text(b, num[k], den[k]),
                    amount[k],
                    self.currency,
                    before[k],
                )


def write_lines(handle: IO[str], text: LineText) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(LINE_COLUMNS)
    writer.writerows(text.rows())


def distributor_rows(
    plan: Plan, inputs: PeriodInputs, result: PeriodResult
) -> Iterator[tuple[str, ...]]:
    minor = plan.minor_digits
    ranks = [rank.name for rank in plan.ranks]
    has_binary = any(bonus.kind == "binary" for bonus in plan.bonuses)
    for begin in range(0, inputs.n, CHUNK):
        end = min(begin + CHUNK, inputs.n)
        part = slice(begin, end)
        pv = _formatted(result.pv[part], 2)
        cv = _formatted(result.cv[part], 2)
        gv = _formatted(result.gv[part], 2)
        qv_values = result.qualifying_volume[part]
        qv = _formatted(qv_values, 2)
        earned = _formatted(result.earned[part], minor)
        left = _formatted(result.carry_left[part], 2) if has_binary else [""] * (end - begin)
        right = _formatted(result.carry_right[part], 2) if has_binary else [""] * (end - begin)
        active = result.active[part].tolist()
        paid = result.paid_as_rank[part].tolist()
        highest = result.highest_rank[part].tolist()
        no_qv = (qv_values < 0).tolist()
        for k in range(end - begin):
            yield (
                inputs.ids[begin + k],
                pv[k],
                cv[k],
                gv[k],
                "" if no_qv[k] else qv[k],
                "true" if active[k] else "false",
                ranks[paid[k]],
                ranks[highest[k]],
                earned[k],
                left[k],
                right[k],
            )


def write_distributors(
    handle: IO[str], plan: Plan, inputs: PeriodInputs, result: PeriodResult
) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(DISTRIBUTOR_COLUMNS)
    writer.writerows(distributor_rows(plan, inputs, result))


def write_trace(handle: IO[str], plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> None:
    explainer = Explainer(plan, inputs, result)
    for trace in explainer.all():
        handle.write(json.dumps(trace, ensure_ascii=False, separators=(",", ":")))
        handle.write("\n")


def fraction_text(value: Fraction, places: int) -> str:
    """An exact value as a decimal with ``places`` decimals (rounded half up past them)."""
    scaled = value * 10**places
    whole = (2 * abs(scaled.numerator) + scaled.denominator) // (2 * scaled.denominator)
    return format_decimal(whole if scaled >= 0 else -whole, places)


def money_text(minor: int | Fraction, places: int, extra: int = 0) -> str:
    """Minor units as currency text; ``extra`` more decimals for fractions of a minor unit."""
    if isinstance(minor, Fraction):
        return fraction_text(minor / 10**places, places + extra)
    return format_decimal(int(minor), places)


def run_document(
    *,
    plan: Plan,
    plan_digest: str,
    input_digest: str,
    period: str,
    time_zone: str,
    summary: PeriodSummary,
    timings: dict[str, float],
) -> dict:
    minor = plan.minor_digits
    totals = summary.totals

    def ratio(of: str) -> str | None:
        value = summary.payout_ratio(of, minor)
        return None if value is None else fraction_text(value, 6)

    return {
        "plan": plan.name,
        "plan_hash": plan_digest,
        "input_hash": input_digest,
        "period": period,
        "time_zone": time_zone,
        "currency": plan.currency_code,
        "counts": summary.counts,
        "totals": {
            "pv": format_decimal(totals["pv"], 2),
            "cv": format_decimal(totals["cv"], 2),
            "turnover": format_decimal(totals["amount"], 2),
        },
        "bonuses": {
            t.name: {
                "lines": t.lines,
                "before_cap": money_text(t.before_cap, minor),
                "paid": money_text(t.paid, minor),
                "exact": money_text(t.exact, minor, extra=4),
            }
            for t in summary.bonuses
        },
        "paid": money_text(summary.paid, minor),
        "before_cap": money_text(summary.before_cap, minor),
        "payout_ratio": {"of_cv": ratio("cv"), "of_turnover": ratio("amount")},
        "rounding_remainder": money_text(summary.rounding_remainder, minor, extra=4),
        "pool_breakage": {
            name: money_text(value, minor, extra=4) for name, value in summary.pool_breakage.items()
        },
        "cap_breakage": money_text(summary.cap_breakage, minor),
        "timings_seconds": {name: round(value, 3) for name, value in timings.items()},
    }


def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
