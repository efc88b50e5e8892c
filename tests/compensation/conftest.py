"""Fixtures of the commission-run tests: a small network, a product, the test plan active from
2026-09, and helpers to place orders in past periods (company time zone Europe/Berlin, monthly).

The network (enrollment = placement)::

    R ─ A ─ B
        └ C
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from downline.compensation.models import PlanVersion
from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product, do_place_order
from downline.orders.models import Order, Product, ProductKind
from downline.periods.actions import do_ensure_period
from downline.periods.models import Period

PLAN = Path(__file__).with_name("plan.yaml")


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.members: dict[str, Distributor] = {}
        self.shake = do_create_product(
            "SHAKE-1",
            {"en": "Protein shake"},
            ProductKind.PRODUCT,
            pv=1250,
            cv=1000,
            prices={"EUR": 4990},
        )

    def add(self, member_id: str, sponsor: str | None = None, position: int = 1) -> Distributor:
        parent = self.members[sponsor] if sponsor else None
        member = Distributor.objects.create(
            member_id=member_id,
            name=f"Member {member_id}",
            sponsor=parent,
            placement_parent=parent,
            placement_position=position if parent else None,
            joined_on=date(2026, 1, 1),
        )
        self.members[member_id] = member
        return member

    def __getitem__(self, member_id: str) -> Distributor:
        return self.members[member_id]

    def order(
        self, member_id: str, quantity: int, when: datetime, product: Product | None = None
    ) -> Order:
        return do_place_order(
            self[member_id], [(product or self.shake, quantity)], "EUR", paid_at=when
        )

    def period(self, code: str) -> Period:
        return do_ensure_period(code)


def build_world() -> World:
    world = World()
    world.add("R")
    world.add("A", "R", 1)
    world.add("B", "A", 1)
    world.add("C", "A", 2)
    return world


def activate_plan(code: str = "2026-09") -> PlanVersion:
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="tests")
    do_activate_plan_version(version, do_ensure_period(code))
    return version


@pytest.fixture
def world(db) -> World:
    world = build_world()
    activate_plan()
    return world
