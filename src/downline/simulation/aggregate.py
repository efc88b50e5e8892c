"""From replica records to ``metrics.json`` (docs/simulation.md, "Metrics").

A **band** summarises one figure over the replicas: ``mean``, ``p10`` and ``p90`` (nearest-rank
percentiles over the replicas, see :mod:`.statistics`). Money and counts stay integers (the mean
rounded half up); ratios are exact fractions until they are written, as decimals rounded to six
places. A ratio whose denominator is 0 is ``null``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from downline.engine.plan import Plan
from downline.money import round_half_up

from .params import GrowthParams
from .replica import BRACKETS, NETWORK_SERIES
from .statistics import nearest_rank

FORMAT = 1
RETENTION_AGES = (1, 3, 6, 12)


def decimal(value: Fraction | None) -> float | None:
    """A ratio as a decimal with six places (JSON and the report only)."""
    return None if value is None else round(float(value), 6)


def ratio(numerator: int, denominator: int) -> Fraction | None:
    return None if denominator == 0 else Fraction(numerator, denominator)


def band(values: list) -> dict | None:
    """``{mean, p10, p90}`` of one figure over the replicas; ``None`` values are left out
    (``None`` when every value is)."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    if all(isinstance(value, int) for value in present):
        ordered = np.sort(np.array(present, dtype=object))
        mean: int | float | None = round_half_up(sum(present), len(present))
        return {
            "mean": mean,
            "p10": int(nearest_rank(ordered, 10)),
            "p90": int(nearest_rank(ordered, 90)),
        }
    fractions = sorted(Fraction(value) for value in present)
    mean_fraction = sum(fractions, Fraction(0)) / len(fractions)
    return {
        "mean": decimal(mean_fraction),
        "p10": decimal(fractions[max(1, -(-10 * len(fractions) // 100)) - 1]),
        "p90": decimal(fractions[max(1, -(-90 * len(fractions) // 100)) - 1]),
    }


def series_band(per_replica: list[list]) -> dict:
    """A band per month: ``{mean: [...], p10: [...], p90: [...]}``."""
    months = len(per_replica[0])
    bands = [band([replica[t] for replica in per_replica]) for t in range(months)]
    return {
        key: [None if item is None else item[key] for item in bands]
        for key in ("mean", "p10", "p90")
    }


def _payout_ratio(paid: int, volume_hundredths: int, minor: int) -> Fraction | None:
    """paid (minor units) ÷ volume (hundredths), both in currency units."""
    return ratio(paid * 100, volume_hundredths * 10**minor)


def network_metrics(records: list[dict], months: int) -> dict:
    networks = [record["network"] for record in records]
    out: dict = {}
    for name in NETWORK_SERIES:
        out[name] = series_band([network[name] for network in networks])
    out["customer_cv_share"] = series_band(
        [
            [
                ratio(c, c + i)
                for c, i in zip(network["customer_cv"], network["internal_cv"], strict=True)
            ]
            for network in networks
        ]
    )
    out["customer_cv_share_total"] = band(
        [
            ratio(
                sum(network["customer_cv"]),
                sum(network["customer_cv"]) + sum(network["internal_cv"]),
            )
            for network in networks
        ]
    )
    out["distributors_reached"] = band([network["distributors_reached"] for network in networks])
    out["retention"] = _retention(
        [network["cohort_registered"] for network in networks],
        [network["cohort_size"] for network in networks],
        months,
    )
    return out


def _retention(per_replica: list[list[list[int]]], sizes: list[list[int]], months: int) -> dict:
    """Cohort c's retention at age a: members of c counted in month c + a ÷ c's size; the
    matrix is the mean over replicas of each cohort's ratio; ``at`` pools all cohorts old
    enough: Σ counted at age a ÷ Σ sizes of those cohorts, per replica, then a band."""
    matrix = []
    for c in range(months):
        row = []
        for age in range(months - c):
            values = [
                ratio(counts[c + age][c], size[c])
                for counts, size in zip(per_replica, sizes, strict=True)
            ]
            item = band(values)
            row.append(None if item is None else item["mean"])
        matrix.append(row)
    at = _pooled_retention(per_replica, sizes, months)
    return {"by_cohort": matrix, "at_months": at}


def _pooled_retention(
    per_replica: list[list[list[int]]], sizes: list[list[int]], months: int
) -> dict:
    """Per age in :data:`RETENTION_AGES`: Σ over cohorts old enough of the members counted at
    that age ÷ Σ of those cohorts' sizes, per replica, as a band."""
    at = {}
    for age in RETENTION_AGES:
        if age >= months:
            continue
        values = []
        for counts, size in zip(per_replica, sizes, strict=True):
            kept = sum(counts[c + age][c] for c in range(months - age))
            total = sum(size[c] for c in range(months - age))
            values.append(ratio(kept, total))
        at[str(age)] = band(values)
    return at


def _distribution_band(items: list[dict | None]) -> dict | None:
    present = [item for item in items if item is not None]
    if not present:
        return None
    keys = [key for key in present[0] if key != "total"]
    return {key: band([item.get(key) for item in present]) for key in keys}


def plan_metrics(plan: Plan, label: str, source: str, records: list[dict], k: int) -> dict:
    """The figures of plan number ``k`` over every replica."""
    minor = plan.minor_digits
    mine = [record["plans"][k] for record in records]
    sizes = [record["network"]["cohort_size"] for record in records]
    months = len(mine[0]["paid"])
    out: dict = {"label": label, "name": plan.name, "file": source}
    for name in (
        "paid",
        "cap_breakage",
        "pool_breakage",
        "rounding",
        "linked",
        "active",
        "earning",
    ):
        out[name] = series_band([item[name] for item in mine])
    out["payout_ratio_cv"] = series_band(
        [
            [_payout_ratio(p, v, minor) for p, v in zip(item["paid"], item["cv"], strict=True)]
            for item in mine
        ]
    )
    out["payout_ratio_turnover"] = series_band(
        [
            [_payout_ratio(p, v, minor) for p, v in zip(item["paid"], item["amount"], strict=True)]
            for item in mine
        ]
    )
    out["linked_share"] = series_band(
        [[ratio(a, p) for a, p in zip(item["linked"], item["paid"], strict=True)] for item in mine]
    )
    totals = {
        "commissions": band([sum(item["paid"]) for item in mine]),
        "payout_ratio_cv": band(
            [_payout_ratio(sum(item["paid"]), sum(item["cv"]), minor) for item in mine]
        ),
        "payout_ratio_turnover": band(
            [_payout_ratio(sum(item["paid"]), sum(item["amount"]), minor) for item in mine]
        ),
        "breakage": band([sum(item["cap_breakage"]) + sum(item["pool_breakage"]) for item in mine]),
        "cap_breakage": band([sum(item["cap_breakage"]) for item in mine]),
        "pool_breakage": band([sum(item["pool_breakage"]) for item in mine]),
        "rounding": band([sum(item["rounding"]) for item in mine]),
        "linked_share": band([ratio(sum(item["linked"]), sum(item["paid"])) for item in mine]),
    }
    out["totals"] = totals
    out["income"] = _distribution_band([item["income"] for item in mine])
    out["net_of_purchases"] = _distribution_band([item["net"] for item in mine])
    out["income_brackets"] = {
        "upper_bounds": list(BRACKETS),
        "counts": [band([item["brackets"][b] for item in mine]) for b in range(len(BRACKETS) + 1)],
    }
    rank_names = [rank.name for rank in plan.ranks]
    out["ranks"] = {
        "names": rank_names,
        "labels": [dict(rank.label or {}) for rank in plan.ranks],
        "by_month": [
            series_band([[month[r] for month in item["ranks"]] for item in mine])["mean"]
            for r in range(len(rank_names))
        ],
        "last_month": [
            band([item["ranks"][-1][r] for item in mine]) for r in range(len(rank_names))
        ],
    }
    bonuses = []
    for b, bonus in enumerate(plan.bonuses):
        paid = [[month[b] for month in item["bonus_paid"]] for item in mine]
        linked = [[month[b] for month in item["bonus_linked"]] for item in mine]
        earners = [[month[b] for month in item["bonus_earners"]] for item in mine]
        per_active = [
            [
                None if active == 0 else round_half_up(amount, active)
                for amount, active in zip(paid_r, item["active"], strict=True)
            ]
            for paid_r, item in zip(paid, mine, strict=True)
        ]
        total_paid = [sum(values) for values in paid]
        bonuses.append(
            {
                "name": bonus.name,
                "title": bonus.title or bonus.name,
                "labels": dict(bonus.label or {}),
                "kind": bonus.kind,
                "paid": series_band(paid),
                "earners": series_band(earners),
                "per_active_distributor": series_band(per_active),
                "total": band(total_paid),
                "share_of_commissions": band(
                    [
                        ratio(total, sum(item["paid"]))
                        for total, item in zip(total_paid, mine, strict=True)
                    ]
                ),
                "per_active_distributor_month": band(
                    [
                        round_half_up(total, sum(item["active"])) if sum(item["active"]) else None
                        for total, item in zip(total_paid, mine, strict=True)
                    ]
                ),
                "linked_share": band(
                    [
                        ratio(sum(values_l), total)
                        for values_l, total in zip(linked, total_paid, strict=True)
                    ]
                ),
            }
        )
    out["bonuses"] = bonuses
    out["retention_active"] = _pooled_retention(
        [item["cohort_active"] for item in mine], sizes, months
    )
    return out


def metrics(
    *,
    plans: list[tuple[Plan, str, str, str]],
    params: GrowthParams,
    months: int,
    start_distributors: int,
    seed: int,
    records: list[dict],
    month_codes: list[str],
) -> dict:
    """The whole ``metrics.json`` document. ``plans``: (plan, label, file name, sha256)."""
    records = sorted(records, key=lambda record: record["index"])
    first = plans[0][0]
    return {
        "format": FORMAT,
        "settings": {
            "plans": [
                {"label": label, "file": source, "sha256": digest, "name": plan.name}
                for plan, label, source, digest in plans
            ],
            "months": months,
            "start_distributors": start_distributors,
            "seed": seed,
            "replicas": len(records),
            "parameters": params.model_dump(mode="json"),
        },
        "currency": {"code": first.currency_code, "minor_digits": first.minor_digits},
        "months": month_codes,
        "network": network_metrics(records, months),
        "plans": [
            plan_metrics(plan, label, source, records, k)
            for k, (plan, label, source, _digest) in enumerate(plans)
        ],
        "replicas": [
            {
                "index": record["index"],
                "distributors_reached": record["network"]["distributors_reached"],
                "commissions": [sum(item["paid"]) for item in record["plans"]],
            }
            for record in records
        ],
    }
