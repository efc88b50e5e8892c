"""Fixtures for the orders tests: a small network written straight into ``Distributor`` rows
(valid trees: one root, every distributor placed inside its sponsor's placement subtree,
customers with a sponsor and no placement) and a catalogue made with the product actions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product
from downline.orders.models import Product, ProductKind


class Network:
    """Writes members directly; ``add`` returns the new row and remembers it by member id."""

    def __init__(self) -> None:
        self.members: dict[str, Distributor] = {}

    def add(
        self,
        member_id: str,
        *,
        sponsor: str | None = None,
        placed_under: str | None = None,
        position: int | None = None,
        kind: str = Distributor.Kind.DISTRIBUTOR,
        status: str = Distributor.Status.ACTIVE,
    ) -> Distributor:
        if kind == Distributor.Kind.DISTRIBUTOR and sponsor is not None and placed_under is None:
            placed_under = sponsor
        member = Distributor.objects.create(
            member_id=member_id,
            name=f"Member {member_id}",
            kind=kind,
            status=status,
            sponsor=self.members[sponsor] if sponsor else None,
            placement_parent=self.members[placed_under] if placed_under else None,
            placement_position=position,
            joined_on=date(2024, 1, 1),
        )
        self.members[member_id] = member
        return member

    def __getitem__(self, member_id: str) -> Distributor:
        return self.members[member_id]


@pytest.fixture
def network(db) -> Network:
    return Network()


@pytest.fixture
def tree(network: Network) -> Network:
    """Enrollment and placement trees that differ (spillover):

    enrollment: R ─ A ─ C ─ D ─ (customer K)         placement: R ─1─ A ─1─ B ─1─ C ─1─ D
                  └ B                                              (R has nobody on the right)

    B is sponsored by R but placed under A; C is sponsored by A but placed under B.
    """
    network.add("R")
    network.add("A", sponsor="R", placed_under="R", position=1)
    network.add("B", sponsor="R", placed_under="A", position=1)
    network.add("C", sponsor="A", placed_under="B", position=1)
    network.add("D", sponsor="C", placed_under="C", position=1)
    network.add("K", sponsor="D", kind=Distributor.Kind.CUSTOMER)
    return network


@pytest.fixture
def shake(db) -> Product:
    """12.50 PV, 10.00 CV, EUR 49.90, PLN 199.00."""
    return do_create_product(
        "SHAKE-1",
        {"en": "Protein shake", "ru": "Протеиновый коктейль", "pl": "Koktajl", "de": "Shake"},
        ProductKind.PRODUCT,
        pv=1250,
        cv=1000,
        prices={"EUR": 4990, "PLN": 19900},
    )


@pytest.fixture
def kit(db) -> Product:
    return do_create_product(
        "KIT-1",
        {"en": "Starter kit"},
        ProductKind.STARTER_KIT,
        pv=5000,
        cv=2500,
        prices={"EUR": 9900},
    )


@pytest.fixture
def fee(db) -> Product:
    return do_create_product(
        "FEE-1", {"en": "Annual fee"}, ProductKind.FEE, pv=0, cv=0, prices={"EUR": 2500}
    )


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
