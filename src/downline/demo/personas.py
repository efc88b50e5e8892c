"""The four demo logins as people: Emma, Olga, Kasia and Jonas.

Each persona is one of the company's leading distributors (the largest enrollment
downlines below the founder, among those who joined in the first demo month), renamed to the
login's first name, with retail customers of their own, an order of their own every month and
their customers' monthly orders. The founder (the root) orders every month too, so the top of
the company earns like a working leader does.

A persona's first month holds only a smaller order (``FIRST_MONTH_SKU``, 60 PV: Bronze at most,
since Silver needs 100 PV; the synthetic orders of that month credited to them, their own and
their customers', are left out), later months a
100 PV set (``MONTHLY_SKU``) besides their synthetic orders, so each persona advances in rank
in the second month, as a leader whose team already qualifies does.

Everything here works on the synthetic tables (``downline.dataset.tables``) before they are
imported, so the personas enter the database through the import path like everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from downline.dataset.tables import ACTIVE, ORDER_KINDS, Network, Orders

from .catalogue import PRODUCTS

FIRST_MONTH_SKU = "SKIN-CREAM-50"
MONTHLY_SKU = "SKIN-SERUM-SET"
CUSTOMER_SKUS = ("SUP-OMEGA3-90", "SUP-MULTI-90", "SKIN-CREAM-50", "SUP-PROTEIN-VAN")
CUSTOMERS_PER_PERSONA = 3
DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
_PRODUCT = ORDER_KINDS.index("product")


@dataclass(frozen=True)
class Persona:
    username: str
    language: str
    first_name: str


PERSONAS = (
    Persona("emma", "en", "Emma"),
    Persona("olga", "ru", "Olga"),
    Persona("kasia", "pl", "Kasia"),
    Persona("jonas", "de", "Jonas"),
)


def enrollment_downline_sizes(network: Network) -> np.ndarray:
    """Members below each row in the enrollment tree (customers included), by depth:
    size[sponsor] += size[row] + 1, deepest rows first."""
    n = len(network)
    depth = np.zeros(n, dtype=np.int64)
    sponsor = network.sponsor
    has_sponsor = sponsor >= 0
    ancestor = sponsor.copy()
    while (ancestor >= 0).any():
        depth += ancestor >= 0
        ancestor = np.where(ancestor >= 0, sponsor[np.maximum(ancestor, 0)], -1)
    size = np.zeros(n, dtype=np.int64)
    for level in range(int(depth.max(initial=0)), 0, -1):
        rows = np.flatnonzero((depth == level) & has_sponsor)
        np.add.at(size, sponsor[rows], size[rows] + 1)
    return size


def choose_personas(network: Network, first_month_end: np.datetime64) -> list[int]:
    """Rows of the persona members: active distributors below the root who joined before
    ``first_month_end``, largest enrollment downline first (ties by row)."""
    size = enrollment_downline_sizes(network)
    eligible = np.flatnonzero(
        ~network.is_customer
        & (network.sponsor >= 0)
        & (network.status == ACTIVE)
        & (network.joined_on < first_month_end)
    )
    ranked = eligible[np.lexsort((eligible, -size[eligible]))]
    if len(ranked) < len(PERSONAS):
        raise ValueError("the demo network is too small for its four personas")
    return ranked[: len(PERSONAS)].tolist()


def add_persona_business(
    network: Network,
    orders: Orders,
    personas: list[int],
    months: list[tuple[np.datetime64, np.datetime64]],
    rng: np.random.Generator,
) -> tuple[Network, Orders]:
    """The tables with the personas' customers and the monthly orders of the personas, their
    customers and the root added; orders sorted by payment time.

    ``months`` are the demo months as (first day, day after the last), UTC days.
    """
    first_day = months[0][0]
    customer_ids = _free_ids(network.ids, "C", CUSTOMERS_PER_PERSONA * len(personas))
    sponsors = np.repeat(np.array(personas, dtype=np.int64), CUSTOMERS_PER_PERSONA)
    joined = np.maximum(network.joined_on[sponsors], first_day) + rng.integers(
        1, 40, len(sponsors)
    ).astype("timedelta64[D]")
    n = len(network)
    grown = Network(
        ids=[*network.ids, *customer_ids],
        sponsor=np.concatenate((network.sponsor, sponsors)),
        placement=np.concatenate((network.placement, np.full(len(sponsors), -1, np.int64))),
        position=np.concatenate((network.position, np.zeros(len(sponsors), np.int16))),
        joined_on=np.concatenate((network.joined_on, joined.astype("datetime64[D]"))),
        status=np.concatenate((network.status, np.full(len(sponsors), ACTIVE, np.int8))),
        is_customer=np.concatenate((network.is_customer, np.ones(len(sponsors), bool))),
    )
    by_sku = {product.sku: product for product in PRODUCTS}
    buyers: list[int] = []
    skus: list[str] = []
    paid_us: list[int] = []
    root = int(np.flatnonzero(network.sponsor < 0)[0])
    for month, (start, _end) in enumerate(months):
        start_us = _day_us(start)
        for number, row in enumerate(personas):
            buyers.append(row)
            skus.append(FIRST_MONTH_SKU if month == 0 else MONTHLY_SKU)
            paid_us.append(start_us + (2 + number) * DAY_US + 9 * HOUR_US)
        buyers.append(root)
        skus.append(MONTHLY_SKU)
        paid_us.append(start_us + 1 * DAY_US + 10 * HOUR_US)
        for offset in range(len(sponsors) if month else 0):
            row = n + offset
            day = max(_day_us(grown.joined_on[row]), start_us) + int(rng.integers(1, 20)) * DAY_US
            buyers.append(row)
            skus.append(CUSTOMER_SKUS[int(rng.integers(len(CUSTOMER_SKUS)))])
            paid_us.append(day + int(rng.integers(9, 19)) * HOUR_US)
    if (orders.returns >= 0).any():
        raise ValueError("persona orders are added to a synthetic table without returns")
    credited = np.where(network.is_customer, network.sponsor, np.arange(n))
    first_month_end = np.datetime64(0, "us") + np.timedelta64(_day_us(months[0][1]), "us")
    orders = _rows(
        orders,
        np.flatnonzero(
            ~(np.isin(credited[orders.member], personas) & (orders.paid_at < first_month_end))
        ),
    )
    added = len(buyers)
    items = [by_sku[sku] for sku in skus]
    paid = np.array(paid_us, dtype=np.int64)
    member = np.concatenate((orders.member, np.array(buyers, dtype=np.int64)))
    paid_at = np.concatenate(
        (orders.paid_at, np.datetime64(0, "us") + paid.astype("timedelta64[us]"))
    )
    order = np.argsort(paid_at, kind="stable")
    return grown, Orders(
        ids=_free_ids(orders.ids, "X", len(orders) + added),
        member=member[order],
        paid_at=paid_at[order],
        pv=np.concatenate((orders.pv, [item.pv for item in items]))[order],
        cv=np.concatenate((orders.cv, [item.cv for item in items]))[order],
        amount=np.concatenate((orders.amount, [item.eur for item in items]))[order],
        currency=np.concatenate((orders.currency, np.full(added, "EUR", dtype="<U3")))[order],
        kind=np.concatenate((orders.kind, np.full(added, _PRODUCT, np.int8)))[order],
        returns=np.full(len(order), -1, dtype=np.int64),
    )


def _rows(orders: Orders, rows: np.ndarray) -> Orders:
    """The orders at ``rows`` (a table without returns)."""
    return Orders(
        ids=[orders.ids[row] for row in rows.tolist()],
        member=orders.member[rows],
        paid_at=orders.paid_at[rows],
        pv=orders.pv[rows],
        cv=orders.cv[rows],
        amount=orders.amount[rows],
        currency=orders.currency[rows],
        kind=orders.kind[rows],
        returns=orders.returns[rows],
    )


def _day_us(day: np.datetime64) -> int:
    """Microseconds from the epoch to the start of UTC ``day``."""
    return (
        int((day.astype("datetime64[D]") - np.datetime64(0, "D")) / np.timedelta64(1, "D")) * DAY_US
    )


def _free_ids(taken: list[str], prefix: str, count: int) -> list[str]:
    """``count`` ids ``<prefix>0000001``… that are not in ``taken``."""
    used = set(taken)
    found: list[str] = []
    number = 1
    while len(found) < count:
        candidate = f"{prefix}{number:07d}"
        if candidate not in used:
            found.append(candidate)
        number += 1
    return found
