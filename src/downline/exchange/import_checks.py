"""The import rules that need the database or the clock, on top of the CSV format's own rules.

``downline.dataset.csv_io`` checks everything a pair of files can say about itself. An import
into a live database also refuses:

* a member who joins after today (company time zone), or before their sponsor or placement
  parent joined: the network as it stood on every past date must stay a valid network;
* an order or return paid in a closed period: closed periods never change;
* a return of an order that was cancelled.

Each problem is a ``RowError`` naming the file, line and column, like the format's own.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from downline.calendar import bounds_for_instant
from downline.core.csv_safety import unescape_formula
from downline.dataset.csv_io import (
    DISTRIBUTOR_COLUMNS,
    EPOCH_US,
    MAX_REPORTED_ERRORS,
    ORDER_COLUMNS,
    RowError,
    epoch_us,
)
from downline.dataset.tables import Network, Orders
from downline.orders.bulk_load import StoredOrders
from downline.orders.models import Order
from downline.periods.actions import do_ensure_period
from downline.periods.locks import lock_period_for_writing
from downline.periods.models import Period

MAX_REPORTED = MAX_REPORTED_ERRORS


def line_numbers(path: Path, width: int) -> list[int]:
    """The line number of each data row of a CSV file, as the dataset reader counts them
    (blank lines are skipped). Only called when there is something to report."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return [reader.line_num for record in reader if len(record) == width]


def mentioned_order_numbers(path: Path) -> set[str] | None:
    """Every order number ``orders.csv`` names, as an id or as ``returns_order_id``; ``None``
    when the header lacks those columns or the file cannot be read as UTF-8 CSV (the reader
    reports that, with the line)."""
    numbers: set[str] = set()
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip().lstrip("\ufeff") for name in next(reader, [])]
            if "id" not in header or "returns_order_id" not in header:
                return None
            own, original = header.index("id"), header.index("returns_order_id")
            for record in reader:
                if len(record) == len(header):
                    numbers.add(unescape_formula(record[own].strip()))
                    numbers.add(unescape_formula(record[original].strip()))
    except (UnicodeDecodeError, csv.Error):
        return None
    numbers.discard("")
    return numbers


class _Reporter:
    """Collects errors for rows of one file; line numbers are read once, when first needed."""

    def __init__(self, path: Path, width: int) -> None:
        self.path = Path(path)
        self.width = width
        self.errors: list[RowError] = []
        self.total = 0
        self._lines: list[int] | None = None

    def add(self, row: int, column: str, message: str) -> None:
        self.total += 1
        if len(self.errors) >= MAX_REPORTED:
            return
        if self._lines is None:
            self._lines = line_numbers(self.path, self.width)
        self.errors.append(RowError(self.path.name, self._lines[row], column, message))

    def result(self) -> tuple[list[RowError], int]:
        """The errors kept (by line) and how many there were in all."""
        return sorted(self.errors, key=lambda error: error.line), self.total


def check_join_dates(network: Network, offset: int, path: Path) -> tuple[list[RowError], int]:
    """New members (rows from ``offset``) join no later than today and no earlier than their
    sponsor and their placement parent."""
    report = _Reporter(path, len(DISTRIBUTOR_COLUMNS))
    today = np.datetime64(timezone.localdate(timezone=_zone()), "D")
    new = np.arange(offset, len(network))
    joined = network.joined_on[new]
    for row in new[joined > today].tolist():
        report.add(
            row - offset,
            "joined_on",
            gettext("%(date)s is in the future; a member can only be imported once they joined")
            % {"date": str(network.joined_on[row])},
        )
    for parents, message in (
        (
            network.sponsor,
            gettext(
                "%(member)s joined on %(date)s, before their sponsor %(parent)s (%(parent_date)s)"
            ),
        ),
        (
            network.placement,
            gettext(
                "%(member)s joined on %(date)s, before their placement parent %(parent)s "
                "(%(parent_date)s)"
            ),
        ),
    ):
        parent = parents[new]
        early = new[(parent >= 0) & (joined < network.joined_on[np.maximum(parent, 0)])]
        for row in early.tolist():
            above = int(parents[row])
            report.add(
                row - offset,
                "joined_on",
                message
                % {
                    "member": network.ids[row],
                    "date": str(network.joined_on[row]),
                    "parent": network.ids[above],
                    "parent_date": str(network.joined_on[above]),
                },
            )
    return report.result()


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.DOWNLINE_TIME_ZONE)


def period_codes(paid_at: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The company periods that hold the instants ``paid_at`` (``datetime64[us]``, UTC):
    the codes, oldest first, and the index of each instant's period among them."""
    if not len(paid_at):
        return [], np.zeros(0, dtype=np.int64)
    kind, zone = settings.DOWNLINE_PERIOD_KIND, settings.DOWNLINE_TIME_ZONE
    micros = ((paid_at - EPOCH_US) // np.timedelta64(1, "us")).astype(np.int64)
    first = datetime.fromtimestamp(int(micros.min()) // 1_000_000, tz=_zone())
    last = int(micros.max())
    bounds = [bounds_for_instant(first, kind, zone)]
    while epoch_us(bounds[-1].ends_at) <= last:
        bounds.append(bounds_for_instant(bounds[-1].ends_at, kind, zone))
    starts = np.array([epoch_us(b.starts_at) for b in bounds], dtype=np.int64)
    index = np.searchsorted(starts, micros, side="right") - 1
    used = np.unique(index)
    renumber = np.full(len(bounds), -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    return [bounds[i].code for i in used.tolist()], renumber[index]


def check_orders(
    table: Orders, base_count: int, stored: StoredOrders, path: Path
) -> tuple[list[RowError], int, np.ndarray, list[str]]:
    """Closed periods and returns of cancelled orders, for the rows after ``base_count``.

    Also resolves (creating if new, through ``periods.selectors``) the period of every new row
    and locks each against a close until the import commits. Returns the errors, the period
    id of each new row and the codes of the periods; the errors come with their total count.
    """
    report = _Reporter(path, len(ORDER_COLUMNS))
    new = np.arange(base_count, len(table))
    codes, which = period_codes(table.paid_at[new])
    periods: list[Period] = []
    for code in codes:
        period = lock_period_for_writing(do_ensure_period(code).pk)
        periods.append(period)
    period_ids = np.array([p.pk for p in periods], dtype=np.int64)[which] if codes else which
    closed = {number for number, period in enumerate(periods) if not period.is_open}
    if closed:
        rows = np.flatnonzero(np.isin(which, list(closed)))
        for row in rows[:MAX_REPORTED].tolist():
            report.add(
                row,
                "paid_at",
                gettext("period %(period)s is closed; nothing paid in it can be imported")
                % {"period": periods[int(which[row])].code},
            )
        report.total += max(0, len(rows) - MAX_REPORTED)
    _check_cancelled_originals(table, base_count, stored, report)
    _check_closed_originals(table, base_count, stored, report)
    errors, total = report.result()
    return errors, total, period_ids, codes


def _check_cancelled_originals(
    table: Orders, base_count: int, stored: StoredOrders, report: _Reporter
) -> None:
    if not base_count:
        return
    originals = table.returns[base_count:]
    stored_rows = np.flatnonzero((originals >= 0) & (originals < base_count))
    for row in stored_rows.tolist():
        original = int(originals[row])
        if stored.statuses[original] == Order.Status.CANCELLED:
            report.add(
                row,
                "returns_order_id",
                gettext("order %(order)s was cancelled; a cancelled order cannot be returned")
                % {"order": stored.numbers[original]},
            )


def _check_closed_originals(
    table: Orders, base_count: int, stored: StoredOrders, report: _Reporter
) -> None:
    """A return of a stored order whose period is closed claws back commissions, which an
    import does not do: such returns are entered one by one (``orders.actions``)."""
    if not base_count:
        return
    originals = table.returns[base_count:]
    stored_rows = np.flatnonzero((originals >= 0) & (originals < base_count))
    if not len(stored_rows):
        return
    period_ids = {int(stored.period_ids[int(originals[row])]) for row in stored_rows.tolist()}
    closed = set(
        Period.objects.filter(pk__in=period_ids, status=Period.Status.CLOSED).values_list(
            "pk", flat=True
        )
    )
    for row in stored_rows.tolist():
        original = int(originals[row])
        if int(stored.period_ids[original]) in closed:
            report.add(
                row,
                "returns_order_id",
                gettext(
                    "order %(order)s belongs to a closed period; its return claws back "
                    "commissions and must be entered on its own, not imported"
                )
                % {"order": stored.numbers[original]},
            )
