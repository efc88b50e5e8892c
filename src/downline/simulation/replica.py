"""One replica: the network grown month by month, every plan computed by the engine each month.

Each month the network (:mod:`.network`) draws newcomers, customers and orders; every plan is
computed on those same inputs with :func:`downline.engine.compute_period`, each carrying its own
:class:`~downline.engine.EngineState` to the next month (extended with newcomers' defaults).
Growth reads the **first** plan's activity and paid-as ranks of the month before, so a compared
plan sees exactly the network and orders the first plan saw.

The result is a small JSON-able record (per-month totals and end-of-run distributions), so
replicas can run in other processes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from downline.engine import EngineState, PeriodInputs, compute_period
from downline.engine.plan import Plan
from downline.engine.rounding import count_by, mul_div_round, sum_by
from downline.engine.summary import summarize
from downline.money import round_half_up

from .attribution import linked_amounts
from .draws import Chance
from .network import CUSTOMER, GrowingNetwork, Month, placement_shape
from .params import GrowthParams
from .statistics import distribution, net_distribution

# upper bounds (in whole currency units) of the earnings brackets over the simulated months;
# the first bracket is "nothing", the last is open
BRACKETS = (0, 10, 100, 1_000, 10_000)

# the network's monthly figures of every replica (metrics.json "network")
NETWORK_SERIES = (
    "registered",
    "joined",
    "left",
    "customers",
    "new_customers",
    "orders",
    "customer_cv",
    "internal_cv",
    "linked_cv",
    "customer_amount",
    "internal_amount",
)


@dataclass(frozen=True)
class ReplicaTask:
    plans: tuple[Plan, ...]
    params: GrowthParams
    months: int
    start_distributors: int
    seed_sequence: np.random.SeedSequence | None  # None: deterministic
    index: int = 0


def extend_state(state: EngineState, n: int) -> EngineState:
    """``state`` with newcomers' defaults appended up to ``n`` rows (first rank, no carry,
    nothing awarded)."""
    old = len(state.highest_rank)
    if old == n:
        return state
    extra = n - old

    def grow(array: np.ndarray, fill: int) -> np.ndarray:
        return np.concatenate((array, np.full(extra, fill, dtype=array.dtype)))

    return EngineState(
        highest_rank=grow(state.highest_rank, 0),
        paid_as_rank=grow(state.paid_as_rank, 0),
        grace_used=grow(state.grace_used, 0),
        carry={
            name: (grow(left, 0), grow(right, 0)) for name, (left, right) in state.carry.items()
        },
        awarded={name: grow(values, -1) for name, values in state.awarded.items()},
    )


def _grow(array: np.ndarray, n: int) -> np.ndarray:
    if len(array) >= n:
        return array
    return np.concatenate((array, np.zeros(n - len(array), dtype=array.dtype)))


def _purchases_minor(hundredths: np.ndarray, minor: int) -> np.ndarray:
    """Order amounts (hundredths of the currency) in minor units, rounded half up."""
    return mul_div_round(hundredths, 10**minor, 100)


class PlanTracker:
    """Month-by-month figures of one plan in one replica."""

    def __init__(self, plan: Plan, months: int) -> None:
        self.plan = plan
        self.months = months
        self.state = EngineState.fresh(0)
        self.earned = np.zeros(0, dtype=np.int64)
        self.series: dict[str, list] = {
            name: []
            for name in (
                "paid",
                "cv",
                "amount",
                "cap_breakage",
                "pool_breakage",
                "rounding",
                "linked",
                "active",
                "earning",
                "ranks",
                "bonus_paid",
                "bonus_linked",
                "bonus_earners",
                "cohort_active",
            )
        }
        self.last_active = np.zeros(0, dtype=bool)
        self.last_paid_as = np.zeros(0, dtype=np.int16)

    def compute(
        self,
        month: Month,
        inputs: PeriodInputs,
        registered: np.ndarray,
        joined_month: np.ndarray,
    ) -> None:
        """Compute ``month`` under this plan and record its figures (``registered``: rows of
        distributors who have not left; ``joined_month``: each row's join month)."""
        plan = self.plan
        n = inputs.n
        result = compute_period(plan, inputs, extend_state(self.state, n))
        self.state = result.state
        self.earned = _grow(self.earned, n) + result.earned
        self.last_active = result.active
        self.last_paid_as = result.paid_as_rank
        summary = summarize(plan, inputs, result)
        lines = result.lines
        linked = linked_amounts(plan, inputs, result, month.orders.linked)
        bonuses = len(plan.bonuses)
        bonus = lines.bonus.astype(np.int64)
        series = self.series
        series["paid"].append(summary.paid)
        series["cv"].append(summary.totals["cv"])
        series["amount"].append(summary.totals["amount"])
        series["cap_breakage"].append(summary.cap_breakage)
        series["pool_breakage"].append(int(sum(summary.pool_breakage.values(), Fraction(0))))
        series["rounding"].append(
            round_half_up(
                summary.rounding_remainder.numerator, summary.rounding_remainder.denominator
            )
        )
        series["linked"].append(int(linked.sum()))
        series["active"].append(int(np.count_nonzero(result.active)))
        series["earning"].append(int(np.count_nonzero(result.earned)))
        series["ranks"].append(
            count_by(result.paid_as_rank[registered].astype(np.int64), len(plan.ranks)).tolist()
        )
        series["bonus_paid"].append(sum_by(bonus, lines.amount, bonuses).tolist())
        series["bonus_linked"].append(sum_by(bonus, linked, bonuses).tolist())
        series["bonus_earners"].append(_earners_per_bonus(bonus, lines.recipient, bonuses))
        series["cohort_active"].append(
            count_by(joined_month[result.active].astype(np.int64), self.months).tolist()
        )

    def finish(self, purchases_hundredths: np.ndarray) -> dict:
        plan = self.plan
        minor = plan.minor_digits
        unit = 10**minor
        earned = self.earned
        brackets = [int(np.count_nonzero(earned == 0))]
        bounds = [0, *[limit * unit for limit in BRACKETS[1:]]]
        for low, high in itertools.pairwise(bounds):
            brackets.append(int(np.count_nonzero((earned > low) & (earned <= high))))
        brackets.append(int(np.count_nonzero(earned > bounds[-1])))
        record = dict(self.series)
        record["income"] = distribution(earned)
        record["brackets"] = brackets
        if isinstance(plan.currency, str):
            net = earned - _purchases_minor(purchases_hundredths, minor)
            record["net"] = net_distribution(net)
        else:
            record["net"] = None  # a points plan: purchases are not in the plan's unit
        return record


def _earners_per_bonus(bonus: np.ndarray, recipient: np.ndarray, bonuses: int) -> list[int]:
    """Distinct recipients per bonus (lines are sorted by bonus, then recipient)."""
    if not len(bonus):
        return [0] * bonuses
    recipient = np.asarray(recipient, dtype=np.int64)
    change = np.empty(len(bonus), dtype=bool)
    change[0] = True
    change[1:] = (bonus[1:] != bonus[:-1]) | (recipient[1:] != recipient[:-1])
    return count_by(bonus[change], bonuses).tolist()


def run_replica(task: ReplicaTask, on_month: Callable[[int], None] | None = None) -> dict:
    """Simulate one replica; a JSON-able record (see :mod:`downline.simulation.aggregate`)."""
    rng = None if task.seed_sequence is None else np.random.default_rng(task.seed_sequence)
    network = GrowingNetwork(task.params, task.start_distributors, Chance(rng))
    network.certificate_keys = tuple(
        dict.fromkeys(key for plan in task.plans for key in plan.certificate_keys())
    )
    trackers = [PlanTracker(plan, task.months) for plan in task.plans]
    shapes = [placement_shape(plan) for plan in task.plans]
    months = task.months
    figures: dict[str, list] = {name: [] for name in (*NETWORK_SERIES, "cohort_registered")}
    lead = trackers[0]
    for t in range(months):
        month = network.month(t, lead.last_active, lead.last_paid_as, shapes[0])
        registered = np.flatnonzero(network.alive.view)
        joined_month = network.joined_month.view
        for tracker, shape in zip(trackers, shapes, strict=True):
            inputs = month.inputs if shape == shapes[0] else network.with_shape(month, shape)
            tracker.compute(month, inputs, registered, joined_month)
        kinds = month.orders.kind
        cv = np.asarray(month.inputs.order_cv, dtype=np.int64)
        amount = np.asarray(month.inputs.order_amount, dtype=np.int64)
        customer = kinds == CUSTOMER
        figures["registered"].append(month.registered)
        figures["joined"].append(month.joined)
        figures["customers"].append(month.customers)
        figures["new_customers"].append(month.new_customers)
        figures["orders"].append(len(kinds))
        figures["customer_cv"].append(int(cv[customer].sum()))
        figures["internal_cv"].append(int(cv[~customer].sum()))
        figures["linked_cv"].append(int(cv[month.orders.linked].sum()))
        figures["customer_amount"].append(int(amount[customer].sum()))
        figures["internal_amount"].append(int(amount[~customer].sum()))
        figures["cohort_registered"].append(
            count_by(joined_month[registered].astype(np.int64), months).tolist()
        )
        figures["left"].append(network.end_month(t))
        if on_month is not None:
            on_month(t)
    figures["distributors_reached"] = network.n
    figures["cohort_size"] = count_by(network.joined_month.view.astype(np.int64), months).tolist()
    purchases = network.purchases.view
    return {
        "index": task.index,
        "network": figures,
        "plans": [tracker.finish(purchases) for tracker in trackers],
    }
