"""Engine inputs for tests: readable builders for hand-made cases and hypothesis strategies.

The strategies draw what a real period can hold: one root; sponsor trees from stars to deep
chains; binary, matrix or unilevel placement trees that respect capacity and place every member
inside their sponsor's placement subtree; statuses; join dates before, inside and after the
period; retail customers; own and customer orders on several days, returns with negative
volumes, orders in another currency; previous states (carries, ranks, grace, awards); and plans
covering every bonus kind and option (compliance requirements included), written as YAML and
read by the real loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
import yaml
from hypothesis import strategies as st

from downline.engine.inputs import ACTIVE, SUSPENDED, TERMINATED, EngineState, PeriodInputs
from downline.engine.plan import Plan, load_plan_text

EPOCH = date(1970, 1, 1)
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
STATUS = {"active": ACTIVE, "suspended": SUSPENDED, "terminated": TERMINATED}


def day_number(day: date | str) -> int:
    """Days since 1970-01-01 (the engine's day numbers)."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return (day - EPOCH).days


# --- builders for hand-written cases --------------------------------------------------------------


@dataclass
class Member:
    """A distributor; ``position`` is 1/2 (left/right) or a matrix slot, 0 in a unilevel tree."""

    id: str
    sponsor: str | None = None
    placement: str | None = None  # defaults to the sponsor
    position: int = 0
    joined: str = "2026-01-01"
    status: str = "active"


@dataclass
class Order:
    """An order credited to ``member``; ``customer`` names the retail customer who bought it."""

    id: str
    member: str
    pv: int = 0  # hundredths
    cv: int = 0  # hundredths
    amount: int = 0  # hundredths of the currency's major unit
    day: str = "2026-10-05"
    customer: str | None = None
    in_plan_currency: bool = True


def build_inputs(
    members: list[Member],
    orders: list[Order],
    *,
    first_day: str | date = OCTOBER[0],
    last_day: str | date = OCTOBER[1],
    period: str = "2026-10",
) -> PeriodInputs:
    """Engine inputs from readable rows (rows keep the order given)."""
    row = {member.id: index for index, member in enumerate(members)}
    customers: dict[str, int] = {}
    for order in orders:
        if order.customer is not None:
            customers.setdefault(order.customer, len(customers))

    def ref(member_id: str | None) -> int:
        return -1 if member_id is None else row[member_id]

    return PeriodInputs(
        ids=[member.id for member in members],
        sponsor=np.array([ref(m.sponsor) for m in members], dtype=np.int64),
        placement=np.array(
            [ref(m.placement if m.placement is not None else m.sponsor) for m in members],
            dtype=np.int64,
        ),
        position=np.array([m.position for m in members], dtype=np.int16),
        joined_day=np.array([day_number(m.joined) for m in members], dtype=np.int32),
        status=np.array([STATUS[m.status] for m in members], dtype=np.int8),
        first_day=day_number(first_day) if not isinstance(first_day, int) else first_day,
        last_day=day_number(last_day) if not isinstance(last_day, int) else last_day,
        order_ids=[order.id for order in orders],
        order_member=np.array([row[o.member] for o in orders], dtype=np.int64),
        order_customer=np.array(
            [-1 if o.customer is None else customers[o.customer] for o in orders], dtype=np.int64
        ),
        order_day=np.array([day_number(o.day) for o in orders], dtype=np.int32),
        order_pv=np.array([o.pv for o in orders], dtype=np.int64),
        order_cv=np.array([o.cv for o in orders], dtype=np.int64),
        order_amount=np.array([o.amount for o in orders], dtype=np.int64),
        order_in_plan_currency=np.array([o.in_plan_currency for o in orders], dtype=bool),
        period=period,
    )


def plan_from(data: dict) -> Plan:
    """A plan from its YAML form (as a dict), through the real loader."""
    return load_plan_text(yaml.safe_dump(data, sort_keys=False)).plan


# --- scenarios ----------------------------------------------------------------------------------

RANK_NAMES = ["Member", "Bronze", "Silver", "Gold", "Diamond"]
PERCENTS = ["0%", "1%", "2.5%", "3%", "5%", "7%", "10%", "12.5%", "20%", "33.33%", "50%", "100%"]
RATES = [*PERCENTS, "0.125%", "12.345678%", "99.999999%", "1 per unit", "0.5 per unit"]
PERIOD_DAYS = 31


@dataclass
class Network:
    """A drawn network (rows in final order) and its retail customers."""

    sponsor: list[int]
    placement: list[int]
    position: list[int]
    joined: list[int]
    status: list[int]
    customer_sponsor: list[int] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.sponsor)


@dataclass
class Scenario:
    """One period to compute: a plan (and its YAML), inputs and the previous state."""

    plan: Plan
    plan_text: str
    inputs: PeriodInputs
    state: EngineState | None

    def __repr__(self) -> str:  # what hypothesis prints for a falsifying example
        return describe(self)


@dataclass
class Periods:
    """Consecutive periods of one network under one plan (state passed along by the test)."""

    plan: Plan
    plan_text: str
    periods: list[PeriodInputs]

    def __repr__(self) -> str:
        return "\n\n".join([self.plan_text] + [describe_inputs(inputs) for inputs in self.periods])


def describe_inputs(inputs: PeriodInputs) -> str:
    rows = [
        f"period {inputs.period} days {inputs.first_day}..{inputs.last_day}",
        "row id sponsor placement position joined status",
    ]
    for d in range(inputs.n):
        rows.append(
            f"{d} {inputs.ids[d]} {inputs.sponsor[d]} {inputs.placement[d]} "
            f"{inputs.position[d]} {inputs.joined_day[d]} {inputs.status[d]}"
        )
    rows.append("row id member customer day pv cv amount in_currency")
    for o in range(inputs.m):
        rows.append(
            f"{o} {inputs.order_ids[o]} {inputs.order_member[o]} {inputs.order_customer[o]} "
            f"{inputs.order_day[o]} {inputs.order_pv[o]} {inputs.order_cv[o]} "
            f"{inputs.order_amount[o]} {inputs.order_in_plan_currency[o]}"
        )
    return "\n".join(rows)


def describe(scenario: Scenario) -> str:
    text = [scenario.plan_text, describe_inputs(scenario.inputs)]
    state = scenario.state
    if state is not None:
        text.append(
            f"state highest={state.highest_rank.tolist()} paid_as={state.paid_as_rank.tolist()} "
            f"grace={state.grace_used.tolist()}"
        )
        for name, (left, right) in state.carry.items():
            text.append(f"carry {name} left={left.tolist()} right={right.tolist()}")
        for name, awarded in state.awarded.items():
            text.append(f"awarded {name} {awarded.tolist()}")
    return "\n".join(text)


# --- plans --------------------------------------------------------------------------------------


def _money(draw, decimals: int, choices: tuple[str, ...] = ("0", "1", "5", "10", "25", "100")):
    """A money amount the currency can hold (no more decimals than its minor unit)."""
    fine = ("0.05", "2.50", "12.34", "0.01")
    allowed = list(choices) + [text for text in fine if len(text.split(".")[1]) <= decimals]
    return draw(st.sampled_from(allowed))


def _volume(draw, choices: tuple) -> str | int:
    return draw(st.sampled_from(choices))


def _rates(draw, count_min: int, count_max: int, pool=PERCENTS) -> list[str]:
    return draw(st.lists(st.sampled_from(pool), min_size=count_min, max_size=count_max))


@st.composite
def rank_lists(draw) -> list[dict]:
    count = draw(st.integers(1, len(RANK_NAMES)))
    names = RANK_NAMES[:count]
    ranks: list[dict] = [{"name": names[0]}]
    for name in names[1:]:
        rank: dict = {"name": name}
        conditions = draw(
            st.lists(
                st.sampled_from(
                    [
                        "active",
                        "pv",
                        "gv",
                        "qualifying_volume",
                        "legs",
                        "personally_enrolled",
                        "personally_enrolled_active",
                        "customers",
                    ]
                ),
                unique=True,
                max_size=4,
            )
        )
        for condition in conditions:
            if condition == "active":
                rank["active"] = True
            elif condition == "pv":
                rank["pv"] = _volume(draw, (0, 25, 50, 100, 150, "62.5"))
            elif condition == "gv":
                rank["gv"] = _volume(draw, (50, 100, 200, 500, 1000, "333.33"))
            elif condition == "qualifying_volume":
                at_least = _volume(draw, (100, 200, 500, 1000, "1000.01"))
                qv: dict = {"at_least": at_least}
                if draw(st.booleans()):
                    qv["max_per_leg"] = _volume(draw, (0, 50, 100, 300, 600, "250.5"))
                else:
                    qv["max_leg_share"] = draw(
                        st.sampled_from(["50%", "33.33%", "60%", "100%", "0%", "40%"])
                    )
                if draw(st.booleans()):
                    qv["own_pv"] = draw(st.sampled_from(["full", "capped"]))
                rank["qualifying_volume"] = qv
            elif condition == "legs":
                rank["legs"] = {
                    "count": draw(st.integers(1, 3)),
                    "rank": draw(st.sampled_from(names)),
                }
            elif condition == "customers":
                rank["customers"] = draw(st.integers(1, 2))
            else:
                rank[condition] = draw(st.integers(1, 3))
        ranks.append(rank)
    return ranks


SHARES = ["70%", "50%", "1%", "100%", "33.33%", "60%", "12.345678%", "99.999999%"]


@st.composite
def requirements(draw) -> dict:
    """A bonus's ``requires`` block: a customer share (round, fine and extreme percentages, so
    exact ties with a 50/50 or 1/3 split occur), a customer count, or both."""
    which = draw(st.sampled_from(["share", "customers", "both"]))
    requires: dict = {}
    if which != "customers":
        requires["customer_share_at_least"] = draw(st.sampled_from(SHARES))
    if which != "share":
        requires["customers_at_least"] = draw(st.integers(1, 3))
    return requires


KINDS = (
    "personal",
    "unilevel",
    "fast_start",
    "stairstep",
    "generation",
    "matching",
    "rank_advancement",
    "pool",
)


@st.composite
def bonus_dicts(
    draw, kind: str, name: str, rank_names: list[str], earlier: list[str], decimals: int
) -> dict:
    bonus: dict = {"name": name, "kind": kind}
    if draw(st.booleans()):
        bonus["earner"] = draw(st.sampled_from(["active", "eligible"]))
    if draw(st.integers(0, 2)) == 0:
        bonus["requires"] = draw(requirements())
    volume = draw(st.sampled_from(["pv", "cv", "cv", "amount", None]))
    tree = draw(st.sampled_from(["enrollment", "placement", None]))
    if kind == "personal":
        bonus["rate"] = draw(st.sampled_from(RATES))
        if volume:
            bonus["volume"] = volume
    elif kind == "unilevel":
        if volume:
            bonus["volume"] = volume
        if tree:
            bonus["tree"] = tree
        bonus["per"] = draw(st.sampled_from(["order", "order", "distributor"]))
        bonus["levels"] = _rates(draw, 1, 5, RATES)
        bonus["compression"] = draw(st.booleans())
        if draw(st.booleans()):
            listed = draw(st.lists(st.sampled_from(rank_names), unique=True))
            bonus["depth_by_rank"] = {
                rank: draw(st.integers(0, len(bonus["levels"]))) for rank in listed
            }
    elif kind == "matrix":
        if volume:
            bonus["volume"] = volume
        bonus["levels"] = _rates(draw, 1, 5, RATES)
    elif kind == "fast_start":
        if volume:
            bonus["volume"] = volume
        if tree:
            bonus["tree"] = tree
        bonus["days"] = draw(st.sampled_from([1, 7, 30, 45, 60]))
        bonus["levels"] = _rates(draw, 1, 3, RATES)
    elif kind == "binary":
        if volume:
            bonus["volume"] = volume
        if draw(st.booleans()):
            bonus["rate"] = draw(st.sampled_from(RATES))
        else:
            bonus["cycles"] = {
                "left": _volume(draw, (1, 50, 100, 300, "12.5")),
                "right": _volume(draw, (1, 50, 100, 200, 300)),
                "pays": _money(draw, decimals, ("0", "1", "5", "30", "100")),
            }
        if draw(st.booleans()):
            bonus["cap_per_period"] = _money(draw, decimals, ("0", "5", "10", "50"))
        if draw(st.booleans()):
            bonus["carry_cap"] = _volume(draw, (0, 50, 100, 500, "99.99"))
        if draw(st.booleans()):
            bonus["flush_inactive"] = draw(st.booleans())
    elif kind == "stairstep":
        if tree:
            bonus["tree"] = tree
        steps = draw(
            st.lists(
                st.sampled_from([0, 50, 100, 200, 400, 800]), min_size=1, max_size=4, unique=True
            )
        )
        rates = draw(
            st.lists(
                st.sampled_from(["1%", "3%", "6%", "9%", "12%", "15%", "21%", "2.5%"]),
                min_size=len(steps),
                max_size=len(steps),
                unique=True,
            )
        )
        bonus["brackets"] = [
            {"pgv": pgv, "rate": rate}
            for pgv, rate in zip(
                sorted(steps), sorted(rates, key=lambda text: Decimal(text[:-1])), strict=True
            )
        ]
        bonus["breakaway_at"] = _volume(draw, (0, 100, 300, 600, 1000, 100000))
        if draw(st.booleans()):
            bonus["royalty"] = draw(st.sampled_from(["4%", "1%", "2.5%"]))
            bonus["royalty_requires"] = draw(
                st.sampled_from([b["rate"] for b in bonus["brackets"]] + ["0%", "50%"])
            )
            if draw(st.booleans()):
                bonus["reaches"] = draw(st.sampled_from(["children", "first_generation"]))
    elif kind == "generation":
        if volume:
            bonus["volume"] = volume
        if tree:
            bonus["tree"] = tree
        bonus["rank"] = draw(st.sampled_from(rank_names))
        bonus["generations"] = _rates(draw, 1, 3, RATES)
    elif kind == "matching":
        bonus["of"] = draw(st.lists(st.sampled_from(earlier), min_size=1, unique=True))
        if tree:
            bonus["tree"] = tree
        bonus["levels"] = _rates(draw, 1, 3, RATES)
    elif kind == "rank_advancement":
        listed = draw(st.lists(st.sampled_from(rank_names), min_size=1, unique=True))
        bonus["amounts"] = {rank: _money(draw, decimals) for rank in listed}
    elif kind == "pool":
        bonus["share"] = draw(st.sampled_from(["1%", "3%", "10%", "33.33%", "0.5%", "100%"]))
        if draw(st.booleans()):
            bonus["of"] = draw(st.sampled_from(["cv", "pv", "amount"]))
        listed = draw(st.lists(st.sampled_from(rank_names), min_size=1, unique=True))
        bonus["shares"] = {rank: draw(st.integers(0, 3)) for rank in listed}
        if draw(st.booleans()):
            bonus["rounding"] = draw(st.sampled_from(["floor_per_share", "largest_remainder"]))
    return bonus


@st.composite
def plan_dicts(draw, kinds: tuple[str, ...] | None = None, max_bonuses: int = 6) -> dict:
    """A valid plan in its YAML form, covering every bonus kind and option."""
    currency = draw(
        st.sampled_from(
            [
                "EUR",
                "EUR",
                "JPY",
                "KWD",
                {"points": "points", "decimals": 2},
                {"points": "stars", "decimals": 0},
            ]
        )
    )
    decimals = (
        currency["decimals"]
        if isinstance(currency, dict)
        else {"JPY": 0, "KWD": 3}.get(currency, 2)
    )
    if kinds is not None and "binary" in kinds:
        placement = "binary"
    elif kinds is not None and "matrix" in kinds:
        placement = "matrix"
    else:
        placement = draw(st.sampled_from(["unilevel", "binary", "matrix"]))
    network: dict = {"placement": placement}
    if placement == "matrix":
        network["width"] = draw(st.integers(1, 4))
    plan: dict = {"name": "drawn plan", "currency": currency, "network": network}
    volumes: dict = {}
    if draw(st.booleans()):
        volumes["include_customers"] = draw(st.booleans())
    if draw(st.booleans()):
        volumes["group_tree"] = draw(st.sampled_from(["enrollment", "placement"]))
    if volumes:
        plan["volumes"] = volumes
    activity = draw(st.sampled_from(["none", "pv", "cv", "both"]))
    if activity != "none":
        plan["activity"] = {}
        if activity in ("pv", "both"):
            plan["activity"]["pv_at_least"] = _volume(draw, (0, 25, 50, 100, "0.01"))
        if activity in ("cv", "both"):
            plan["activity"]["cv_at_least"] = _volume(draw, (0, 20, 40, 80))
    ranks = draw(rank_lists())
    plan["ranks"] = ranks
    rank_names = [rank["name"] for rank in ranks]
    if draw(st.booleans()):
        plan["rank_rules"] = {"grace_periods": draw(st.integers(0, 2))}

    available = list(kinds or KINDS)
    if kinds is None and placement == "binary":
        available += ["binary", "binary"]
    if kinds is None and placement == "matrix":
        available += ["matrix", "matrix"]
    count = draw(st.integers(1, max_bonuses))
    bonuses: list[dict] = []
    for index in range(count):
        choices = [k for k in available if k != "matching" or bonuses]
        choices = [
            k
            for k in choices
            if (k != "binary" or placement == "binary") and (k != "matrix" or placement == "matrix")
        ]
        if not choices:
            break
        kind = draw(st.sampled_from(choices))
        name = f"{kind.replace('_', '')}{index}"
        earlier = [bonus["name"] for bonus in bonuses]
        bonuses.append(draw(bonus_dicts(kind, name, rank_names, earlier, decimals)))
    if not bonuses:
        bonuses.append({"name": "personal0", "kind": "personal", "rate": "10%"})
    plan["bonuses"] = bonuses
    names = [bonus["name"] for bonus in bonuses]
    caps = draw(st.lists(st.lists(st.sampled_from(names), min_size=1, unique=True), max_size=2))
    if caps:
        plan["caps"] = [
            {"bonuses": listed, "max": _money(draw, decimals, ("0", "1", "5", "10", "20"))}
            for listed in caps
        ]
    if draw(st.booleans()):
        company: dict = {"share": draw(st.sampled_from(["1%", "5%", "10%", "30%", "45%", "100%"]))}
        if draw(st.booleans()):
            company["of"] = draw(st.sampled_from(["cv", "pv", "amount"]))
        if draw(st.booleans()):
            company["bonuses"] = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
        plan["company_cap"] = company
    return plan


def uses_amount(plan: Plan) -> bool:
    """Whether the plan reads order ``amount`` (so orders in another currency are an error)."""
    used = any(getattr(bonus, "volume", None) == "amount" for bonus in plan.bonuses)
    used |= any(
        getattr(bonus, "kind", "") == "pool" and bonus.of == "amount" for bonus in plan.bonuses
    )
    return used or (plan.company_cap is not None and plan.company_cap.of == "amount")


# --- networks -----------------------------------------------------------------------------------


def _in_subtree(parent: list[int], node: int, top: int) -> bool:
    """``node`` is ``top`` or lies below it."""
    while node >= 0:
        if node == top:
            return True
        node = parent[node]
    return False


@st.composite
def networks(
    draw,
    placement: str = "unilevel",
    width: int = 2,
    max_size: int = 40,
    first_day: int = day_number(OCTOBER[0]),
    last_day: int = day_number(OCTOBER[1]),
) -> Network:
    """One root; sponsors join before their recruits; placement inside the sponsor's placement
    subtree, at most ``width`` children per placement parent in a binary or matrix tree."""
    n = draw(st.integers(1, max_size))
    shape = draw(st.sampled_from(["random", "chain", "bushy"]))
    capacity = {"binary": 2, "matrix": width}.get(placement)
    sponsor = [-1]
    parent = [-1]
    position = [0]
    root_joined = first_day - draw(st.integers(0, 120))
    joined = [root_joined]
    for i in range(1, n):
        if shape == "random":
            s = draw(st.integers(0, i - 1))
        elif shape == "chain":
            s = i - 1 - draw(st.integers(0, min(i - 1, 2)))
        else:
            s = draw(st.integers(0, min(i - 1, 2)))
        sponsor.append(s)
        members = list(range(i))
        if capacity is None:
            inside = [v for v in members if _in_subtree(parent, v, s)]
            host = s if draw(st.booleans()) else draw(st.sampled_from(inside))
            parent.append(host)
            position.append(0)
        else:
            taken: dict[int, set[int]] = {v: set() for v in members}
            for v in range(1, i):
                taken[parent[v]].add(position[v])
            inside = [v for v in members if _in_subtree(parent, v, s) and len(taken[v]) < capacity]
            host = draw(st.sampled_from(inside))
            free = [slot for slot in range(1, capacity + 1) if slot not in taken[host]]
            parent.append(host)
            position.append(draw(st.sampled_from(free)))
        joined.append(joined[s] + draw(st.sampled_from([0, 0, 1, 5, 20, 40, 60])))
    status = [
        draw(st.sampled_from([ACTIVE, ACTIVE, ACTIVE, ACTIVE, SUSPENDED, TERMINATED]))
        for _ in range(n)
    ]
    customers = draw(st.lists(st.integers(0, n - 1), max_size=min(n, 8)))
    # rows in any order: a permutation of the join order
    order = draw(st.permutations(range(n)))
    row = {old: new for new, old in enumerate(order)}

    def moved(values: list[int], refs: bool) -> list[int]:
        result = [0] * n
        for old, value in enumerate(values):
            result[row[old]] = (row[value] if value >= 0 else -1) if refs else value
        return result

    return Network(
        sponsor=moved(sponsor, True),
        placement=moved(parent, True),
        position=moved(position, False),
        joined=moved(joined, False),
        status=moved(status, False),
        customer_sponsor=[row[c] for c in customers],
    )


VOLUMES = (0, 1, 5, 999, 2500, 4000, 5000, 7500, 10000, 12345, 20000, 50000)


@st.composite
def period_orders(
    draw,
    network: Network,
    first_day: int,
    last_day: int,
    other_currency: bool = True,
    max_orders: int = 50,
    prefix: str = "O",
    scale: int = 1,
) -> dict:
    """Orders of one period as engine columns: own and customer orders, returns, currencies.

    ``scale`` multiplies every volume and amount (large companies: exact arithmetic must hold).
    """
    # member, customer, day, pv, cv, amount, in the plan's currency
    rows: list[tuple[int, int, int, int, int, int, bool]] = []
    count = draw(st.integers(0, max_orders))
    for _ in range(count):
        customer_order = bool(network.customer_sponsor) and draw(st.integers(0, 3)) == 0
        if customer_order:
            customer = draw(st.integers(0, len(network.customer_sponsor) - 1))
            member = network.customer_sponsor[customer]
            day = draw(st.integers(first_day, last_day))
        else:
            buyers = [d for d in range(network.n) if network.joined[d] <= last_day]
            if not buyers:
                continue
            member = draw(st.sampled_from(buyers))
            customer = -1
            day = draw(st.integers(max(first_day, network.joined[member]), last_day))
        pv = draw(st.sampled_from(VOLUMES))
        cv = draw(st.sampled_from((pv, pv * 4 // 5, *VOLUMES)))
        amount = draw(st.sampled_from((pv, pv * 6 // 5 + 99, 0, 1, 12345)))
        pv, cv, amount = pv * scale, cv * scale, amount * scale
        in_currency = not (other_currency and draw(st.integers(0, 9)) == 0)
        rows.append((member, customer, day, pv, cv, amount, in_currency))
    # returns of this period's orders (all or half of it, on the same or a later day)
    returns = draw(st.lists(st.integers(0, len(rows) - 1), max_size=5, unique=True)) if rows else []
    for original in returns:
        member, customer, day, pv, cv, amount, in_currency = rows[original]
        half = draw(st.booleans())
        later = draw(st.integers(day, last_day))
        rows.append(
            (
                member,
                customer,
                later,
                -(pv // 2 if half else pv),
                -(cv // 2 if half else cv),
                -(amount // 2 if half else amount),
                in_currency,
            )
        )
    # returns of orders of an earlier period (no original here), kept small
    for _ in range(draw(st.integers(0, 2))):
        buyers = [d for d in range(network.n) if network.joined[d] <= last_day]
        if not buyers:
            break
        member = draw(st.sampled_from(buyers))
        day = draw(st.integers(max(first_day, network.joined[member]), last_day))
        value = draw(st.sampled_from((1, 2500, 5000)))
        rows.append((member, -1, day, -value, -value, -value, True))
    # a period never takes back more volume than it brings (total PV, CV, turnover ≥ 0)
    while rows and any(sum(r[k] for r in rows if k != 5 or r[6]) < 0 for k in (3, 4, 5)):
        rows.pop()
    order = draw(st.permutations(range(len(rows))))
    rows = [rows[k] for k in order]
    return {
        "order_ids": [f"{prefix}{k}" for k in range(len(rows))],
        "order_member": np.array([r[0] for r in rows], dtype=np.int64),
        "order_customer": np.array([r[1] for r in rows], dtype=np.int64),
        "order_day": np.array([r[2] for r in rows], dtype=np.int32),
        "order_pv": np.array([r[3] for r in rows], dtype=np.int64),
        "order_cv": np.array([r[4] for r in rows], dtype=np.int64),
        "order_amount": np.array([r[5] for r in rows], dtype=np.int64),
        "order_in_plan_currency": np.array([r[6] for r in rows], dtype=bool),
    }


def inputs_of(
    network: Network, orders: dict, first_day: int, last_day: int, period: str
) -> PeriodInputs:
    return PeriodInputs(
        ids=[f"D{d}" for d in range(network.n)],
        sponsor=np.array(network.sponsor, dtype=np.int64),
        placement=np.array(network.placement, dtype=np.int64),
        position=np.array(network.position, dtype=np.int16),
        joined_day=np.array(network.joined, dtype=np.int32),
        status=np.array(network.status, dtype=np.int8),
        first_day=first_day,
        last_day=last_day,
        period=period,
        **orders,
    )


@st.composite
def previous_states(draw, plan: Plan, n: int) -> EngineState | None:
    """None (a first period) or a state as a previous period could have left it."""
    if draw(st.integers(0, 3)) == 0:
        return None
    top = len(plan.ranks) - 1
    grace = plan.rank_rules.grace_periods
    paid_as = [draw(st.integers(0, top)) for _ in range(n)]
    highest = [draw(st.integers(p, top)) for p in paid_as]
    used = [draw(st.integers(0, grace)) if p > 0 else 0 for p in paid_as]
    state = EngineState(
        highest_rank=np.array(highest, dtype=np.int16),
        paid_as_rank=np.array(paid_as, dtype=np.int16),
        grace_used=np.array(used, dtype=np.int16),
    )
    for bonus in plan.bonuses:
        if bonus.kind == "binary" and draw(st.booleans()):
            carries = st.sampled_from([0, 0, 1, 2500, 10000, 60000])
            state.carry[bonus.name] = (
                np.array([draw(carries) for _ in range(n)], dtype=np.int64),
                np.array([draw(carries) for _ in range(n)], dtype=np.int64),
            )
        if bonus.kind == "rank_advancement" and draw(st.booleans()):
            state.awarded[bonus.name] = np.array(
                [draw(st.integers(-1, top)) for _ in range(n)], dtype=np.int16
            )
    return state


def _plan(draw, kinds: tuple[str, ...] | None) -> tuple[Plan, str]:
    data = draw(plan_dicts(kinds))
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return load_plan_text(text, source="drawn.yaml").plan, text


@st.composite
def scenarios(draw, kinds: tuple[str, ...] | None = None, max_size: int = 40) -> Scenario:
    """A plan, a network with one period of orders and a previous state."""
    plan, text = _plan(draw, kinds)
    first_day = day_number(OCTOBER[0])
    last_day = first_day + draw(st.sampled_from([6, PERIOD_DAYS - 1]))  # a week or a month
    network = draw(
        networks(plan.network.placement, plan.network.width or 2, max_size, first_day, last_day)
    )
    orders = draw(
        period_orders(
            network,
            first_day,
            last_day,
            other_currency=draw(st.integers(0, 4)) == 0,
            scale=draw(st.sampled_from([1, 1, 1, 1, 1, 1, 100, 10_000])),
        )
    )
    inputs = inputs_of(network, orders, first_day, last_day, "2026-10")
    state = draw(previous_states(plan, network.n))
    return Scenario(plan, text, inputs, state)


@st.composite
def period_runs(
    draw, kinds: tuple[str, ...] | None = None, periods: int = 3, max_size: int = 30
) -> Periods:
    """Several consecutive months of one network under one plan."""
    plan, text = _plan(draw, kinds)
    first = day_number(OCTOBER[0])
    network = draw(
        networks(plan.network.placement, plan.network.width or 2, max_size, first, first + 30)
    )
    months = []
    for k in range(periods):
        start, end = first + 31 * k, first + 31 * k + 30
        orders = draw(period_orders(network, start, end, other_currency=False, prefix=f"P{k}O"))
        months.append(inputs_of(network, orders, start, end, f"month-{k}"))
    return Periods(plan, text, months)
