"""Export the network and its orders as ``distributors.csv`` and ``orders.csv``.

Rows come in primary-key order, written in the canonical form of ``downline.dataset.csv_io``,
so importing an export into an empty database and exporting again gives the same bytes, and
exporting what was imported from canonical files gives those files back. Cancelled orders are
left out (their volume never counted); returns are included. On PostgreSQL both files are read
from one snapshot (``REPEATABLE READ``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import connection, transaction
from django.utils.translation import gettext

from downline.core.bulk_sql import is_postgresql
from downline.dataset.csv_io import write_network, write_orders
from downline.dataset.tables import ORDER_KINDS, Orders
from downline.genealogy.bulk_load import read_stored_network
from downline.orders.bulk_load import read_stored_orders
from downline.orders.models import Order

from .amounts import inexact_amounts, minor_to_hundredths
from .importing import company_shape

DISTRIBUTORS_FILE = "distributors.csv"
ORDERS_FILE = "orders.csv"


class ExportError(Exception):
    """The data cannot be written in the CSV format; nothing was written."""


@dataclass
class ExportReport:
    members: int
    orders: int
    distributors_path: Path
    orders_path: Path


def export_files(out: Path) -> ExportReport:
    """Write ``out/distributors.csv`` and ``out/orders.csv`` (each replaced whole, or not at
    all: written to a temporary file first)."""
    out = Path(out)
    nested = connection.in_atomic_block
    with transaction.atomic():
        if is_postgresql() and not nested:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        stored = read_stored_network()
        stored_orders = read_stored_orders()
    keep = np.array([status != Order.Status.CANCELLED for status in stored_orders.statuses])
    rows = np.flatnonzero(keep) if len(keep) else np.zeros(0, dtype=np.int64)
    currencies = [stored_orders.currencies[row] for row in rows.tolist()]
    amounts = stored_orders.amounts[rows]
    inexact = inexact_amounts(amounts, currencies)
    if len(inexact):
        raise ExportError(
            gettext(
                "Order %(order)s: its amount has more decimals than the CSV format holds (two); "
                "nothing was exported."
            )
            % {"order": stored_orders.numbers[int(rows[inexact[0]])]}
        )
    hundredths = minor_to_hundredths(amounts, currencies)
    kept_ids = stored_orders.db_ids[rows]
    kinds = {kind: number for number, kind in enumerate(ORDER_KINDS)}
    returns = stored_orders.returns_ids[rows]
    orders = Orders(
        ids=[stored_orders.numbers[row] for row in rows.tolist()],
        member=np.searchsorted(stored.db_ids, stored_orders.buyer_ids[rows]).astype(np.int64),
        paid_at=stored_orders.paid_at[rows],
        pv=stored_orders.pv[rows],
        cv=stored_orders.cv[rows],
        amount=hundredths,
        currency=np.array(currencies, dtype="<U3"),
        kind=np.array([kinds[stored_orders.kinds[row]] for row in rows.tolist()], dtype=np.int8),
        returns=np.where(returns >= 0, np.searchsorted(kept_ids, returns), -1).astype(np.int64),
    )
    out.mkdir(parents=True, exist_ok=True)
    distributors_path = out / DISTRIBUTORS_FILE
    orders_path = out / ORDERS_FILE
    shape = company_shape()
    temporary = [
        path.with_name(f".{path.name}.{os.getpid()}.tmp")
        for path in (distributors_path, orders_path)
    ]
    try:
        write_network(stored.network, temporary[0], shape=shape)
        write_orders(orders, stored.network, temporary[1])
        os.replace(temporary[0], distributors_path)
        os.replace(temporary[1], orders_path)
    finally:
        for path in temporary:
            path.unlink(missing_ok=True)
    return ExportReport(
        members=len(stored),
        orders=len(orders),
        distributors_path=distributors_path,
        orders_path=orders_path,
    )
