"""Volumes of a period (docs/plan-language.md, "Volumes").

For distributor ``d`` (sums signed, returns negative):

* own PV / CV / turnover: the ``pv``, ``cv``, ``amount`` of the orders ``d`` bought;
* customer PV / CV / turnover: the same over the orders of ``d``'s retail customers;
* **PV, CV, turnover** = own + customer with ``volumes.include_customers``, else own;
  turnover counts only orders in the plan's currency;
* **credited** volume: every order credited to ``d`` (own and customers'), whatever
  ``include_customers`` says: what per-order bonuses and binary legs see;
* **GV** = PV(d) + the PV of everyone below ``d`` in ``volumes.group_tree``;
* **buying customers**: distinct retail customers of ``d`` whose net turnover is positive.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from downline.i18n import gettext as _

from .inputs import PeriodInputs
from .plan import Plan
from .plan.model import PoolBonus
from .rounding import count_by, sum_by
from .tree import Tree

VOLUME_NAMES = ("pv", "cv", "amount")
MAX_NAMED_ORDERS = 200
"""At most this many orders are named by one :class:`PlanInputError`."""


class PlanInputError(ValueError):
    """The period's inputs cannot be computed under this plan (e.g. an order in a currency the
    plan cannot count). ``path`` names the part of the plan concerned (``("bonuses", 2)``) when
    there is one; ``orders`` the rows of the orders concerned."""

    def __init__(
        self, message: str, *, path: tuple[str | int, ...] = (), orders: tuple[int, ...] = ()
    ) -> None:
        super().__init__(message)
        self.path = path
        self.orders = orders


def plan_uses_amount(plan: Plan) -> bool:
    """Whether any bonus, pool or the company cap reads order ``amount``."""
    used = any(getattr(bonus, "volume", None) == "amount" for bonus in plan.bonuses)
    used |= any(isinstance(bonus, PoolBonus) and bonus.of == "amount" for bonus in plan.bonuses)
    return used or (plan.company_cap is not None and plan.company_cap.of == "amount")


def check_currency(plan: Plan, inputs: PeriodInputs) -> None:
    """A plan that uses ``amount`` cannot count an order in another currency: reject the period
    naming the first such order."""
    if not plan_uses_amount(plan) or inputs.m == 0:
        return
    foreign = np.flatnonzero(~np.asarray(inputs.order_in_plan_currency, dtype=bool))
    if foreign.size:
        raise PlanInputError(
            _(
                "order %(order)s is not in the plan's currency %(currency)s, and the plan uses "
                "amount; %(count)d order(s) of the period are in another currency"
            )
            % {
                "order": inputs.order_ids[int(foreign[0])],
                "currency": plan.currency_code,
                "count": foreign.size,
            },
            orders=tuple(foreign[:MAX_NAMED_ORDERS].tolist()),
        )


class Volumes:
    """Per-order values and per-distributor volume arrays of one period, computed on demand."""

    def __init__(self, plan: Plan, inputs: PeriodInputs, group_tree: Tree) -> None:
        self.plan = plan
        self.inputs = inputs
        self.n = inputs.n
        self.group_tree = group_tree
        self.member = np.asarray(inputs.order_member, dtype=np.int64)
        self.customer_order = np.asarray(inputs.order_customer, dtype=np.int64) >= 0

    def order_value(self, name: str) -> np.ndarray:
        """The ``pv``, ``cv`` or ``amount`` of every order (amount: 0 outside the plan's
        currency)."""
        if name == "pv":
            return np.asarray(self.inputs.order_pv, dtype=np.int64)
        if name == "cv":
            return np.asarray(self.inputs.order_cv, dtype=np.int64)
        return self._order_amount

    @cached_property
    def _order_amount(self) -> np.ndarray:
        amount = np.asarray(self.inputs.order_amount, dtype=np.int64)
        in_currency = np.asarray(self.inputs.order_in_plan_currency, dtype=bool)
        return amount if in_currency.all() else np.where(in_currency, amount, 0)

    def credited(self, name: str) -> np.ndarray:
        """Σ value over every order credited to each distributor."""
        return self._cached(
            ("credited", name), lambda: sum_by(self.member, self.order_value(name), self.n)
        )

    def customer(self, name: str) -> np.ndarray:
        """Σ value over the orders of each distributor's retail customers."""

        def compute() -> np.ndarray:
            rows = np.flatnonzero(self.customer_order)
            return sum_by(self.member[rows], self.order_value(name)[rows], self.n)

        return self._cached(("customer", name), compute)

    def own(self, name: str) -> np.ndarray:
        return self._cached(("own", name), lambda: self.credited(name) - self.customer(name))

    def period(self, name: str) -> np.ndarray:
        """PV, CV or turnover of each distributor: own (+ customers' when include_customers)."""
        if self.plan.volumes.include_customers:
            return self.credited(name)
        return self.own(name)

    @property
    def pv(self) -> np.ndarray:
        return self.period("pv")

    @property
    def cv(self) -> np.ndarray:
        return self.period("cv")

    @cached_property
    def gv(self) -> np.ndarray:
        return self.group_tree.subtree_sum(self.pv)

    @cached_property
    def totals(self) -> dict[str, int]:
        """Company totals of the period: Σ pv, Σ cv, Σ amount (plan currency) over all orders."""
        return {name: int(self.order_value(name).sum()) for name in VOLUME_NAMES}

    @cached_property
    def buying_customers(self) -> np.ndarray:
        """Distinct retail customers of each distributor with a positive net turnover."""
        rows = np.flatnonzero(self.customer_order)
        if not rows.size:
            return np.zeros(self.n, dtype=np.int64)
        customer = np.asarray(self.inputs.order_customer, dtype=np.int64)[rows]
        count = int(customer.max()) + 1
        net = sum_by(customer, self._order_amount[rows], count)
        sponsor = np.full(count, -1, dtype=np.int64)
        sponsor[customer] = self.member[rows]
        buying = np.flatnonzero(net > 0)
        return count_by(sponsor[buying], self.n)

    def _cached(self, key, compute):
        store = self.__dict__.setdefault("_store", {})
        if key not in store:
            store[key] = compute()
        return store[key]
