"""A seeded, reproducible synthetic network with orders, shared by tests, benchmarks and the demo.

Members are numbered in join order, so every sponsor joins before their recruits. Shapes:

* ``random``: each newcomer's sponsor is uniform among everyone who joined before
  (a random recursive tree: depth grows like ``ln n``, most members have 0–2 recruits);
* ``deep``: the sponsor is one of the 2,000 members who joined just before (long legs, depth
  about ``n / 1,000``), the shape real MLM trees drift towards;
* ``wide``: sponsors are drawn with weight falling steeply with join order
  (``floor(i · u⁴)``), so early leaders have huge front lines.

Placement: in a binary or matrix tree a member's first recruit takes slot 1 under them and their
later recruits fill slots ``2..width`` of the earlier recruits breadth-first (for a binary tree
this is the left-child / right-sibling form). Every placement lies inside the sponsor's placement
subtree and no slot is used twice. In a unilevel placement tree the placement parent is the
sponsor.

Orders: about ``orders_per_distributor`` per distributor per month, a quarter of them bought by
retail customers; sizes come from a small catalogue so that some members stay below a 50 PV
activity rule; new members buy a starter kit in their first month; a share of orders are
autoships; ``return_rate`` of the orders get a full or partial return a few days later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from downline.i18n import gettext as _

from .tables import Network, Orders, PlacementShape

SHAPES = ("random", "deep", "wide")
DEEP_WINDOW = 2000
# (pv, cv, amount in cents) of the catalogue items an order is drawn from
CATALOGUE = np.array(
    [
        (25_00, 20_00, 29_90),
        (40_00, 32_00, 44_90),
        (50_00, 40_00, 59_90),
        (60_00, 48_00, 69_90),
        (75_00, 60_00, 84_90),
        (100_00, 80_00, 119_00),
        (150_00, 120_00, 169_00),
        (200_00, 160_00, 229_00),
    ],
    dtype=np.int64,
)
CATALOGUE_WEIGHTS = np.array([0.14, 0.14, 0.18, 0.12, 0.14, 0.14, 0.08, 0.06])
STARTER_KIT = (100_00, 50_00, 99_00)
KIND_PRODUCT, KIND_STARTER_KIT, KIND_AUTOSHIP = 0, 1, 2
DAY_US = 86_400 * 1_000_000
EPOCH_DAY = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class SynthOptions:
    distributors: int
    seed: int = 1
    shape: str = "random"
    placement: PlacementShape = field(default_factory=PlacementShape)
    last_month: str = "2026-10"  # the month of the last orders, YYYY-MM
    months: int = 1  # months of joining and ordering, ending with last_month
    orders_per_distributor: float = 3.0
    customers_per_distributor: float = 0.5
    customer_order_share: float = 0.25
    autoship_share: float = 0.2
    return_rate: float = 0.01
    currency: str = "EUR"
    id_prefix: str = "D"
    customer_prefix: str = "C"
    order_prefix: str = "O"

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(
                _("the shape must be one of %(shapes)s, not %(shape)r")
                % {"shapes": ", ".join(SHAPES), "shape": self.shape}
            )
        if self.distributors < 1:
            raise ValueError(_("at least one distributor is needed"))
        if self.months < 1:
            raise ValueError(_("at least one month is needed"))


def _month_start(year: int, month: int) -> np.datetime64:
    return np.datetime64(date(year, month, 1), "D")


def _months(options: SynthOptions) -> list[tuple[np.datetime64, np.datetime64]]:
    """``[first day, first day of next month)`` of each simulated month, oldest first."""
    year, month = (int(part) for part in options.last_month.split("-"))
    spans = []
    for back in range(options.months - 1, -1, -1):
        y, m = divmod((year * 12 + month - 1) - back, 12)
        ny, nm = divmod(y * 12 + m + 1, 12)
        spans.append((_month_start(y, m + 1), _month_start(ny, nm + 1)))
    return spans


def sponsors(n: int, shape: str, rng: np.random.Generator) -> np.ndarray:
    """Sponsor index of each member ``1..n-1`` (member 0 is the root, ``-1``)."""
    index = np.arange(n, dtype=np.int64)
    u = rng.random(n)
    if shape == "random":
        parent = (u * index).astype(np.int64)
    elif shape == "deep":
        parent = index - 1 - (u * np.minimum(index, DEEP_WINDOW)).astype(np.int64)
    else:
        parent = (u**4 * index).astype(np.int64)
    parent[0] = -1
    return np.minimum(parent, np.maximum(index - 1, 0))


def placements(sponsor: np.ndarray, shape: PlacementShape) -> tuple[np.ndarray, np.ndarray]:
    """Placement parent and position for members in join order (see the module docstring)."""
    n = len(sponsor)
    if shape.kind == "unilevel":
        return sponsor.copy(), np.zeros(n, dtype=np.int16)
    width = shape.width
    parent = np.full(n, -1, dtype=np.int64)
    position = np.zeros(n, dtype=np.int16)
    members = np.flatnonzero(sponsor >= 0)
    # rank of each member among their sponsor's recruits, in join order
    order = members[np.argsort(sponsor[members], kind="stable")]
    group_start = np.flatnonzero(
        np.concatenate(([True], sponsor[order][1:] != sponsor[order][:-1]))
    )
    sizes = np.diff(np.append(group_start, len(order)))
    rank = np.arange(len(order)) - np.repeat(group_start, sizes)
    first = rank == 0
    parent[order[first]] = sponsor[order[first]]
    position[order[first]] = 1
    if width > 1:
        later = ~first
        k = rank[later]
        host_rank = (k - 1) // (width - 1)
        host = order[np.repeat(group_start, sizes)[later] + host_rank]
        parent[order[later]] = host
        position[order[later]] = 2 + (k - 1) % (width - 1)
    else:
        # width 1: a chain; each later recruit goes under the previous one
        later = ~first
        parent[order[later]] = order[np.flatnonzero(later) - 1]
        position[order[later]] = 1
    return parent, position


def synthesize(options: SynthOptions) -> tuple[Network, Orders]:
    """The network and its orders for ``options`` (same options, same data)."""
    rng = np.random.default_rng(options.seed)
    n = options.distributors
    spans = _months(options)
    first_day, end_day = spans[0][0], spans[-1][1]
    span_days = int((end_day - first_day) / np.timedelta64(1, "D"))
    # join days: the root on the first day, the rest spread over the months, sorted
    joined_offsets = np.sort(rng.integers(0, span_days, n))
    joined_offsets[0] = 0
    joined_on = first_day + joined_offsets.astype("timedelta64[D]")
    sponsor = sponsors(n, options.shape, rng)
    placement, position = placements(sponsor, options.placement)
    status = np.zeros(n, dtype=np.int8)
    roll = rng.random(n)
    status[roll < 0.03] = 1
    status[roll < 0.01] = 2
    status[0] = 0

    n_customers = round(n * options.customers_per_distributor)
    customer_sponsor = rng.integers(0, n, n_customers)
    customer_joined = joined_on[customer_sponsor] + rng.integers(0, 20, n_customers).astype(
        "timedelta64[D]"
    )
    customer_joined = np.minimum(customer_joined, end_day - np.timedelta64(1, "D"))
    network = Network(
        ids=[f"{options.id_prefix}{i:07d}" for i in range(n)]
        + [f"{options.customer_prefix}{i:07d}" for i in range(n_customers)],
        sponsor=np.concatenate((sponsor, customer_sponsor)),
        placement=np.concatenate((placement, np.full(n_customers, -1, dtype=np.int64))),
        position=np.concatenate((position, np.zeros(n_customers, dtype=np.int16))),
        joined_on=np.concatenate((joined_on, customer_joined)),
        status=np.concatenate((status, np.zeros(n_customers, dtype=np.int8))),
        is_customer=np.concatenate((np.zeros(n, dtype=bool), np.ones(n_customers, dtype=bool))),
    )
    orders = _orders(options, rng, network, n, spans)
    return network, orders


def _orders(
    options: SynthOptions,
    rng: np.random.Generator,
    network: Network,
    n: int,
    spans: list[tuple[np.datetime64, np.datetime64]],
) -> Orders:
    n_customers = len(network) - n
    joined_days = (network.joined_on - EPOCH_DAY).astype(np.int64)
    chunks: list[dict[str, np.ndarray]] = []
    for start, end in spans:
        start_day = int((start - EPOCH_DAY) / np.timedelta64(1, "D"))
        end_day = int((end - EPOCH_DAY) / np.timedelta64(1, "D"))
        present = np.flatnonzero(joined_days[:n] < end_day)
        present = present[network.status[present] != 2]
        if not len(present):
            continue
        count = round(len(present) * options.orders_per_distributor)
        customer_pick = rng.random(count) < options.customer_order_share
        buyers = present[rng.integers(0, len(present), count)]
        if n_customers:
            customers_present = n + np.flatnonzero(joined_days[n:] < end_day)
            if len(customers_present):
                chosen = customers_present[rng.integers(0, len(customers_present), count)]
                buyers = np.where(customer_pick, chosen, buyers)
        item = rng.choice(len(CATALOGUE), size=count, p=CATALOGUE_WEIGHTS)
        pv, cv, amount = (CATALOGUE[item, column].copy() for column in range(3))
        kind = np.where(rng.random(count) < options.autoship_share, KIND_AUTOSHIP, KIND_PRODUCT)
        # starter kits: a distributor who joined this month buys one on the day they join
        newcomers = present[(joined_days[present] >= start_day) & (joined_days[present] < end_day)]
        first_day = np.maximum(joined_days[buyers], start_day)
        day = first_day + (rng.random(count) * (end_day - first_day)).astype(np.int64)
        buyers = np.concatenate((newcomers, buyers))
        day = np.concatenate((joined_days[newcomers], day))
        pv = np.concatenate((np.full(len(newcomers), STARTER_KIT[0]), pv))
        cv = np.concatenate((np.full(len(newcomers), STARTER_KIT[1]), cv))
        amount = np.concatenate((np.full(len(newcomers), STARTER_KIT[2]), amount))
        kind = np.concatenate((np.full(len(newcomers), KIND_STARTER_KIT), kind))
        second = rng.integers(8 * 3600, 21 * 3600, len(buyers))
        paid_us = day * DAY_US + second * 1_000_000
        chunks.append(
            {
                "member": buyers.astype(np.int64),
                "paid_us": paid_us,
                "pv": pv,
                "cv": cv,
                "amount": amount,
                "kind": kind.astype(np.int8),
                "end_us": np.full(len(buyers), end_day * DAY_US, dtype=np.int64),
            }
        )
    if not chunks:
        return Orders()
    columns = {name: np.concatenate([chunk[name] for chunk in chunks]) for name in chunks[0]}
    order = np.argsort(columns["paid_us"], kind="stable")
    columns = {name: values[order] for name, values in columns.items()}
    total = len(order)
    returns = np.full(total, -1, dtype=np.int64)
    # returns: a few days after the original, within the same month, part or all of it
    originals = np.flatnonzero(rng.random(total) < options.return_rate)
    later = columns["paid_us"][originals] + rng.integers(1, 6, len(originals)) * DAY_US
    same_month = later < columns["end_us"][originals]
    originals, later = originals[same_month], later[same_month]
    share = np.where(rng.random(len(originals)) < 0.5, 100, 50)
    member = np.concatenate((columns["member"], columns["member"][originals]))
    paid_us = np.concatenate((columns["paid_us"], later))
    pv = np.concatenate((columns["pv"], columns["pv"][originals] * share // 100))
    cv = np.concatenate((columns["cv"], columns["cv"][originals] * share // 100))
    amount = np.concatenate((columns["amount"], columns["amount"][originals] * share // 100))
    kind = np.concatenate((columns["kind"], columns["kind"][originals]))
    returns = np.concatenate((returns, originals))
    ids = [f"{options.order_prefix}{i:08d}" for i in range(len(member))]
    return Orders(
        ids=ids,
        member=member,
        paid_at=np.datetime64("1970-01-01T00:00:00", "us") + paid_us.astype("timedelta64[us]"),
        pv=pv,
        cv=cv,
        amount=amount,
        currency=np.full(len(member), options.currency, dtype="<U3"),
        kind=kind,
        returns=returns,
    )
