"""The simulated network, grown month by month (docs/simulation.md, "The growth model").

Rows are distributors in join order (a sponsor always joins before their recruits), so the
placement tree follows from the sponsor tree by the rule of :func:`downline.dataset.synth.
placements` and never changes for earlier members when newcomers are added. Retail customers
are kept apart (the engine credits their orders to their sponsor).

One month ``t`` (0 = the first simulated month):

1. **Newcomers.** Month 0: the starting distributors. Later months: every distributor who is
   still registered and was **active** last month recruits ``recruiting.by_rank[paid-as rank]
   × persona.recruiting_weight × seasonality`` newcomers on average; activity and paid-as rank
   are those of the month before (given by the caller). Newcomers join on a day of the month,
   get a persona by the personas' shares and are sponsored by their recruiter.
2. **Customers.** Every registered distributor acquires ``persona.customer_acquisition ×
   seasonality`` new retail customers on average.
3. **Orders.** A newcomer whose persona buys it orders the starter kit on the join day. Every
   registered distributor orders their persona's basket with probability ``order_probability ×
   seasonality`` (at most 1), on a day on or after joining; every remaining customer orders the
   customers' basket with probability ``customers.order_probability × seasonality``.
4. After the month is computed, :meth:`GrowingNetwork.end_month` lets distributors leave with
   probability ``churn.by_tenure[tenure] × persona.churn_weight`` (tenure 0 is the join month)
   and customers with ``customers.churn``; a distributor who leaves is *terminated* from the
   next month on (still in the trees, never active again) and their customers leave with them.

**Recruiting-linked orders** are the starter kits and each distributor's first own order.

**Certificates** (only when a plan requires some, :attr:`GrowingNetwork.certificate_keys`):
each newcomer draws a number ``u`` in [0, 1) (deterministic mode: ``frac((row + 1) × φ)``, φ the
golden ratio's fraction, evenly spread); a distributor holds every required certificate in a
month when ``u < certification.share`` (or ``by_rank[last month's paid-as rank]``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from downline.dataset.synth import placements, sponsors
from downline.dataset.synth_arrays import NumberedIds
from downline.dataset.tables import PlacementShape
from downline.engine.inputs import ACTIVE, TERMINATED, PeriodInputs
from downline.engine.plan import Plan

from .draws import Chance
from .params import GrowthParams

EPOCH = date(1970, 1, 1)
GOLDEN = (5**0.5 - 1) / 2
KIT, FIRST, REPEAT, CUSTOMER = 0, 1, 2, 3  # kinds of simulated orders


def month_days(month_number: int) -> tuple[int, int, str]:
    """``(first day, last day, "YYYY-MM")`` of a month counted from year 0 (engine day numbers:
    days since 1970-01-01)."""
    year, month = divmod(month_number, 12)
    first = date(year, month + 1, 1)
    next_year, next_month = divmod(month_number + 1, 12)
    after = date(next_year, next_month + 1, 1)
    return (first - EPOCH).days, (after - EPOCH).days - 1, f"{year:04d}-{month + 1:02d}"


def placement_shape(plan: Plan) -> PlacementShape:
    network = plan.network
    if network.placement == "matrix":
        return PlacementShape("matrix", network.width or 1)
    return PlacementShape(network.placement)


class Column:
    """A growable int array (amortised doubling)."""

    def __init__(self, dtype, fill: int = 0) -> None:
        self.data = np.zeros(16, dtype=dtype)
        self.fill = fill
        self.data[:] = fill
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        needed = self.size + len(values)
        if needed > len(self.data):
            grown = np.full(max(needed, 2 * len(self.data)), self.fill, dtype=self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : needed] = values
        self.size = needed

    @property
    def view(self) -> np.ndarray:
        return self.data[: self.size]


@dataclass
class MonthOrders:
    """What the model knows about the month's orders beyond the engine inputs."""

    kind: np.ndarray  # int8[m]: KIT, FIRST, REPEAT or CUSTOMER
    buyer: np.ndarray  # int64[m]: the distributor who bought (own orders) or is credited

    @property
    def linked(self) -> np.ndarray:
        """Recruiting-linked: starter kits and first orders."""
        return self.kind <= FIRST

    @property
    def own(self) -> np.ndarray:
        return self.kind != CUSTOMER


@dataclass
class Month:
    """One simulated month: the engine inputs (placement of the first plan's shape), the
    orders' kinds, and the head counts of the network."""

    t: int
    inputs: PeriodInputs
    orders: MonthOrders
    joined: int
    registered: int  # distributors not terminated this month, newcomers included
    customers: int  # retail customers who had not left at the start of the month
    new_customers: int


class GrowingNetwork:
    """The network of one replica; see the module docstring."""

    def __init__(self, params: GrowthParams, start_distributors: int, chance: Chance) -> None:
        self.params = params
        self.start = start_distributors
        self.chance = chance
        self.personas = params.personas.ordered()
        self.sponsor = Column(np.int64, -1)
        self.joined_day = Column(np.int32)
        self.joined_month = Column(np.int32)
        self.persona = Column(np.int8)
        self.alive = Column(np.bool_)
        self.has_ordered = Column(np.bool_)
        self.recruit_credit = Column(np.int64)
        self.order_credit = Column(np.int64)
        self.churn_credit = Column(np.int64)
        self.customer_credit = Column(np.int64)
        self.purchases = Column(np.int64)  # own orders' amount so far, hundredths
        self.customer_sponsor = Column(np.int64, -1)
        self.customer_alive = Column(np.bool_)
        self.customer_order_credit = Column(np.int64)
        self.customer_churn_credit = Column(np.int64)
        self.persona_counts = np.zeros(len(self.personas), dtype=np.int64)
        self._placements: dict[PlacementShape, tuple[np.ndarray, np.ndarray]] = {}
        self.start_month = _month_number(params.start_month)
        # the certificates the simulated plans require (set before the first month); a
        # certification number per distributor is only drawn when there are some
        self.certificate_keys: tuple[str, ...] = ()
        self.certification = Column(np.float64)

    @property
    def n(self) -> int:
        return self.sponsor.size

    def _persona_values(self, name: str, dtype=np.float64) -> np.ndarray:
        return np.array([getattr(persona, name) for persona in self.personas], dtype=dtype)

    def _add_distributors(self, sponsor: np.ndarray, days: np.ndarray, t: int) -> None:
        count = len(sponsor)
        persona = self.chance.choose(
            [p.share for p in self.personas], count, self.persona_counts.copy()
        )
        self.persona_counts += np.bincount(persona, minlength=len(self.personas))
        self.sponsor.extend(sponsor)
        self.joined_day.extend(days)
        self.joined_month.extend(np.full(count, t))
        self.persona.extend(persona)
        self.alive.extend(np.ones(count, dtype=bool))
        if self.certificate_keys:
            if self.chance.rng is not None:
                self.certification.extend(self.chance.rng.random(count))
            else:
                rows = np.arange(self.n - count, self.n, dtype=np.float64)
                self.certification.extend(np.modf((rows + 1) * GOLDEN)[0])
        for column in (
            self.has_ordered,
            self.recruit_credit,
            self.order_credit,
            self.churn_credit,
            self.customer_credit,
            self.purchases,
        ):
            column.extend(np.zeros(count, dtype=column.data.dtype))

    def _newcomers(
        self,
        t: int,
        first: int,
        last: int,
        season: float,
        active: np.ndarray | None,
        paid_as: np.ndarray | None,
    ) -> int:
        chance = self.chance
        if t == 0:
            count = self.start
            if self.params.start_network.tree == "random" and chance.rng is not None:
                sponsor = sponsors(count, "random", chance.rng)
            else:  # binary, and always in deterministic mode
                index = np.arange(count, dtype=np.int64)
                sponsor = np.where(index > 0, (index - 1) // 2, -1)
            self._add_distributors(sponsor, np.full(count, first, dtype=np.int64), t)
            return count
        assert active is not None
        assert paid_as is not None
        n = self.n
        recruiters = np.flatnonzero(self.alive.view & active[:n])
        rates = np.array(self.params.recruiting.by_rank, dtype=np.float64)
        rank = np.minimum(paid_as[recruiters].astype(np.int64), len(rates) - 1)
        weight = self._persona_values("recruiting_weight")[self.persona.view[recruiters]]
        expected = rates[rank] * weight * season
        credit = self.recruit_credit.view[recruiters] if chance.deterministic else None
        counts = chance.counts(expected, credit)
        if credit is not None:
            self.recruit_credit.view[recruiters] = credit
        sponsor = np.repeat(recruiters, counts)
        days = chance.days(np.full(len(sponsor), first, dtype=np.int64), last)
        order = np.argsort(days, kind="stable")  # rows in join order
        self._add_distributors(sponsor[order], days[order], t)
        return len(sponsor)

    def certified(self, paid_as: np.ndarray | None) -> np.ndarray:
        """bool[n]: who holds the required certificates this month (``paid_as``: last month's
        paid-as ranks, shorter than ``n`` by the newcomers, who count at the first rank)."""
        rule = self.params.certification
        if rule.by_rank is None:
            share = np.full(self.n, rule.share)
        else:
            shares = np.array(rule.by_rank, dtype=np.float64)
            rank = np.zeros(self.n, dtype=np.int64)
            if paid_as is not None:
                rank[: len(paid_as)] = paid_as[: self.n]
            share = shares[np.minimum(rank, len(shares) - 1)]
        return self.certification.view < share

    def _new_customers(self, season: float) -> int:
        alive = np.flatnonzero(self.alive.view)
        expected = self._persona_values("customer_acquisition")[self.persona.view[alive]] * season
        credit = self.customer_credit.view[alive] if self.chance.deterministic else None
        counts = self.chance.counts(expected, credit)
        if credit is not None:
            self.customer_credit.view[alive] = credit
        sponsor = np.repeat(alive, counts)
        self.customer_sponsor.extend(sponsor)
        self.customer_alive.extend(np.ones(len(sponsor), dtype=bool))
        self.customer_order_credit.extend(np.zeros(len(sponsor), dtype=np.int64))
        self.customer_churn_credit.extend(np.zeros(len(sponsor), dtype=np.int64))
        return len(sponsor)

    def month(
        self,
        t: int,
        active: np.ndarray | None = None,
        paid_as: np.ndarray | None = None,
        shape: PlacementShape | None = None,
    ) -> Month:
        """Grow the network by month ``t`` and draw its orders; ``active``/``paid_as`` are last
        month's (first plan's) results, unused in month 0."""
        first, last, code = month_days(self.start_month + t)
        season = self.params.seasonal((self.start_month + t) % 12 + 1)
        chance = self.chance
        n_before = self.n
        joined = self._newcomers(t, first, last, season, active, paid_as)
        new_customers = self._new_customers(season)
        n = self.n
        alive = self.alive.view
        persona = self.persona.view
        joined_day = self.joined_day.view.astype(np.int64)
        columns: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        # starter kits, on the join day
        kit = self.params.starter_kit
        buys_kit = self._persona_values("starter_kit", bool)
        newcomers = np.arange(n_before, n, dtype=np.int64)
        kit_buyers = newcomers[buys_kit[persona[newcomers]]]
        columns.append(
            (
                kit_buyers,
                np.full(len(kit_buyers), -1, dtype=np.int64),
                joined_day[kit_buyers],
                np.tile(
                    np.array([kit.pv, kit.cv, kit.amount], dtype=np.int64), (len(kit_buyers), 1)
                ),
                np.full(len(kit_buyers), KIT, dtype=np.int8),
            )
        )
        # own orders of registered distributors
        registered = np.flatnonzero(alive)
        probability = self._persona_values("order_probability")[persona[registered]] * season
        credit = self.order_credit.view[registered] if chance.deterministic else None
        orders = chance.happens(probability, credit)
        if credit is not None:
            self.order_credit.view[registered] = credit
        buyers = registered[orders]
        baskets = np.array(
            [[p.basket.pv, p.basket.cv, p.basket.amount] for p in self.personas], dtype=np.int64
        )
        first_order = ~self.has_ordered.view[buyers]
        self.has_ordered.view[buyers] = True
        columns.append(
            (
                buyers,
                np.full(len(buyers), -1, dtype=np.int64),
                chance.days(np.maximum(joined_day[buyers], first), last),
                baskets[persona[buyers]],
                np.where(first_order, FIRST, REPEAT).astype(np.int8),
            )
        )
        # customers' orders, credited to their sponsor
        customers = np.flatnonzero(self.customer_alive.view)
        c = self.params.customers
        credit = self.customer_order_credit.view[customers] if chance.deterministic else None
        ordering = chance.happens(np.full(len(customers), c.order_probability * season), credit)
        if credit is not None:
            self.customer_order_credit.view[customers] = credit
        ordering_customers = customers[ordering]
        columns.append(
            (
                self.customer_sponsor.view[ordering_customers],
                ordering_customers,
                chance.days(np.full(len(ordering_customers), first, dtype=np.int64), last),
                np.tile(
                    np.array([c.basket.pv, c.basket.cv, c.basket.amount], dtype=np.int64),
                    (len(ordering_customers), 1),
                ),
                np.full(len(ordering_customers), CUSTOMER, dtype=np.int8),
            )
        )
        member = np.concatenate([part[0] for part in columns])
        customer = np.concatenate([part[1] for part in columns])
        day = np.concatenate([part[2] for part in columns])
        values = np.concatenate([part[3] for part in columns]).reshape(-1, 3)
        kind = np.concatenate([part[4] for part in columns])
        own = kind != CUSTOMER
        np.add.at(self.purchases.data, member[own], values[own, 2])
        m = len(member)
        shape = shape or PlacementShape()
        placement, position = self.placement(shape)
        inputs = PeriodInputs(
            ids=NumberedIds("D", n),
            sponsor=self.sponsor.view.copy(),
            placement=placement,
            position=position,
            joined_day=self.joined_day.view.copy(),
            status=np.where(alive, ACTIVE, TERMINATED).astype(np.int8),
            first_day=first,
            last_day=last,
            order_ids=NumberedIds(f"O{t:03d}-", m),
            order_member=member,
            order_customer=customer,
            order_day=day.astype(np.int32),
            order_pv=np.ascontiguousarray(values[:, 0]),
            order_cv=np.ascontiguousarray(values[:, 1]),
            order_amount=np.ascontiguousarray(values[:, 2]),
            order_in_plan_currency=np.ones(m, dtype=bool),
            period=code,
        )
        if self.certificate_keys:
            certified = self.certified(paid_as)
            inputs.certificates = dict.fromkeys(self.certificate_keys, certified)
        return Month(
            t=t,
            inputs=inputs,
            orders=MonthOrders(kind=kind, buyer=member),
            joined=joined,
            registered=len(registered),
            customers=len(customers),
            new_customers=new_customers,
        )

    def placement(self, shape: PlacementShape) -> tuple[np.ndarray, np.ndarray]:
        """Placement parent and position of every row for ``shape`` (cached per size)."""
        cached = self._placements.get(shape)
        if cached is None or len(cached[0]) != self.n:
            parent, position = placements(self.sponsor.view.copy(), shape)
            cached = (parent, position.astype(np.int16))
            self._placements[shape] = cached
        return cached

    def with_shape(self, month: Month, shape: PlacementShape) -> PeriodInputs:
        """The month's inputs with the placement tree of another shape (same everything else)."""
        placement, position = self.placement(shape)
        return replace(month.inputs, placement=placement, position=position)

    def end_month(self, t: int) -> int:
        """Distributors and customers leave (see the module docstring); how many distributors."""
        chance = self.chance
        alive = np.flatnonzero(self.alive.view)
        rates = np.array(self.params.churn.by_tenure, dtype=np.float64)
        tenure = np.minimum(t - self.joined_month.view[alive], len(rates) - 1)
        weight = self._persona_values("churn_weight")[self.persona.view[alive]]
        credit = self.churn_credit.view[alive] if chance.deterministic else None
        leaving = chance.happens(rates[tenure] * weight, credit)
        if credit is not None:
            self.churn_credit.view[alive] = credit
        gone = alive[leaving]
        self.alive.view[gone] = False
        customers = np.flatnonzero(self.customer_alive.view)
        credit = self.customer_churn_credit.view[customers] if chance.deterministic else None
        stop = chance.happens(np.full(len(customers), self.params.customers.churn), credit)
        if credit is not None:
            self.customer_churn_credit.view[customers] = credit
        stop |= ~self.alive.view[self.customer_sponsor.view[customers]]
        self.customer_alive.view[customers[stop]] = False
        return len(gone)


def _month_number(text: str) -> int:
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1
