"""Fixtures for the import/export tests: files on disk, the CLI, and table snapshots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from downline.cli import main as cli_main
from downline.genealogy.models import Distributor, StructureEvent
from downline.orders.models import Order, OrderLine, PeriodVolume, Product
from downline.periods.models import Period

MEMBERS_HEADER = "id,sponsor_id,placement_id,placement_position,joined_on,status,kind\n"
ORDERS_HEADER = "id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id\n"

# R ─ A ─ C          placement (binary): R ─L─ A ─L─ C
#   └ B  (K customer of A)                 └R─ B
NETWORK = (
    MEMBERS_HEADER
    + "R,,,,2026-01-05,active,distributor\n"
    + "A,R,,L,2026-01-06,active,distributor\n"
    + "B,R,,R,2026-01-07,active,distributor\n"
    + "C,A,,L,2026-02-01,active,distributor\n"
    + "K,A,,,2026-02-03,active,customer\n"
)
ORDERS = (
    ORDERS_HEADER
    + "O1,A,2026-02-10T10:00:00Z,50.00,40.00,59.90,EUR,product,\n"
    + "O2,K,2026-02-11T10:00:00Z,25.00,20.00,29.90,EUR,product,\n"
    + "O3,C,2026-03-02T10:00:00Z,100.00,50.00,99.00,EUR,starter_kit,\n"
    + "O4,A,2026-03-05T10:00:00Z,10.00,8.00,12.00,EUR,product,O1\n"
)

TABLES = (Distributor, StructureEvent, Order, OrderLine, PeriodVolume, Period, Product)


@pytest.fixture(autouse=True)
def company_rules(settings):
    """A binary tree, monthly periods in Berlin time, unless a test asks otherwise."""
    settings.DOWNLINE_PLACEMENT = "binary"
    settings.DOWNLINE_MATRIX_WIDTH = 3
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"
    settings.DOWNLINE_PERIOD_KIND = "monthly"
    settings.DOWNLINE_CURRENCY = "EUR"


@pytest.fixture
def files(tmp_path: Path) -> Callable[..., Path]:
    """``files(name, text)`` writes a file into a temporary folder and returns its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table an import writes, for 'nothing changed' assertions."""
    return {model.__name__: list(model.objects.order_by("pk").values_list()) for model in TABLES}


def run_cli(*args: str) -> int:
    """``downline <args>`` in-process; returns the exit code."""
    return cli_main([str(arg) for arg in args])
