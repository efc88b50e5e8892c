"""The reference oracle: docs/plan-language.md computed one distributor at a time in plain Python.

This is the slow, obviously correct twin of the vectorised engine (``downline.engine``). It
shares nothing with it but the input and output types: trees are parent pointers and children
lists, volumes are ints, every rate and exact value is a :class:`fractions.Fraction`, and every
rule is an explicit loop that follows the wording of the specification. No recursion, so deep
chains are fine.

Readings of the specification where it leaves room (each follows the most literal wording):

* per-order bonuses (unilevel ``per: order``, matrix, generation) and binary legs use every
  order *credited* to a distributor, customers' orders included, whatever
  ``volumes.include_customers`` says; it only shapes PV, CV and turnover of a distributor;
* a unilevel ``per: order`` walk writes lines for zero-volume orders too (amount 0); only
  ``per: distributor`` and ``personal`` skip a zero volume;
* the ``customers`` condition counts net ``amount`` of the plan's currency only (turnover);
* a plan that uses ``amount`` (a bonus ``volume``, a pool or the company cap ``of``) with an order
  in another currency is rejected (``ValueError`` naming the order), whatever the bonus;
* rank advancement: "none" is below every rank, so an earner with nothing remembered and
  paid-as rank 0 gets rank 0 remembered (and paid if rank 0 is listed); base is 0, no rate;
* binary cycles: the rate is ``pays`` in currency units per cycle (``Fraction(pays)``), the
  base the cycle count, so amount = base × rate × 10^minor;
* pool: lines for every earner whose paid-as rank is listed, even with 0 shares;
  largest remainder rounds the exact parts ``pool × s / S``;
* ``qualifying_volume`` in the result is rounded down to whole hundredths (with a
  ``max_leg_share`` cap it can be fractional);
* ``requires`` is part of "passes the earner rule" everywhere a bonus asks it; compression
  still skips only the uplines who are not active (an active upline short of a requirement
  keeps its level and its amount is not paid);
* stairstep: a distributor's own and differential lines are signed (a return, or a child above
  its parent's bracket, gives a negative line); when their rounded amounts total ``T < 0`` one
  floor line of ``−T`` (source the distributor, level 3, base 0, no rate) makes the difference
  exactly 0; royalty lines need a positive group CV;
* ``personally_enrolled`` counts enrollment children who are present and not terminated, as its
  row in the table says, so a suspended child counts there (the general sentence "counts in no
  head-count condition" would exclude them); ``personally_enrolled_active`` counts active ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from downline.engine.inputs import (
    ACTIVE,
    TERMINATED,
    EngineState,
    Lines,
    PeriodInputs,
    PeriodResult,
)
from downline.engine.plan.model import (
    BinaryBonus,
    BonusBase,
    CompanyCap,
    FastStartBonus,
    GenerationBonus,
    MatchingBonus,
    MatrixBonus,
    PersonalBonus,
    Plan,
    PoolBonus,
    QualifyingVolume,
    Rank,
    RankAdvancementBonus,
    Requirements,
    StairstepBonus,
    UnilevelBonus,
)
from downline.money import round_half_up

NONE = -1


# --- small helpers ------------------------------------------------------------------------------


def round_line(exact: Fraction) -> int:
    """The one rounding rule: half up (halves away from zero), once per line."""
    return round_half_up(exact.numerator, exact.denominator)


def floor_fraction(value: Fraction) -> int:
    return value.numerator // value.denominator


@dataclass(eq=False)
class Line:
    """One commission line while the period is being computed (``amount`` changes under caps)."""

    bonus: int
    recipient: int
    source: int
    source_order: int
    level: int
    base: int
    rate: Fraction | None  # None: no rate (rank advancement)
    amount_before_cap: int
    amount: int

    def __post_init__(self) -> None:
        # canonical order: bonus, recipient, source order (none first), source (none first), level
        self.key = (self.bonus, self.recipient, self.source_order, self.source, self.level)


def canonical(line: Line) -> tuple[int, int, int, int, int]:
    return line.key


def largest_remainder(lines: list[Line], target: int) -> None:
    """Scale the ``amount`` of ``lines`` (in canonical order, sum S > target) to total ``target``.

    Each line gets ⌊a·T/S⌋; the units left over go one each to the largest remainders
    (a·T) mod S, equal remainders to the line first in canonical order.
    """
    total = sum(line.amount for line in lines)
    if total <= 0:
        raise ValueError("largest remainder needs a positive total to scale from")
    shares = []
    remainders = []
    for line in lines:
        share, remainder = divmod(line.amount * target, total)
        shares.append(share)
        remainders.append(remainder)
    left = target - sum(shares)
    by_remainder = sorted(range(len(lines)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:left]:
        shares[i] += 1
    for line, share in zip(lines, shares, strict=True):
        line.amount = share


class Tree:
    """A forest given by parent pointers (-1: a root), with children lists in row order."""

    def __init__(self, parent: Sequence[int]) -> None:
        self.parent = list(parent)
        self.children: list[list[int]] = [[] for _ in self.parent]
        for node, up in enumerate(self.parent):
            if up >= 0:
                self.children[up].append(node)
        # top-down (breadth-first) order from the roots; reversed it is bottom-up
        order = [node for node, up in enumerate(self.parent) if up < 0]
        head = 0
        while head < len(order):
            order.extend(self.children[order[head]])
            head += 1
        if len(order) != len(self.parent):
            raise ValueError("the tree has a cycle")
        self.top_down = order
        self.bottom_up = order[::-1]

    def ancestors(self, node: int) -> Iterator[int]:
        """Parent, grandparent, … up to the root (``node`` itself excluded)."""
        up = self.parent[node]
        while up >= 0:
            yield up
            up = self.parent[up]

    def subtree_sums(self, values: Sequence[int]) -> list[int]:
        """``values`` of each node plus those of everyone below it."""
        sums = list(values)
        for node in self.bottom_up:
            up = self.parent[node]
            if up >= 0:
                sums[up] += sums[node]
        return sums


# --- the run ------------------------------------------------------------------------------------


class Period:
    """Everything computed for one period, in the order of evaluation of the specification."""

    def __init__(self, plan: Plan, inputs: PeriodInputs, state: EngineState | None) -> None:
        self.plan = plan
        self.inputs = inputs
        n = inputs.n
        self.n = n
        self.minor = plan.minor_digits
        self.state = state if state is not None else EngineState.fresh(n)
        self.rank_names = [rank.name for rank in plan.ranks]

        self.sponsor = [int(x) for x in inputs.sponsor]
        self.placement = [int(x) for x in inputs.placement]
        self.position = [int(x) for x in inputs.position]
        self.joined = [int(x) for x in inputs.joined_day]
        self.status = [int(x) for x in inputs.status]
        self.enrollment = Tree(self.sponsor)
        self.placement_tree = Tree(self.placement)

        self.orders = range(inputs.m)
        self.order_member = [int(x) for x in inputs.order_member]
        self.order_customer = [int(x) for x in inputs.order_customer]
        self.order_day = [int(x) for x in inputs.order_day]
        self.order_pv = [int(x) for x in inputs.order_pv]
        self.order_cv = [int(x) for x in inputs.order_cv]
        self.order_amount = [int(x) for x in inputs.order_amount]
        self.order_in_currency = [bool(x) for x in inputs.order_in_plan_currency]
        # certificates held on the period's last day; a key not given is held by nobody
        self.certificates = {
            key: [bool(x) for x in held] for key, held in inputs.certificates.items()
        }

        self.lines: list[Line] = []

    # -- trees ---------------------------------------------------------------------------------

    def tree(self, name: str) -> Tree:
        return self.enrollment if name == "enrollment" else self.placement_tree

    # -- inputs: who is present and eligible ---------------------------------------------------

    def presence(self) -> None:
        last = self.inputs.last_day
        self.present = [self.joined[d] <= last for d in range(self.n)]
        self.eligible = [self.present[d] and self.status[d] == ACTIVE for d in range(self.n)]

    def check_currency(self) -> None:
        """A plan that uses ``amount`` with an order in another currency is rejected."""
        uses_amount = any(getattr(bonus, "volume", None) == "amount" for bonus in self.plan.bonuses)
        uses_amount |= any(
            isinstance(bonus, PoolBonus) and bonus.of == "amount" for bonus in self.plan.bonuses
        )
        cap = self.plan.company_cap
        uses_amount |= cap is not None and cap.of == "amount"
        if not uses_amount:
            return
        for o in self.orders:
            if not self.order_in_currency[o]:
                raise ValueError(
                    f"order {self.inputs.order_ids[o]} is not in the plan's currency "
                    f"{self.plan.currency_code}, and the plan uses amount"
                )

    # -- 1. volumes ------------------------------------------------------------------------------

    def order_value(self, o: int, volume: str) -> int:
        """The ``pv``, ``cv`` or ``amount`` of order ``o`` (amount: plan currency only)."""
        if volume == "pv":
            return self.order_pv[o]
        if volume == "cv":
            return self.order_cv[o]
        return self.order_amount[o] if self.order_in_currency[o] else 0

    def volumes(self) -> None:
        n = self.n
        own = {name: [0] * n for name in ("pv", "cv", "amount")}
        customer = {name: [0] * n for name in ("pv", "cv", "amount")}
        credited = {name: [0] * n for name in ("pv", "cv", "amount")}
        for o in self.orders:
            d = self.order_member[o]
            bucket = own if self.order_customer[o] < 0 else customer
            for name in ("pv", "cv", "amount"):
                value = self.order_value(o, name)
                bucket[name][d] += value
                credited[name][d] += value
        include = self.plan.volumes.include_customers
        # period volume of each distributor: own (+ customers' when include_customers)
        self.volume = {
            name: [own[name][d] + (customer[name][d] if include else 0) for d in range(n)]
            for name in ("pv", "cv", "amount")
        }
        # the sum of every order credited to a distributor (per-order bonuses, binary legs)
        self.credited = credited
        # own and customer PV, whatever include_customers says (the customer share)
        self.own_pv = own["pv"]
        self.customer_pv = customer["pv"]
        self.pv = self.volume["pv"]
        self.cv = self.volume["cv"]
        self.group_tree = self.tree(self.plan.volumes.group_tree)
        self.gv = self.group_tree.subtree_sums(self.pv)
        self.total = {
            name: sum(self.order_value(o, name) for o in self.orders)
            for name in ("pv", "cv", "amount")
        }
        # retail customers with a positive net amount (plan currency), per distributor
        net: dict[tuple[int, int], int] = {}
        for o in self.orders:
            if self.order_customer[o] >= 0:
                key = (self.order_member[o], self.order_customer[o])
                net[key] = net.get(key, 0) + self.order_value(o, "amount")
        self.buying_customers = [0] * n
        for (d, _customer), amount in net.items():
            if amount > 0:
                self.buying_customers[d] += 1

    # -- 2. activity -----------------------------------------------------------------------------

    def activity(self) -> None:
        rule = self.plan.activity
        self.active = []
        for d in range(self.n):
            ok = self.eligible[d]
            if rule is not None and rule.pv_at_least is not None:
                ok = ok and self.pv[d] >= rule.pv_at_least
            if rule is not None and rule.cv_at_least is not None:
                ok = ok and self.cv[d] >= rule.cv_at_least
            self.active.append(ok)

    def passes(self, d: int, bonus: BonusBase) -> bool:
        """Whether ``d`` may earn ``bonus``: its earner rule (``active`` or ``eligible``) and
        every requirement written under its ``requires``."""
        rule = self.active[d] if bonus.earner == "active" else self.eligible[d]
        return rule and self.meets(d, bonus.requires)

    def holds_certificate(self, d: int, key: str) -> bool:
        return key in self.certificates and self.certificates[key][d]

    def meets(self, d: int, requires: Requirements | None) -> bool:
        """``customer_share_at_least: P``: customer PV ÷ (own PV + customer PV) ≥ P, failing
        when the sum is 0 or less; ``customers_at_least: N``: at least N buying customers;
        ``certificate: K``: holds every certificate of K."""
        if requires is None:
            return True
        for key in requires.certificate or ():
            if not self.holds_certificate(d, key):
                return False
        share = requires.customer_share_at_least
        if share is not None:
            total = self.own_pv[d] + self.customer_pv[d]
            if total <= 0 or Fraction(self.customer_pv[d], total) < share.value:
                return False
        needed = requires.customers_at_least
        return needed is None or self.buying_customers[d] >= needed

    # -- 3. ranks --------------------------------------------------------------------------------

    def qualifying_volume(self, d: int, rule: QualifyingVolume) -> Fraction:
        """QV = PV(d) (or min(PV, Y) with own_pv capped) + Σ over legs min(GV(leg), Y)."""
        if rule.max_per_leg is not None:
            cap = Fraction(rule.max_per_leg)
        else:
            cap = rule.max_leg_share.value * rule.at_least
        own = Fraction(self.pv[d])
        if rule.own_pv == "capped":
            own = min(own, cap)
        legs = sum(
            (min(Fraction(self.gv[c]), cap) for c in self.group_tree.children[d]), Fraction(0)
        )
        return own + legs

    def rank_holds(self, d: int, rank: Rank) -> bool:
        """Every condition written on ``rank`` holds for ``d`` (conditions not written apply not)."""
        if rank.active and not self.active[d]:
            return False
        if rank.requires is not None and not all(
            self.holds_certificate(d, key) for key in rank.requires.certificate
        ):
            return False
        if rank.pv is not None and self.pv[d] < rank.pv:
            return False
        if rank.gv is not None and self.gv[d] < rank.gv:
            return False
        qv = rank.qualifying_volume
        if qv is not None and self.qualifying_volume(d, qv) < qv.at_least:
            return False
        if rank.legs is not None:
            needed = self.rank_names.index(rank.legs.rank)
            legs = sum(1 for c in self.group_tree.children[d] if self.best_in_leg[c] >= needed)
            if legs < rank.legs.count:
                return False
        if rank.personally_enrolled is not None:
            enrolled = sum(
                1
                for c in self.enrollment.children[d]
                if self.present[c] and self.status[c] != TERMINATED
            )
            if enrolled < rank.personally_enrolled:
                return False
        if rank.personally_enrolled_active is not None:
            enrolled_active = sum(1 for c in self.enrollment.children[d] if self.active[c])
            if enrolled_active < rank.personally_enrolled_active:
                return False
        return not (rank.customers is not None and self.buying_customers[d] < rank.customers)

    def ranks(self) -> None:
        """Bottom-up over the group tree: qualified, paid-as (with grace) and highest rank."""
        n = self.n
        grace = self.plan.rank_rules.grace_periods
        previous_paid = [int(x) for x in self.state.paid_as_rank]
        previous_grace = [int(x) for x in self.state.grace_used]
        previous_highest = [int(x) for x in self.state.highest_rank]
        self.qualified = [0] * n
        self.paid_as = [0] * n
        self.grace_used = [0] * n
        self.highest = [0] * n
        # best_in_leg[c]: the highest paid-as rank of anyone in c's subtree (c included)
        self.best_in_leg = [0] * n
        for d in self.group_tree.bottom_up:
            qualified = 0
            if self.eligible[d]:
                for r in range(len(self.plan.ranks) - 1, 0, -1):
                    if self.rank_holds(d, self.plan.ranks[r]):
                        qualified = r
                        break
            paid_as, used = qualified, 0
            if (
                self.eligible[d]
                and grace > 0
                and qualified < previous_paid[d]
                and previous_grace[d] < grace
            ):
                paid_as, used = previous_paid[d], previous_grace[d] + 1
            self.qualified[d] = qualified
            self.paid_as[d] = paid_as
            self.grace_used[d] = used
            self.highest[d] = max(previous_highest[d], qualified)
            best = paid_as
            for c in self.group_tree.children[d]:
                best = max(best, self.best_in_leg[c])
            self.best_in_leg[d] = best

    def reported_qualifying_volume(self) -> list[int]:
        """QV for the lowest rank above paid-as with a QV condition, else the highest such rank;
        -1 when no rank has one. Rounded down to whole hundredths."""
        with_qv = [
            r for r, rank in enumerate(self.plan.ranks) if rank.qualifying_volume is not None
        ]
        if not with_qv:
            return [-1] * self.n
        result = []
        for d in range(self.n):
            above = [r for r in with_qv if r > self.paid_as[d]]
            target = above[0] if above else with_qv[-1]
            rule = self.plan.ranks[target].qualifying_volume
            result.append(floor_fraction(self.qualifying_volume(d, rule)))
        return result

    def rank_of(self, d: int) -> str:
        return self.rank_names[self.paid_as[d]]

    # -- 4. bonuses --------------------------------------------------------------------------------

    def volume_line(self, base: int, rate: Fraction) -> int:
        """A line on a volume (hundredths): base × rate currency units, i.e.
        base × rate × 10^minor / 100 minor units, rounded half up."""
        return round_half_up(base * 10**self.minor * rate.numerator, 100 * rate.denominator)

    def add(
        self,
        bonus: int,
        recipient: int,
        source: int,
        source_order: int,
        level: int,
        base: int,
        rate: Fraction | None,
        amount: int,
    ) -> Line:
        line = Line(bonus, recipient, source, source_order, level, base, rate, amount, amount)
        self.lines.append(line)
        return line

    def personal(self, b: int, bonus: PersonalBonus) -> None:
        rate = bonus.rate.value
        for d in range(self.n):
            base = self.volume[bonus.volume][d]
            if base != 0 and self.passes(d, bonus):
                self.add(b, d, d, NONE, 0, base, rate, self.volume_line(base, rate))

    def level_walk(
        self,
        b: int,
        bonus: UnilevelBonus,
        x: int,
        order: int,
        base: int,
    ) -> None:
        """Walk up from x's parent paying levels[k-1] × base to the upline at level k."""
        tree = self.tree(bonus.tree)
        levels = bonus.levels
        k = 0
        for upline in tree.ancestors(x):
            if bonus.compression and not self.active[upline]:
                continue  # skipped: does not count as a level
            k += 1
            deep_enough = bonus.depth_by_rank is None or k <= bonus.depth_by_rank.get(
                self.rank_of(upline), 0
            )
            if deep_enough and self.passes(upline, bonus):
                rate = levels[k - 1].value
                self.add(b, upline, x, order, k, base, rate, self.volume_line(base, rate))
            if k == len(levels):
                break

    def unilevel(self, b: int, bonus: UnilevelBonus) -> None:
        if bonus.per == "order":
            for o in self.orders:
                x = self.order_member[o]
                self.level_walk(b, bonus, x, o, self.order_value(o, bonus.volume))
        else:
            for x in range(self.n):
                base = self.volume[bonus.volume][x]
                if base != 0:
                    self.level_walk(b, bonus, x, NONE, base)

    def matrix(self, b: int, bonus: MatrixBonus) -> None:
        """Each order pays levels[k-1] to the k-th placement ancestor of the credited member
        (no compression: a level whose ancestor fails the earner rule is not paid)."""
        for o in self.orders:
            x = self.order_member[o]
            base = self.order_value(o, bonus.volume)
            for k, upline in enumerate(self.placement_tree.ancestors(x), start=1):
                if k > len(bonus.levels):
                    break
                if self.passes(upline, bonus):
                    rate = bonus.levels[k - 1].value
                    self.add(b, upline, x, o, k, base, rate, self.volume_line(base, rate))

    def fast_start(self, b: int, bonus: FastStartBonus) -> None:
        tree = self.tree(bonus.tree)
        for o in self.orders:
            if self.order_customer[o] >= 0:
                continue  # only orders the distributor bought themselves
            x = self.order_member[o]
            if self.order_day[o] - self.joined[x] >= bonus.days:
                continue
            base = self.order_value(o, bonus.volume)
            for k, upline in enumerate(tree.ancestors(x), start=1):
                if k > len(bonus.levels):
                    break
                if self.passes(upline, bonus):
                    rate = bonus.levels[k - 1].value
                    self.add(b, upline, x, o, k, base, rate, self.volume_line(base, rate))

    def binary(self, b: int, bonus: BinaryBonus) -> None:
        tree = self.placement_tree
        in_subtree = tree.subtree_sums(self.credited[bonus.volume])
        carry_left, carry_right = self.state.carry_of(bonus.name, self.n)
        cap = None if bonus.carry_cap is None else bonus.carry_cap
        per_period = (
            None if bonus.cap_per_period is None else self.plan.money_minor(bonus.cap_per_period)
        )

        def capped(volume: int) -> int:
            return volume if cap is None else min(volume, cap)

        new_left = [0] * self.n
        new_right = [0] * self.n
        for d in range(self.n):
            legs = {1: 0, 2: 0}
            for c in tree.children[d]:
                if self.position[c] in legs:
                    legs[self.position[c]] += in_subtree[c]
            left = max(0, int(carry_left[d]) + legs[1])
            right = max(0, int(carry_right[d]) + legs[2])
            if not self.passes(d, bonus):
                if bonus.flush_inactive:
                    new_left[d], new_right[d] = 0, 0
                else:
                    new_left[d], new_right[d] = capped(left), capped(right)
                continue
            if bonus.rate is not None:
                weak = min(left, right)
                base, rate = weak, bonus.rate.value
                amount = self.volume_line(weak, rate)
                new_left[d], new_right[d] = capped(left - weak), capped(right - weak)
            else:
                cycles = bonus.cycles
                count = min(left // cycles.left, right // cycles.right)
                base, rate = count, Fraction(cycles.pays)
                amount = round_line(count * rate * 10**self.minor)
                new_left[d] = capped(left - count * cycles.left)
                new_right[d] = capped(right - count * cycles.right)
            if amount == 0:
                continue
            line = self.add(b, d, NONE, NONE, 0, base, rate, amount)
            if per_period is not None:
                line.amount = min(line.amount, per_period)
        self.new_carry[bonus.name] = (new_left, new_right)

    def stairstep(self, b: int, bonus: StairstepBonus) -> None:
        tree = self.tree(bonus.tree)
        pgv = list(self.pv)
        pgcv = list(self.cv)
        broken = [False] * self.n
        for d in tree.bottom_up:  # children are final before their parent reads them
            broken[d] = pgv[d] >= bonus.breakaway_at
            up = tree.parent[d]
            if up >= 0 and not broken[d]:
                pgv[up] += pgv[d]
                pgcv[up] += pgcv[d]

        def bracket(d: int) -> Fraction:
            rate = Fraction(0)
            for step in bonus.brackets:
                if step.pgv <= pgv[d]:
                    rate = step.rate.value
            return rate

        rates = [bracket(d) for d in range(self.n)]
        # the breakaways each distributor's royalty reaches: with ``children`` the broken-away
        # children; with ``first_generation`` walk up from each breakaway b to (and including)
        # the nearest broken-away ancestor
        reached: list[list[int]] = [[] for _ in range(self.n)]
        for member in range(self.n):
            if not broken[member]:
                continue
            for up in tree.ancestors(member):
                reached[up].append(member)
                if bonus.reaches == "children" or broken[up]:
                    break

        def write(d: int, source: int, level: int, base: int, rate: Fraction) -> int:
            """A line of ``base × rate`` (signed: a negative rate or base gives a negative
            line), written when neither is zero; its amount."""
            if base == 0 or rate == 0:
                return 0
            return self.add(
                b, d, source, NONE, level, base, rate, self.volume_line(base, rate)
            ).amount

        for d in range(self.n):
            if not self.passes(d, bonus):
                continue
            # the difference bracket(d) × PGCV(d) − Σ bracket(c) × PGCV(c), line by line
            difference = write(d, d, 0, self.cv[d], rates[d])
            for c in tree.children[d]:
                if not broken[c]:
                    difference += write(d, c, 1, pgcv[c], rates[d] - rates[c])
            if difference < 0:  # floored at zero for the whole difference
                self.add(b, d, d, NONE, 3, 0, None, -difference)
            if bonus.royalty is not None and rates[d] >= bonus.royalty_requires.value:
                for breakaway in reached[d]:
                    if pgcv[breakaway] > 0:
                        write(d, breakaway, 2, pgcv[breakaway], bonus.royalty.value)

    def generation(self, b: int, bonus: GenerationBonus) -> None:
        tree = self.tree(bonus.tree)
        needed = self.rank_names.index(bonus.rank)
        qualifies = [self.paid_as[d] >= needed for d in range(self.n)]
        # nearest qualifying strict ancestor of every member (top-down), to skip the rest
        nearest = [NONE] * self.n
        for d in tree.top_down:
            up = tree.parent[d]
            if up >= 0:
                nearest[d] = up if qualifies[up] else nearest[up]
        depth = len(bonus.generations)
        for o in self.orders:
            x = self.order_member[o]
            base = self.order_value(o, bonus.volume)
            below = 1 if qualifies[x] else 0  # qualifying members from x up to a, a excluded
            a = nearest[x]
            while a != NONE and 1 + below <= depth:
                g = 1 + below
                if self.passes(a, bonus):
                    rate = bonus.generations[g - 1].value
                    self.add(b, a, x, o, g, base, rate, self.volume_line(base, rate))
                below += 1
                a = nearest[a]

    def matching(self, b: int, bonus: MatchingBonus) -> None:
        tree = self.tree(bonus.tree)
        matched = {self.bonus_index[name] for name in bonus.of}
        earnings = [0] * self.n
        for line in self.lines:
            if line.bonus in matched:
                earnings[line.recipient] += line.amount
        for s in range(self.n):
            if earnings[s] == 0:
                continue
            for k, upline in enumerate(tree.ancestors(s), start=1):
                if k > len(bonus.levels):
                    break
                if self.passes(upline, bonus):
                    rate = bonus.levels[k - 1].value
                    amount = round_line(earnings[s] * rate)
                    self.add(b, upline, s, NONE, k, earnings[s], rate, amount)

    def rank_advancement(self, b: int, bonus: RankAdvancementBonus) -> None:
        remembered = [int(x) for x in self.state.awarded_of(bonus.name, self.n)]
        amounts = {
            self.rank_names.index(name): self.plan.money_minor(amount)
            for name, amount in bonus.amounts.items()
        }
        for d in range(self.n):
            if not self.passes(d, bonus) or self.paid_as[d] <= remembered[d]:
                continue
            for r in range(remembered[d] + 1, self.paid_as[d] + 1):
                if r in amounts:
                    self.add(b, d, d, NONE, r, 0, None, amounts[r])
            remembered[d] = self.paid_as[d]
        self.new_awarded[bonus.name] = remembered

    def pool(self, b: int, bonus: PoolBonus) -> None:
        pool = bonus.share.value * Fraction(self.total[bonus.of] * 10**self.minor, 100)
        holders = []
        for d in range(self.n):
            name = self.rank_of(d)
            if name in bonus.shares and self.passes(d, bonus):
                holders.append((d, bonus.shares[name]))
        total_shares = sum(shares for _d, shares in holders)
        if total_shares == 0:
            return
        base = round_line(pool)
        if bonus.rounding == "floor_per_share":
            per_share = floor_fraction(pool / total_shares)
            for d, shares in holders:
                self.add(
                    b, d, NONE, NONE, 0, base, Fraction(shares, total_shares), shares * per_share
                )
            return
        parts = [pool * shares / total_shares for _d, shares in holders]
        floors = [floor_fraction(part) for part in parts]
        left = floor_fraction(pool) - sum(floors)
        by_remainder = sorted(range(len(parts)), key=lambda i: (-(parts[i] - floors[i]), i))
        for i in by_remainder[:left]:
            floors[i] += 1
        for (d, shares), amount in zip(holders, floors, strict=True):
            self.add(b, d, NONE, NONE, 0, base, Fraction(shares, total_shares), amount)

    def bonuses(self) -> None:
        self.bonus_index = {bonus.name: b for b, bonus in enumerate(self.plan.bonuses)}
        self.new_carry: dict[str, tuple[list[int], list[int]]] = {}
        self.new_awarded: dict[str, list[int]] = {}
        caps_after: dict[int, list] = {}
        for cap in self.plan.caps:
            last = max(self.bonus_index[name] for name in cap.bonuses)
            caps_after.setdefault(last, []).append(cap)
        kinds = {
            "personal": self.personal,
            "unilevel": self.unilevel,
            "matrix": self.matrix,
            "fast_start": self.fast_start,
            "binary": self.binary,
            "stairstep": self.stairstep,
            "generation": self.generation,
            "matching": self.matching,
            "rank_advancement": self.rank_advancement,
            "pool": self.pool,
        }
        for b, bonus in enumerate(self.plan.bonuses):
            kinds[bonus.kind](b, bonus)
            for cap in caps_after.get(b, []):
                self.distributor_cap({self.bonus_index[name] for name in cap.bonuses}, cap.max)

    # -- caps --------------------------------------------------------------------------------------

    def distributor_cap(self, bonuses: set[int], maximum) -> None:
        """Each distributor's lines in ``bonuses`` scaled down to ``max`` when they exceed it."""
        limit = self.plan.money_minor(maximum)
        per_recipient: dict[int, list[Line]] = {}
        self.lines.sort(key=canonical)
        for line in self.lines:
            if line.bonus in bonuses:
                per_recipient.setdefault(line.recipient, []).append(line)
        for lines in per_recipient.values():
            if sum(line.amount for line in lines) > limit:
                largest_remainder(lines, limit)

    def company_cap(self, cap: CompanyCap) -> None:
        limit = floor_fraction(cap.share.value * Fraction(self.total[cap.of] * 10**self.minor, 100))
        capped = (
            set(range(len(self.plan.bonuses)))
            if not cap.bonuses
            else {self.bonus_index[name] for name in cap.bonuses}
        )
        self.lines.sort(key=canonical)
        lines = [line for line in self.lines if line.bonus in capped]
        if sum(line.amount for line in lines) > limit:
            largest_remainder(lines, limit)

    # -- the whole period ------------------------------------------------------------------------

    def run(self) -> PeriodResult:
        self.check_currency()
        self.presence()
        self.volumes()
        self.activity()
        self.ranks()
        self.bonuses()
        if self.plan.company_cap is not None:
            self.company_cap(self.plan.company_cap)
        return self.result()

    def result(self) -> PeriodResult:
        n = self.n
        self.lines.sort(key=canonical)
        lines = self.lines
        earned = [0] * n
        for line in lines:
            earned[line.recipient] += line.amount

        def column(values, dtype) -> np.ndarray:
            return np.array(values, dtype=dtype)

        rates = [line.rate for line in lines]
        binary_names = [bonus.name for bonus in self.plan.bonuses if isinstance(bonus, BinaryBonus)]
        if binary_names:
            carry_left, carry_right = self.new_carry[binary_names[0]]
        else:
            carry_left, carry_right = [0] * n, [0] * n
        state = EngineState(
            highest_rank=column(self.highest, np.int16),
            paid_as_rank=column(self.paid_as, np.int16),
            grace_used=column(self.grace_used, np.int16),
            carry={
                name: (column(left, np.int64), column(right, np.int64))
                for name, (left, right) in self.new_carry.items()
            },
            awarded={name: column(values, np.int16) for name, values in self.new_awarded.items()},
        )
        return PeriodResult(
            pv=column(self.pv, np.int64),
            cv=column(self.cv, np.int64),
            gv=column(self.gv, np.int64),
            qualifying_volume=column(self.reported_qualifying_volume(), np.int64),
            active=column(self.active, bool),
            qualified_rank=column(self.qualified, np.int16),
            paid_as_rank=column(self.paid_as, np.int16),
            highest_rank=column(self.highest, np.int16),
            earned=column(earned, np.int64),
            carry_left=column(carry_left, np.int64),
            carry_right=column(carry_right, np.int64),
            lines=Lines(
                bonus=column([line.bonus for line in lines], np.int16),
                recipient=column([line.recipient for line in lines], np.int64),
                source=column([line.source for line in lines], np.int64),
                source_order=column([line.source_order for line in lines], np.int64),
                level=column([line.level for line in lines], np.int16),
                base=column([line.base for line in lines], np.int64),
                rate_num=column([0 if r is None else r.numerator for r in rates], np.int64),
                rate_den=column([0 if r is None else r.denominator for r in rates], np.int64),
                amount_before_cap=column([line.amount_before_cap for line in lines], np.int64),
                amount=column([line.amount for line in lines], np.int64),
            ),
            state=state,
        )


def compute_period(
    plan: Plan, inputs: PeriodInputs, state: EngineState | None = None
) -> PeriodResult:
    """One period of ``plan`` over ``inputs`` (docs/plan-language.md), the slow and plain way."""
    return Period(plan, inputs, state).run()
