"""Import ``distributors.csv`` and ``orders.csv`` into the database: everything or nothing.

Order of work, all inside one transaction:

1. lock the network tables (and the order tables when orders come too) against other writers;
2. read what is stored: existing members and orders are the ``base`` the files may reference,
   and their ids may not be used again;
3. validate: ``downline.dataset.csv_io`` checks every rule of the format and the cross-file
   rules (unknown member, return larger than its order, …); :mod:`.import_checks` adds the
   rules that need the database or the clock (join dates, closed periods, cancelled orders);
4. on any problem raise :class:`ImportRefused` with every problem (file, line, column, why):
   the transaction rolls back, nothing is written;
5. write the members (``genealogy.bulk_load``) and the orders with their live volumes
   (``orders.bulk_load``).

Imported members enter the network's history (their ``ENROLLED`` event) at local midnight of
their join date in the company's time zone, or when their sponsor or placement parent entered
it, if that was later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext

from downline.core.bulk_sql import analyze, is_postgresql, phases_reported_to
from downline.dataset.csv_io import (
    EPOCH_US,
    DatasetError,
    RowError,
    epoch_us,
    local_midnights_us,
    read_network,
    read_orders,
)
from downline.dataset.tables import ORDER_KINDS, Network, Orders, PlacementShape
from downline.genealogy import reasons
from downline.genealogy.bulk_load import (
    MemberDetails,
    StoredNetwork,
    do_bulk_load_members,
    entry_instants,
    lock_network_for_bulk_load,
    read_stored_network,
)
from downline.genealogy.models import Distributor, StructureEvent
from downline.orders.bulk_load import (
    LineSpec,
    NewOrders,
    StoredOrders,
    count_stored_orders,
    do_bulk_load_orders,
    lock_orders_for_bulk_load,
    read_stored_orders,
)
from downline.orders.models import Order, OrderLine, PeriodVolume

from . import import_checks
from .amounts import hundredths_to_minor, minor_to_hundredths

ANALYZE_FROM_ROWS = 10_000
SUBSET_FROM_STORED_ORDERS = 10_000

Progress = Callable[[str], None]
LineBuilder = Callable[[Orders, np.ndarray], LineSpec]
"""Given the new orders (dataset table) and their rows, the line of each order."""


class ImportRefused(Exception):
    """The files have problems; nothing was imported. ``errors`` name file, line and column."""

    def __init__(self, errors: list[RowError], total: int, notes: list[str]) -> None:
        self.errors = errors
        self.total = total
        self.notes = notes
        super().__init__(self.summary())

    def summary(self) -> str:
        lines = [str(error) for error in self.errors]
        if self.total > len(self.errors):
            lines.append(
                gettext("… and %(count)d more problems") % {"count": self.total - len(self.errors)}
            )
        return "\n".join([*lines, *self.notes])


@dataclass
class ImportReport:
    """What an import wrote, and how long each phase took (seconds)."""

    members: int = 0
    customers: int = 0
    orders: int = 0
    returns: int = 0
    periods: list[str] = field(default_factory=list)
    phases: list[tuple[str, float]] = field(default_factory=list)


class _Clock:
    """Times the phases of an import; the steps of a phase are reported as they finish."""

    def __init__(self, report: ImportReport, progress: Progress | None) -> None:
        self.report = report
        self.progress = progress
        self.started = self.step_started = time.perf_counter()

    def step(self, name: str) -> None:
        now = time.perf_counter()
        if self.progress is not None:
            self.progress(f"  {name}: {now - self.step_started:.2f} s")
        self.step_started = now

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.report.phases.append((phase, now - self.started))
        if self.progress is not None:
            self.progress(f"{phase}: {now - self.started:.2f} s")
        self.started = self.step_started = now


def company_shape() -> PlacementShape:
    """The placement shape of the settings, in the dataset's terms."""
    kind = settings.DOWNLINE_PLACEMENT
    width = int(settings.DOWNLINE_MATRIX_WIDTH) if kind == "matrix" else 2
    return PlacementShape(kind, width)


def import_files(
    distributors: Path | None = None,
    orders: Path | None = None,
    *,
    actor: Any = None,
    details: Callable[[Network, int], MemberDetails] | None = None,
    lines: LineBuilder | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and load the files (either may be ``None``); :class:`ImportRefused` on any
    problem, with nothing written.

    ``details`` may give the new members' names, languages and so on (the demo does);
    ``lines`` may give each new order a product line instead of the ``Imported`` line that
    carries its totals.
    """
    if distributors is None and orders is None:
        raise ValueError("nothing to import: give distributors.csv, orders.csv or both")
    report = ImportReport()
    clock = _Clock(report, progress)
    with transaction.atomic(), phases_reported_to(clock.step):
        lock_network_for_bulk_load()
        if orders is not None:
            lock_orders_for_bulk_load()
        stored = read_stored_network()
        stored_orders = _stored_orders_for(orders) if orders is not None else None
        clock.lap(gettext("read the database"))
        network, new_orders, effective_at = _validate(
            stored, stored_orders, distributors, orders, clock
        )
        member_ids = stored.db_ids
        if distributors is not None:
            offset = len(stored)
            report.members = len(network) - offset
            report.customers = int(network.is_customer[offset:].sum())
            member_ids = do_bulk_load_members(
                network,
                stored,
                effective_at=effective_at,
                details=details(network, offset) if details else None,
                actor=actor,
                reason=reasons.reason(reasons.IMPORTED, file=Path(distributors).name),
            )
            clock.lap(gettext("write the members"))
        if new_orders is not None and stored_orders is not None:
            orders_table, period_ids, period_codes = new_orders
            base_count = len(stored_orders)
            batch = _new_orders(
                orders_table, base_count, stored_orders, network, member_ids, period_ids
            )
            if lines is not None:
                batch.lines = lines(orders_table, np.arange(base_count, len(orders_table)))
            do_bulk_load_orders(batch, network=network, member_db_ids=member_ids, actor=actor)
            report.orders = int((~batch.is_return).sum())
            report.returns = int(batch.is_return.sum())
            report.periods = period_codes
            clock.lap(gettext("write the orders and the live volumes"))
    clock.lap(gettext("commit"))
    if is_postgresql() and not connection.in_atomic_block:
        written = report.members + report.orders + report.returns
        if written >= ANALYZE_FROM_ROWS:
            analyze(Distributor, StructureEvent, Order, OrderLine, PeriodVolume)
            clock.lap(gettext("refresh the planner statistics"))
    return report


def _stored_orders_for(orders: Path) -> StoredOrders:
    """The stored orders the file has to be checked against: all of them, or, when the file
    mentions far fewer orders than are stored, only those it names (as ids or as originals of
    returns) with their returns; the checks come out the same."""
    stored = count_stored_orders()
    if stored >= SUBSET_FROM_STORED_ORDERS:
        numbers = import_checks.mentioned_order_numbers(orders)
        if numbers is not None and 2 * len(numbers) < stored:
            return read_stored_orders(numbers)
    return read_stored_orders()


def _validate(
    stored: StoredNetwork,
    stored_orders: StoredOrders | None,
    distributors: Path | None,
    orders: Path | None,
    clock: _Clock,
) -> tuple[Network, tuple[Orders, np.ndarray, list[str]] | None, np.ndarray]:
    """Every check; raises ``ImportRefused`` with all problems found."""
    errors: list[RowError] = []
    total = 0
    notes: list[str] = []
    tz = settings.DOWNLINE_TIME_ZONE
    network = stored.network
    effective_at = np.zeros(0, dtype="datetime64[us]")
    network_read = True
    if distributors is not None:
        try:
            network = read_network(distributors, shape=company_shape(), base=stored.network)
        except DatasetError as error:
            errors.extend(error.errors)
            total += error.total
            network_read = False
        else:
            found, count = import_checks.check_join_dates(network, len(stored), distributors)
            errors.extend(found)
            total += count
            effective_at = _entry_instants(network, stored, tz)
        clock.lap(gettext("check %(file)s") % {"file": Path(distributors).name})
    new_orders = None
    if orders is not None and stored_orders is not None:
        if not network_read:
            notes.append(
                gettext(
                    "%(orders)s was not checked: its members come from %(distributors)s, "
                    "which has the problems above."
                )
                % {"orders": Path(orders).name, "distributors": Path(distributors or "").name}
            )
        else:
            base = _base_orders(stored_orders, stored)
            try:
                table = read_orders(orders, network=network, time_zone=tz, base=base)
            except DatasetError as error:
                errors.extend(error.errors)
                total += error.total
            else:
                found, count, period_ids, codes = import_checks.check_orders(
                    table, len(base), stored_orders, orders
                )
                errors.extend(found)
                total += count
                new_orders = (table, period_ids, codes)
            clock.lap(gettext("check %(file)s") % {"file": Path(orders).name})
    if total:
        raise ImportRefused(errors[: import_checks.MAX_REPORTED], total, notes)
    return network, new_orders, effective_at


def _entry_instants(network: Network, stored: StoredNetwork, time_zone: str) -> np.ndarray:
    """When each new member enters the history: local midnight of the join date, moved later
    to when their sponsor or placement parent entered it, if that was later (``datetime64``)."""
    offset = len(stored)
    count = len(network)
    at = np.full(count, np.iinfo(np.int64).min, dtype=np.int64)
    at[offset:] = local_midnights_us(network.joined_on[offset:], ZoneInfo(time_zone))
    parents = np.concatenate((network.sponsor[offset:], network.placement[offset:]))
    stored_parents = sorted({int(row) for row in parents if 0 <= row < offset})
    entered = entry_instants([int(stored.db_ids[row]) for row in stored_parents])
    for row in stored_parents:
        instant = entered.get(int(stored.db_ids[row]))
        if instant is not None:
            at[row] = epoch_us(instant)
    new = np.arange(offset, count)
    for _round in range(count + 1):
        sponsor, placement = network.sponsor[new], network.placement[new]
        parent_at = np.maximum(
            np.where(sponsor >= 0, at[np.maximum(sponsor, 0)], at[new]),
            np.where(placement >= 0, at[np.maximum(placement, 0)], at[new]),
        )
        later = parent_at > at[new]
        if not later.any():
            break
        at[new[later]] = parent_at[later]
    return EPOCH_US + at[offset:].astype("timedelta64[us]")


def _base_orders(stored: StoredOrders, members: StoredNetwork) -> Orders:
    """The stored orders as the dataset's table (buyers as member rows, amounts in hundredths)."""
    count = len(stored)
    if not count:
        return Orders()
    member_rows = np.searchsorted(members.db_ids, stored.buyer_ids)
    order_rows = np.searchsorted(stored.db_ids, stored.returns_ids)
    kinds = {kind: number for number, kind in enumerate(ORDER_KINDS)}
    return Orders(
        ids=list(stored.numbers),
        member=member_rows.astype(np.int64),
        paid_at=stored.paid_at,
        pv=stored.pv,
        cv=stored.cv,
        amount=minor_to_hundredths(stored.amounts, stored.currencies),
        currency=np.array(stored.currencies, dtype="<U3"),
        kind=np.array([kinds.get(k, 0) for k in stored.kinds], dtype=np.int8),
        returns=np.where(stored.returns_ids >= 0, order_rows, -1).astype(np.int64),
    )


def _new_orders(
    table: Orders,
    base_count: int,
    stored: StoredOrders,
    network: Network,
    member_ids: np.ndarray,
    period_ids: np.ndarray,
) -> NewOrders:
    """The rows after ``base_count`` of ``table`` as the orders app's bulk input."""
    new = slice(base_count, len(table))
    buyer = table.member[new]
    is_customer = network.is_customer[buyer]
    credited = np.where(is_customer, network.sponsor[buyer], buyer)
    original = table.returns[new]
    from_new = np.where(original >= base_count, original - base_count, -1)
    from_stored = np.full(len(original), -1, dtype=np.int64)
    stored_rows = np.flatnonzero((original >= 0) & (original < base_count))
    from_stored[stored_rows] = stored.db_ids[original[stored_rows]]
    credited_ids = member_ids[credited]
    is_customer_order = is_customer.copy()
    if len(stored_rows):
        # a return is credited like its original, even if the customer has moved since
        credited_ids[stored_rows] = stored.credited_ids[original[stored_rows]]
        is_customer_order[stored_rows] = stored.is_customer_order[original[stored_rows]]
    currencies = table.currency[new].tolist()
    return NewOrders(
        numbers=table.ids[base_count:],
        buyer_ids=member_ids[buyer],
        credited_ids=credited_ids,
        is_customer_order=is_customer_order,
        kinds=[ORDER_KINDS[k] for k in table.kind[new].tolist()],
        currencies=currencies,
        amounts=hundredths_to_minor(table.amount[new], currencies),
        pv=table.pv[new],
        cv=table.cv[new],
        paid_at=table.paid_at[new],
        period_ids=period_ids,
        returns_new=from_new.astype(np.int64),
        returns_stored=from_stored.astype(np.int64),
    )
