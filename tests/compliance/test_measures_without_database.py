"""The indicator formulas and statuses on hand-built arrays, without a database."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from downline.compliance.catalogue import INDICATORS
from downline.compliance.measures import (
    PRODUCT,
    STARTER_KIT,
    LineFacts,
    OrderFacts,
    Parameters,
    PeriodFacts,
    measure_all,
)
from downline.compliance.statuses import status_of

DEFAULTS = Parameters({i.code: (i.parameter, i.parameter_2) for i in INDICATORS})


def orders(rows: list[tuple]) -> OrderFacts:
    """rows: (member, customer, kind, day, pv, cv, amount); all own paid orders."""
    m = len(rows)
    column = list(zip(*rows, strict=True)) if rows else [[]] * 7
    return OrderFacts(
        member=np.array(column[0], dtype=np.int64),
        buyer=np.arange(100, 100 + m, dtype=np.int64),
        customer=np.array(column[1], dtype=bool),
        kind=np.array(column[2], dtype=np.int8),
        is_return=np.zeros(m, dtype=bool),
        after_close=np.zeros(m, dtype=bool),
        linked=np.array([k == STARTER_KIT for k in column[2]], dtype=bool),
        in_currency=np.ones(m, dtype=bool),
        day=np.array(column[3], dtype=np.int64),
        pv=np.array(column[4], dtype=np.int64),
        cv=np.array(column[5], dtype=np.int64),
        amount=np.array(column[6], dtype=np.int64),
        refund_days=np.full(m, -1, dtype=np.int64),
    )


def facts() -> PeriodFacts:
    """Root 0 with children 1 and 2; days 0..29 (the window is days 27, 28, 29).

    Distributor 1: 30 PV on day 3, then 22 PV on day 28 (30 → 52: over the 50 threshold by
    4%, bunched). Distributor 2: a kit of 10 PV on day 28 (no crossing) and a customer's
    40 PV. Lines: 0 gets 5.00 (linked 1.00) and 2 gets 3.00.
    """
    return PeriodFacts(
        sponsor=np.array([-1, 0, 0], dtype=np.int64),
        joined_day=np.array([-400, -40, 5], dtype=np.int64),
        first_day=0,
        last_day=29,
        orders=orders(
            [
                (1, False, PRODUCT, 3, 3000, 2000, 6000),
                (1, False, PRODUCT, 28, 2200, 2000, 4400),
                (2, False, STARTER_KIT, 28, 1000, 1000, 4000),
                (2, True, PRODUCT, 10, 4000, 3000, 8000),
            ]
        ),
        earned=np.array([500, 0, 300], dtype=np.int64),
        lines=LineFacts(
            recipient=np.array([0, 2], dtype=np.int64),
            amount=np.array([500, 300], dtype=np.int64),
            linked=np.array([100, 0], dtype=np.int64),
            internal=np.array([500, 0], dtype=np.int64),
            downline=np.array([True, False]),
        ),
        pv_thresholds=(5000,),
    )


def test_formulas_on_plain_arrays():
    result = measure_all(facts(), DEFAULTS)
    assert result["customer_share"].value == Fraction(3000, 8000)
    assert result["threshold_bunching"].value == Fraction(1, 2)  # 1 of the 2 window orders
    assert result["threshold_bunching"].details["baseline"] == 0
    assert result["recruiting_share"].value == Fraction(100, 800)
    assert result["zero_earners"].value == Fraction(1, 3)
    assert result["entry_payments"].value == Fraction(4000, 800)
    # payees 0 and 2: 0's group customer share 3/8 fails, 2's 3/4 passes
    assert result["downline_customer_share"].value == Fraction(1, 2)
    assert result["retention"].value is None
    assert result["retention"].note == "no_cohort"


def test_a_scope_limits_every_measure_to_its_rows():
    scope = np.array([False, False, True])
    result = measure_all(facts(), DEFAULTS, scope)
    assert result["customer_share"].value == Fraction(3000, 4000)
    assert result["zero_earners"].value == 0
    assert result["payout_creep"].note == "company_only"


def test_without_a_final_run_earnings_measures_are_undefined():
    plain = facts()
    plain.earned = plain.lines = None
    result = measure_all(plain, DEFAULTS)
    assert result["zero_earners"].value is None
    assert result["zero_earners"].note == "no_final"
    assert result["customer_share"].value == Fraction(3, 8)


@pytest.mark.parametrize(
    ("value", "higher_is_better", "expected"),
    [
        (Fraction(81, 100), True, "green"),
        (Fraction(80, 100), True, "green"),  # on the amber line: the better side
        (Fraction(79, 100), True, "amber"),
        (Fraction(50, 100), True, "amber"),
        (Fraction(49, 100), True, "red"),
        (Fraction(1, 10), False, "green"),
        (Fraction(11, 100), False, "amber"),
        (Fraction(25, 100), False, "amber"),
        (Fraction(26, 100), False, "red"),
        (None, False, "unknown"),
    ],
)
def test_thresholds_to_statuses(value, higher_is_better, expected):
    amber, red = (8000, 5000) if higher_is_better else (1000, 2500)
    assert status_of(value, amber, red, higher_is_better) == expected
