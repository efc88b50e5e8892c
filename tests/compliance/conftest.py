"""A seeded company for the compliance tests: two closed months with final runs.

Products (EUR): SHAKE 50.00 (PV 25, CV 20), KIT starter kit 40.00 (PV 10, CV 10), FEE 20.00
(no volume). The plan (``plan.yaml``) pays 10% of each order's CV to the sponsor of the credited
distributor and 30.00 the first time someone is paid as Leader (PV ≥ 50, GV ≥ 100).

Network (enrollment = placement) and join dates::

    R (2025-01-01) ─ A (2026-06-10) ─ B (2026-08-03)
                   │                └ C (2026-08-20)
                   ├ D (2026-09-05)
                   └ E (2026-06-15)
    retail customers a1, a2 of A

August 2026: B KIT (08-03), A SHAKE (08-10, A's first order), a1 SHAKE (08-12), C KIT (08-20).
Lines: A 1.00 + 1.00 (10% of the kits' CV 10), R 2.00 + 2.00 (10% of the shakes' CV 20).

September 2026 (o1 … o10 in paid order):

=====  =====  ==================  =======  ======  ======  ===============================
order  day    who                 amount   PV      CV      line (10% of CV to the sponsor)
=====  =====  ==================  =======  ======  ======  ===============================
o1     09-02  R FEE               20.00    0       0       –
o10    09-03  A returns its August SHAKE (after the close): refund 50.00; clawback R −20.00
o2     09-05  D KIT               40.00    10      10      R 1.00
o3     09-06  D SHAKE × 4         200.00   100     80      R 8.00
o4     09-10  a1 SHAKE × 2 (→ A)  100.00   50      40      R 4.00
o5     09-12  a2 SHAKE (→ A)      50.00    25      20      R 2.00
o6     09-15  B SHAKE             50.00    25      20      A 2.00
o7     09-20  A SHAKE             50.00    25      20      R 2.00
o8     09-29  B SHAKE             50.00    25      20      A 2.00
o9     09-29  C SHAKE × 4         200.00   100     80      A 8.00
=====  =====  ==================  =======  ======  ======  ===============================

Leaders in September: A (PV 100, GV 250), C (PV 100, GV 100), D (PV 110, GV 110): 30.00 each.
Earned in September: R 17.00, A 42.00, B 0, C 30.00, D 30.00, E 0; the run pays 119.00.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from downline.compensation.models import Run
from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.compensation.runs import do_run_final
from downline.genealogy.actions import do_change_status
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product, do_place_order, do_return_order
from downline.orders.models import Order, Product, ProductKind
from downline.periods.actions import do_ensure_period

PLAN = Path(__file__).with_name("plan.yaml")


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


@dataclass
class Company:
    members: dict[str, Distributor] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)

    def __getitem__(self, member_id: str) -> Distributor:
        return self.members[member_id]

    def add(self, member_id: str, joined: date, sponsor: str | None = None) -> Distributor:
        parent = self.members[sponsor] if sponsor else None
        self.members[member_id] = Distributor.objects.create(
            member_id=member_id,
            name=f"Member {member_id}",
            sponsor=parent,
            placement_parent=parent,
            joined_on=joined,
        )
        return self.members[member_id]

    def add_customer(self, member_id: str, sponsor: str) -> Distributor:
        self.members[member_id] = Distributor.objects.create(
            member_id=member_id,
            kind=Distributor.Kind.CUSTOMER,
            sponsor=self.members[sponsor],
            joined_on=date(2026, 7, 1),
        )
        return self.members[member_id]

    def order(self, name: str, member_id: str, sku: str, quantity: int, when: datetime) -> Order:
        self.orders[name] = do_place_order(
            self[member_id], [(self.products[sku], quantity)], "EUR", paid_at=when
        )
        return self.orders[name]


def build_company(*, e_terminated_in_july: bool = False) -> Company:
    company = Company()
    for sku, kind, pv, cv, price in (
        ("SHAKE", ProductKind.PRODUCT, 2500, 2000, 5000),
        ("KIT", ProductKind.STARTER_KIT, 1000, 1000, 4000),
        ("FEE", ProductKind.FEE, 0, 0, 2000),
    ):
        company.products[sku] = do_create_product(
            sku, {"en": sku.title()}, kind, pv=pv, cv=cv, prices={"EUR": price}
        )
    company.add("R", date(2025, 1, 1))
    company.add("A", date(2026, 6, 10), "R")
    company.add("B", date(2026, 8, 3), "A")
    company.add("C", date(2026, 8, 20), "A")
    company.add("D", date(2026, 9, 5), "R")
    company.add("E", date(2026, 6, 15), "R")
    if e_terminated_in_july:
        do_change_status(company["E"], "terminated", reason="left", effective_at=at(7, 1))
    company.add_customer("a1", "A")
    company.add_customer("a2", "A")
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="compliance tests")
    do_activate_plan_version(version, do_ensure_period("2026-08"))

    company.order("aug_b_kit", "B", "KIT", 1, at(8, 3))
    company.order("aug_a_shake", "A", "SHAKE", 1, at(8, 10))
    company.order("aug_a1_shake", "a1", "SHAKE", 1, at(8, 12))
    company.order("aug_c_kit", "C", "KIT", 1, at(8, 20))
    company.runs["2026-08"] = do_run_final(do_ensure_period("2026-08"))

    company.order("o1", "R", "FEE", 1, at(9, 2))
    company.orders["o10"] = do_return_order(
        company.orders["aug_a_shake"], refunded_at=at(9, 3), reason="changed mind"
    )
    company.order("o2", "D", "KIT", 1, at(9, 5))
    company.order("o3", "D", "SHAKE", 4, at(9, 6))
    company.order("o4", "a1", "SHAKE", 2, at(9, 10))
    company.order("o5", "a2", "SHAKE", 1, at(9, 12))
    company.order("o6", "B", "SHAKE", 1, at(9, 15))
    company.order("o7", "A", "SHAKE", 1, at(9, 20))
    company.order("o8", "B", "SHAKE", 1, at(9, 29))
    company.order("o9", "C", "SHAKE", 4, at(9, 29))
    company.runs["2026-09"] = do_run_final(do_ensure_period("2026-09"))
    return company


@pytest.fixture
def company(db) -> Company:
    return build_company()


@pytest.fixture
def make_company(db):
    """``build_company`` for tests that need a variant of the seed."""
    return build_company
