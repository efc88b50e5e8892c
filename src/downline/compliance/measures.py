"""Pyramid-risk indicators of one period, from plain arrays (docs/compliance-indicators.md).

No Django: :func:`measure_all` takes a :class:`PeriodFacts` (the period's distributors, orders and
final-run lines as NumPy arrays; ``selectors.period_facts`` reads them from the database) and a
``scope`` (the distributor rows looked at: everyone, or one leader's enrollment downline) and
returns one :class:`Measure` per indicator. Each value is an exact ``Fraction`` (a share, or a
ratio of growth factors), ``None`` when it is undefined (nothing to divide by, no final run).

Volumes are integer hundredths, money integer minor units of the plan's currency. Returns count
negatively in the period they were paid back in; a return after the close (``after_close``) stays
out of the volume of its period, as in the engine, and counts only for refund health (I12).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from downline.engine.rounding import sum_by
from downline.engine.tree import Tree
from downline.simulation.statistics import distribution, exact_sum, nearest_rank

PRODUCT, STARTER_KIT, AUTOSHIP, FEE = 0, 1, 2, 3
KIND_CODES = {"product": PRODUCT, "starter_kit": STARTER_KIT, "autoship": AUTOSHIP, "fee": FEE}


@dataclass
class OrderFacts:
    """The period's orders and returns (cancelled orders left out), sorted by paid time.

    ``member`` is the credited distributor row, ``buyer`` the buyer's database id (a retail
    customer's own id for a customer order), ``pv``/``cv``/``amount`` are signed (a return is
    negative), ``linked`` marks recruiting-linked orders (a starter kit, or the buyer's first own
    order; a return is linked when the order it returns is), ``refund_days`` the whole days from
    the returned order's payment to the refund (-1 for an order).
    """

    member: np.ndarray  # int64[m]
    buyer: np.ndarray  # int64[m]
    customer: np.ndarray  # bool[m]
    kind: np.ndarray  # int8[m], KIND_CODES
    is_return: np.ndarray  # bool[m]
    after_close: np.ndarray  # bool[m]
    linked: np.ndarray  # bool[m]
    in_currency: np.ndarray  # bool[m]: paid in the plan's currency
    day: np.ndarray  # int32[m]: local paid day (days since 1970-01-01)
    pv: np.ndarray  # int64[m]
    cv: np.ndarray  # int64[m]
    amount: np.ndarray  # int64[m], minor units of the order's currency
    refund_days: np.ndarray  # int64[m]

    @property
    def m(self) -> int:
        return len(self.member)

    @property
    def counts_volume(self) -> np.ndarray:
        """Orders whose volume belongs to the period (not a return after the close)."""
        return ~self.after_close

    def take(self, mask: np.ndarray) -> OrderFacts:
        return OrderFacts(**{name: getattr(self, name)[mask] for name in _ORDER_FIELDS})


_ORDER_FIELDS = tuple(OrderFacts.__dataclass_fields__)


@dataclass
class LineFacts:
    """The commission lines of the period's final run.

    ``linked`` is the recruiting-linked part of each amount, ``internal`` the part that came from
    participants' own purchases (not from retail customers), both by the attribution rule of
    ``downline.simulation.attribution``. ``downline`` marks lines paid on someone else's volume
    (a source who is not the recipient).
    """

    recipient: np.ndarray  # int64[k], distributor row
    amount: np.ndarray  # int64[k]
    linked: np.ndarray  # int64[k]
    internal: np.ndarray  # int64[k]
    downline: np.ndarray  # bool[k]

    @classmethod
    def empty(cls) -> LineFacts:
        zero = np.zeros(0, dtype=np.int64)
        return cls(zero, zero, zero, zero, np.zeros(0, dtype=bool))


@dataclass
class PeriodFacts:
    """Everything the indicators of one period read, as arrays over distributor rows (``n``)."""

    sponsor: np.ndarray  # int64[n], enrollment parent row at the period's end, -1 for none
    joined_day: np.ndarray  # int64[n]
    first_day: int  # the period's first and last local day
    last_day: int
    orders: OrderFacts
    earned: np.ndarray | None = None  # int64[n] of the final run; None: no final run yet
    lines: LineFacts | None = None  # None: no final run yet
    pv_thresholds: tuple[int, ...] = ()  # activity and rank PV thresholds of the plan
    previous_first_day: int | None = None  # the period before
    previous_last_day: int | None = None
    previous_customer_cv: np.ndarray | None = None  # int64[n]: customer CV credited then
    cohort_first_day: int | None = None  # the joiners whose retention I11 measures
    cohort_last_day: int | None = None
    payout_history: Sequence[tuple[int, int]] = ()  # (paid, turnover) of earlier final runs

    @property
    def n(self) -> int:
        return len(self.sponsor)

    @property
    def has_final(self) -> bool:
        return self.earned is not None and self.lines is not None


@dataclass(frozen=True)
class Measure:
    """An indicator's value (``None``: undefined) and the counts behind it."""

    value: Fraction | None
    details: Mapping[str, int | Fraction | None] = field(default_factory=dict)
    note: str = ""  # a key of ``catalogue.NOTES`` when the value is undefined


@dataclass(frozen=True)
class Parameters:
    """The company's settings of the rules (``IndicatorThreshold.parameter`` and
    ``parameter_2``; defaults in ``catalogue.INDICATORS``)."""

    values: Mapping[str, tuple[int | None, int | None]]

    def first(self, code: str) -> int:
        value = self.values[code][0]
        if value is None:
            raise ValueError(f"indicator {code} needs a parameter")
        return value

    def second(self, code: str) -> int:
        value = self.values[code][1]
        if value is None:
            raise ValueError(f"indicator {code} needs a second parameter")
        return value


BP = 10_000  # basis points in one


def _share(numerator: int, denominator: int, note: str = "empty") -> Measure:
    if denominator <= 0:
        return Measure(None, {"numerator": numerator, "denominator": denominator}, note)
    return Measure(
        Fraction(numerator, denominator), {"numerator": numerator, "denominator": denominator}
    )


def _credited(facts: PeriodFacts, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Σ ``values`` of the orders in ``mask`` per credited distributor row."""
    return sum_by(facts.orders.member[mask], values[mask], facts.n)


def _in_scope_orders(facts: PeriodFacts, scope: np.ndarray) -> np.ndarray:
    o = facts.orders
    return scope[o.member] if o.m else np.zeros(0, dtype=bool)


def _in_scope_lines(facts: PeriodFacts, scope: np.ndarray) -> np.ndarray:
    lines = facts.lines
    return scope[lines.recipient] if len(lines.amount) else np.zeros(0, dtype=bool)


# --- I1 / I2: customer share of volume ----------------------------------------------------


def customer_share(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I1: Σ CV of retail customers' orders ÷ Σ CV of all orders credited in the scope."""
    o = facts.orders
    keep = _in_scope_orders(facts, scope) & o.counts_volume
    return _share(exact_sum(o.cv[keep & o.customer]), exact_sum(o.cv[keep]), "no_volume")


def downline_customer_share(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I2 (Vemma): among payees in the scope (earned > 0), the share whose enrollment group (they
    and everyone below them) bought no more than ``parameter`` (basis points, 5000 = 50%) of its
    CV from retail customers; a payee whose group has no CV fails too."""
    if not facts.has_final:
        return Measure(None, note="no_final")
    o = facts.orders
    counted = o.counts_volume
    tree = Tree.build(facts.sponsor)
    group_cv = tree.subtree_sum(_credited(facts, o.cv, counted))
    group_customer = tree.subtree_sum(_credited(facts, o.cv, counted & o.customer))
    payees = scope & (facts.earned > 0)
    required = params.first("downline_customer_share")
    fails = payees & ((group_cv <= 0) | (group_customer * BP <= required * group_cv))
    return _share(int(fails.sum()), int(payees.sum()), "no_payees")


# --- I3 / I4: the 70% rule and the customer base --------------------------------------------


def customer_ratio(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I3 (70% rule): among payees with personal volume, the share whose customer PV is below
    ``parameter`` (basis points, 7000 = 70%) of their PV (own orders plus their customers')."""
    if not facts.has_final:
        return Measure(None, note="no_final")
    o = facts.orders
    counted = o.counts_volume
    pv = _credited(facts, o.pv, counted)
    customer_pv = _credited(facts, o.pv, counted & o.customer)
    payees = scope & (facts.earned > 0)
    population = payees & (pv > 0)
    required = params.first("customer_ratio")
    fails = population & (customer_pv * BP < required * pv)
    measure = _share(int(fails.sum()), int(population.sum()), "no_payees")
    return Measure(
        measure.value,
        {**measure.details, "payees_without_pv": int((payees & (pv <= 0)).sum())},
        measure.note,
    )


def customer_base(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I4 (customer-volume requirement): among distributors in the scope paid on someone else's
    volume, the share with fewer than ``parameter`` (10) distinct retail customers who bought and
    less than ``parameter_2`` (hundredths, 5000 = 50 PV) customer PV."""
    if not facts.has_final:
        return Measure(None, note="no_final")
    o = facts.orders
    lines = facts.lines
    paid = np.zeros(facts.n, dtype=bool)
    downline = lines.downline & (lines.amount > 0)
    paid[lines.recipient[downline]] = True
    population = scope & paid
    bought = o.customer & ~o.is_return
    pairs = np.unique(np.stack([o.member[bought], o.buyer[bought]]), axis=1)
    customers = np.bincount(pairs[0], minlength=facts.n) if pairs.size else np.zeros(facts.n)
    customer_pv = _credited(facts, o.pv, o.counts_volume & o.customer)
    fails = (
        population
        & (customers < params.first("customer_base"))
        & (customer_pv < params.second("customer_base"))
    )
    return _share(int(fails.sum()), int(population.sum()), "no_payees")


# --- I5 / I6 / I15: where the commissions come from ------------------------------------------


def recruiting_share(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I5: Σ recruiting-linked part of the lines paid in the scope ÷ Σ their amounts."""
    if not facts.has_final:
        return Measure(None, note="no_final")
    keep = _in_scope_lines(facts, scope)
    lines = facts.lines
    return _share(exact_sum(lines.linked[keep]), exact_sum(lines.amount[keep]), "no_commissions")


def entry_payments(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I6: Σ amount of participants' starter-kit, fee and autoship orders (net of returns in the
    period, plan currency) ÷ Σ commissions paid in the scope."""
    if not facts.has_final:
        return Measure(None, note="no_final")
    o = facts.orders
    keep = (
        _in_scope_orders(facts, scope)
        & o.counts_volume
        & o.in_currency
        & ~o.customer
        & np.isin(o.kind, (STARTER_KIT, FEE, AUTOSHIP))
    )
    paid = exact_sum(facts.lines.amount[_in_scope_lines(facts, scope)])
    return _share(exact_sum(o.amount[keep]), paid, "no_commissions")


def top_earner_source(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I15: for the top 1% of payees in the scope (``⌈payees/100⌉`` largest earnings, ties by
    row), the part of their lines that came from participants' own purchases ÷ their total."""
    if not facts.has_final:
        return Measure(None, note="no_final")
    payees = np.flatnonzero(scope & (facts.earned > 0))
    if not len(payees):
        return Measure(None, note="no_payees")
    top_count = -(-len(payees) // 100)
    order = np.lexsort((payees, -facts.earned[payees]))
    top = np.zeros(facts.n, dtype=bool)
    top[payees[order[:top_count]]] = True
    lines = facts.lines
    keep = top[lines.recipient] if len(lines.amount) else np.zeros(0, dtype=bool)
    measure = _share(exact_sum(lines.internal[keep]), exact_sum(lines.amount[keep]))
    return Measure(measure.value, {**measure.details, "top_earners": top_count}, measure.note)


# --- I7 / I8 / I9: purchases ----------------------------------------------------------------


def threshold_bunching(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I7: the share of participants' own orders in the scope that were placed in the last
    ``parameter`` days of the period and lifted the buyer's running PV from below a plan
    threshold ``t`` (activity or rank PV) to at least ``t`` and at most ``t × (1 + parameter_2 /
    10000)``. The running PV counts every order credited to the buyer (customers' included) in
    paid-time order. ``details`` gives the same share for the rest of the period (the
    baseline)."""
    o = facts.orders
    counted = np.flatnonzero(o.counts_volume)
    order = counted[np.argsort(o.member[counted], kind="stable")]  # by member, then paid time
    pv = o.pv[order]
    members = o.member[order]
    after = np.cumsum(pv)
    if len(order):
        starts = np.r_[True, members[1:] != members[:-1]]
        first = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
        after = after - (after[first] - pv[first])
    before = after - pv
    margin = params.second("threshold_bunching")
    crossing = np.zeros(len(order), dtype=bool)
    for threshold in facts.pv_thresholds:
        if threshold <= 0:
            continue
        crossing |= (
            (before < threshold) & (after >= threshold) & (after * BP <= threshold * (BP + margin))
        )
    own = ~o.customer[order] & ~o.is_return[order] & (pv > 0) & scope[members]
    window = o.day[order] > facts.last_day - params.first("threshold_bunching")
    in_window = own & window
    rest = own & ~window
    measure = _share(int((crossing & in_window).sum()), int(in_window.sum()), "no_orders")
    baseline = Fraction(int((crossing & rest).sum()), int(rest.sum())) if rest.any() else None
    return Measure(measure.value, {**measure.details, "baseline": baseline}, measure.note)


def _own_purchases(facts: PeriodFacts, kinds: tuple[int, ...]) -> np.ndarray:
    """Σ amount (plan currency, net of returns in the period) of each row's own orders."""
    o = facts.orders
    keep = o.counts_volume & o.in_currency & ~o.customer & np.isin(o.kind, kinds)
    return sum_by(o.member[keep], o.amount[keep], facts.n)


def overbuying(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I8: among distributors in the scope who bought products for themselves (product and
    autoship orders, net of returns, > 0), the share who spent more than ``parameter`` (minor
    units of the plan's currency) in the period."""
    spent = _own_purchases(facts, (PRODUCT, AUTOSHIP))
    buyers = scope & (spent > 0)
    above = buyers & (spent > params.first("overbuying"))
    return _share(int(above.sum()), int(buyers.sum()), "no_buyers")


def net_loss(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I9: the share of distributors in the scope whose earnings minus own purchases (every
    kind: products, autoship, starter kits, fees) are below zero."""
    if not facts.has_final:
        return Measure(None, note="no_final")
    net = facts.earned - _own_purchases(facts, (PRODUCT, STARTER_KIT, AUTOSHIP, FEE))
    members = np.flatnonzero(scope)
    measure = _share(int((net[members] < 0).sum()), len(members), "no_distributors")
    median = nearest_rank(np.sort(net[members]), 50) if len(members) else None
    return Measure(measure.value, {**measure.details, "median_net": median}, measure.note)


# --- I10 / I11: earnings and retention ------------------------------------------------------


def zero_earners(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I10: the share of distributors in the scope who earned nothing in the final run; the
    details hold the distribution (median, mean, p90, top-1% share, Gini)."""
    if not facts.has_final:
        return Measure(None, note="no_final")
    earned = facts.earned[scope]
    measure = _share(int((earned <= 0).sum()), len(earned), "no_distributors")
    figures = distribution(earned)
    details = {key: figures.get(key) for key in ("median", "mean", "p90", "top_1pct_share", "gini")}
    return Measure(measure.value, {**measure.details, **details}, measure.note)


def retention(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I11: of the distributors in the scope who joined in the period ``parameter`` periods
    earlier, the share with positive PV credited in this period (they or their customers
    bought)."""
    if facts.cohort_first_day is None or facts.cohort_last_day is None:
        return Measure(None, note="no_cohort")
    o = facts.orders
    pv = _credited(facts, o.pv, o.counts_volume)
    cohort = (
        scope
        & (facts.joined_day >= facts.cohort_first_day)
        & (facts.joined_day <= facts.cohort_last_day)
    )
    return _share(int((cohort & (pv > 0)).sum()), int(cohort.sum()), "no_cohort")


# --- I12 / I13 / I14: refunds, velocity, payout -------------------------------------------


def refund_rate(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I12: Σ amount refunded in the period (every return, after the close too) ÷ Σ amount of
    the orders paid in it, plan currency, orders credited in the scope; details: the number of
    refunds and the median days from payment to refund."""
    o = facts.orders
    keep = _in_scope_orders(facts, scope) & o.in_currency
    refunds = keep & o.is_return
    measure = _share(-exact_sum(o.amount[refunds]), exact_sum(o.amount[keep & ~o.is_return]))
    days = np.sort(o.refund_days[refunds])
    median = nearest_rank(days, 50) if len(days) else None
    return Measure(
        measure.value,
        {**measure.details, "refunds": int(refunds.sum()), "median_days": median},
        "no_sales" if measure.value is None else "",
    )


def recruiting_velocity(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I13: growth of new distributors ÷ growth of customer CV from the previous period:
    ``(new ÷ new_before) ÷ (customer CV ÷ customer CV before)``. Details: starter-kit revenue
    ÷ product revenue of the period (plan currency, net of returns in the period)."""
    o = facts.orders
    keep = _in_scope_orders(facts, scope) & o.counts_volume
    kits = exact_sum(o.amount[keep & o.in_currency & (o.kind == STARTER_KIT)])
    products = exact_sum(o.amount[keep & o.in_currency & (o.kind == PRODUCT)])
    kit_share = Fraction(kits, products) if products > 0 else None
    if facts.previous_customer_cv is None or facts.previous_first_day is None:
        return Measure(None, {"kit_to_product": kit_share}, "no_previous")
    joined = facts.joined_day
    new = int((scope & (joined >= facts.first_day) & (joined <= facts.last_day)).sum())
    new_before = int(
        (scope & (joined >= facts.previous_first_day) & (joined <= facts.previous_last_day)).sum()
    )
    sales = exact_sum(o.cv[keep & o.customer])
    sales_before = exact_sum(facts.previous_customer_cv[scope])
    details = {
        "new": new,
        "new_before": new_before,
        "customer_cv": sales,
        "customer_cv_before": sales_before,
        "kit_to_product": kit_share,
    }
    if new_before <= 0 or sales <= 0 or sales_before <= 0:
        return Measure(None, details, "no_growth_base")
    return Measure(Fraction(new * sales_before, new_before * sales), details)


def _payout(facts: PeriodFacts, scope: np.ndarray) -> tuple[int, int]:
    o = facts.orders
    keep = _in_scope_orders(facts, scope) & o.counts_volume & o.in_currency
    paid = exact_sum(facts.lines.amount[_in_scope_lines(facts, scope)])
    return paid, exact_sum(o.amount[keep])


def payout_ratio(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I14: Σ commissions paid in the scope ÷ turnover credited in the scope (orders net of
    returns in the period, plan currency)."""
    if not facts.has_final:
        return Measure(None, note="no_final")
    paid, turnover = _payout(facts, scope)
    return _share(paid, turnover, "no_sales")


def payout_creep(facts: PeriodFacts, scope: np.ndarray, params: Parameters) -> Measure:
    """I14 trend: this period's payout ratio minus the mean payout ratio of up to ``parameter``
    earlier final runs (company only: ``payout_history``). Positive: the plan pays out more."""
    if not facts.has_final:
        return Measure(None, note="no_final")
    if not scope.all():
        return Measure(None, note="company_only")
    paid, turnover = _payout(facts, scope)
    history = [Fraction(p, t) for p, t in facts.payout_history if t > 0]
    history = history[-params.first("payout_creep") :]
    if turnover <= 0 or not history:
        return Measure(None, {"earlier_periods": len(history)}, "no_history")
    mean = sum(history, Fraction(0)) / len(history)
    return Measure(Fraction(paid, turnover) - mean, {"earlier_periods": len(history), "mean": mean})


Indicator = Callable[[PeriodFacts, np.ndarray, Parameters], Measure]

MEASURES: dict[str, Indicator] = {
    "customer_share": customer_share,
    "downline_customer_share": downline_customer_share,
    "customer_ratio": customer_ratio,
    "customer_base": customer_base,
    "recruiting_share": recruiting_share,
    "entry_payments": entry_payments,
    "threshold_bunching": threshold_bunching,
    "overbuying": overbuying,
    "net_loss": net_loss,
    "zero_earners": zero_earners,
    "retention": retention,
    "refund_rate": refund_rate,
    "recruiting_velocity": recruiting_velocity,
    "payout_ratio": payout_ratio,
    "payout_creep": payout_creep,
    "top_earner_source": top_earner_source,
}


def measure_all(
    facts: PeriodFacts, params: Parameters, scope: np.ndarray | None = None
) -> dict[str, Measure]:
    """Every indicator of :data:`MEASURES` over ``scope`` (default: every distributor)."""
    if scope is None:
        scope = np.ones(facts.n, dtype=bool)
    return {code: measure(facts, scope, params) for code, measure in MEASURES.items()}
