"""Every pyramid-risk indicator of September 2026 on the seeded company (conftest.py), with the
answers computed by hand from the order table there and the default thresholds of
``downline.compliance.catalogue``.

Volume orders of September: o1 … o9 (o10 is a return after the close: out of the volume).
Σ CV = 0 + 10 + 80 + 40 + 20 + 20 + 20 + 20 + 80 = 290; customers' CV (o4, o5) = 60.
Turnover (o1 … o9) = 760.00 EUR. Commissions 119.00 EUR.
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from django.core.management import call_command

from downline.compliance.actions import do_set_threshold
from downline.compliance.errors import ComplianceError
from downline.compliance.selectors import indicators
from downline.periods.models import Period


def table(period: str = "2026-09", leader: str | None = None) -> dict[str, tuple]:
    rows = indicators(Period.objects.get(code=period), leader)
    return {row.setting.indicator.code: (row.measure, row.status) for row in rows}


@pytest.fixture
def september(company):
    return table()


def test_customer_share_i1(september):
    """60 / 290 = 6/29 ≈ 20.7%: below the red line of 50%."""
    measure, status = september["customer_share"]
    assert measure.value == Fraction(6, 29)
    assert status == "red"


def test_downline_customer_share_i2(september):
    """Payees R, A, C, D. Group customer share: R 60/290, A 60/200 (A 80 + B 40 + C 80),
    C 0/80, D 0/90: none above 50%, so 4 of 4 fail."""
    measure, status = september["downline_customer_share"]
    assert measure.value == 1
    assert (measure.details["numerator"], measure.details["denominator"]) == (4, 4)
    assert status == "red"


def test_customer_ratio_i3_the_70_percent_rule(september):
    """Payees with PV: A (customer PV 75 of 100: passes), C (0 of 100), D (0 of 110); R has no
    PV. 2 of 3 fail: 66.7% > 50%."""
    measure, status = september["customer_ratio"]
    assert measure.value == Fraction(2, 3)
    assert measure.details["payees_without_pv"] == 1
    assert status == "red"


def test_customer_base_i4_the_ten_customer_rule(september):
    """Paid on others' volume: R (from D's, A's and A's customers' orders) and A (from B, C).
    R: no customers and no customer PV, fails; A: 2 customers but 75 PV ≥ 50, passes. 1/2."""
    measure, status = september["customer_base"]
    assert measure.value == Fraction(1, 2)
    assert status == "amber"


def test_recruiting_share_i5(september):
    """Linked: R's 1.00 from D's kit (o2) and D's 30.00 advancement split by D's group CV
    (kit 10 of 90): round(3000 × 10/90) = 333. (100 + 333) / 11900."""
    measure, status = september["recruiting_share"]
    assert measure.value == Fraction(433, 11900)
    assert status == "green"


def test_entry_payments_i6(september):
    """R's fee 20.00 + D's kit 40.00 = 60.00 against 119.00 commissions: 0.504× > 0.5×."""
    measure, status = september["entry_payments"]
    assert measure.value == Fraction(6000, 11900)
    assert status == "amber"


def test_threshold_bunching_i7(september):
    """Own orders in the last 3 days (28–30 Sept): o8 (B 25 → 50 PV: exactly the Leader
    threshold, bunched) and o9 (C 0 → 100 PV, beyond +10%). 1/2; the rest of the month
    (o2, o3, o6, o7) has no crossing: baseline 0."""
    measure, status = september["threshold_bunching"]
    assert measure.value == Fraction(1, 2)
    assert measure.details["baseline"] == 0
    assert status == "red"


def test_overbuying_i8_uses_the_company_cap(company):
    """Own product spend: A 50, B 100, C 200, D 200. The default cap 200.00 is not exceeded;
    with a cap of 100.00, C and D are above it: 2 of 4."""
    measure, status = table()["overbuying"]
    assert measure.value == 0
    assert status == "green"
    do_set_threshold("overbuying", amber=1000, red=2500, parameter=10000)
    measure, status = table()["overbuying"]
    assert measure.value == Fraction(2, 4)
    assert status == "red"


def test_net_loss_i9(september):
    """Earned − own orders: R 17 − 20, A 42 − 50, B 0 − 100, C 30 − 200, D 30 − 240, E 0.
    5 of 6 below zero; the median (3rd of 6) is B's −100.00."""
    measure, status = september["net_loss"]
    assert measure.value == Fraction(5, 6)
    assert measure.details["median_net"] == -10000
    assert status == "red"


def test_zero_earners_i10(september):
    """B and E earned nothing: 2/6. Sorted 0, 0, 17, 30, 30, 42: median 17.00, mean
    119/6 = 19.83, p90 42.00, top 1% (one person) 42/119."""
    measure, status = september["zero_earners"]
    assert measure.value == Fraction(1, 3)
    assert measure.details["median"] == 1700
    assert measure.details["mean"] == 1983
    assert measure.details["p90"] == 4200
    assert measure.details["top_1pct_share"] == Fraction(4200, 11900)
    assert status == "green"


def test_retention_i11_on_the_threshold_is_green(september):
    """Joined in June (3 periods before): A (bought in September) and E (did not): 1/2, exactly
    the amber threshold of 50%, which counts as green."""
    measure, status = september["retention"]
    assert measure.value == Fraction(1, 2)
    assert status == "green"


def test_refund_rate_i12(september):
    """Refunded in September: A's August shake, 50.00 (a return after the close counts here);
    sold 760.00. 5/76 ≈ 6.6% (amber); refunded 24 days after payment."""
    measure, status = september["refund_rate"]
    assert measure.value == Fraction(5000, 76000)
    assert measure.details["refunds"] == 1
    assert measure.details["median_days"] == 24
    assert status == "amber"


def test_recruiting_velocity_i13(september):
    """New: 1 in September (D), 2 in August (B, C); customer CV 60 against 20 in August:
    (1/2) ÷ (60/20) = 1/6. Kit revenue 40 ÷ product revenue 700."""
    measure, status = september["recruiting_velocity"]
    assert measure.value == Fraction(1, 6)
    assert measure.details["kit_to_product"] == Fraction(4000, 70000)
    assert status == "green"


def test_payout_ratio_and_creep_i14(september):
    """Payout 119/760 ≈ 15.7% (green). August paid 6.00 (A 1.00 + 1.00, R 2.00 + 2.00) on
    180.00 turnover (3.3%): the ratio rose by 119/760 − 1/30 ≈ 12.3 points, above the red 5."""
    ratio, status = september["payout_ratio"]
    assert ratio.value == Fraction(119, 760)
    assert status == "green"
    creep, status = september["payout_creep"]
    assert creep.value == Fraction(119, 760) - Fraction(1, 30)
    assert status == "red"


def test_top_earner_source_i15(september):
    """Top 1% of 4 payees = A (42.00). From participants' purchases: 2 + 2 + 8 (B's and C's
    orders) and 21.00 of the 30.00 advancement (A's group CV 200, of which 140 not from
    customers). 33/42."""
    measure, status = september["top_earner_source"]
    assert measure.value == Fraction(3300, 4200)
    assert status == "amber"


def test_one_leaders_downline(company):
    """A's downline (A, B, C): customer share 60 of 200; B earned nothing (1/3); none of their
    140.00 (A 42.00, C 30.00) is recruiting-linked."""
    rows = table(leader="A")
    assert rows["customer_share"][0].value == Fraction(60, 200)
    assert rows["zero_earners"][0].value == Fraction(1, 3)
    assert rows["recruiting_share"][0].value == 0
    assert rows["payout_creep"][0].value is None


def test_without_a_final_run_the_volume_indicators_remain(company):
    """October has one customer order (a1, CV 20) and no final run yet: the customer share is
    measured (100%), the indicators that need earnings are unknown."""
    company.order("oct", "a1", "SHAKE", 1, datetime(2026, 10, 2, 12, tzinfo=UTC))
    rows = table("2026-10")
    assert rows["customer_share"] == (rows["customer_share"][0], "green")
    assert rows["customer_share"][0].value == 1
    assert rows["zero_earners"][0].value is None
    assert rows["zero_earners"][1] == "unknown"


def test_an_unknown_leader_is_a_clear_error(company):
    with pytest.raises(ComplianceError, match="There is no member Z"):
        table(leader="Z")


def test_the_command_prints_every_indicator_with_its_status(company, capsys):
    call_command("indicators", "--period", "2026-09")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Indicators of 2026-09"
    row = next(line for line in lines if line.startswith("I1 "))
    assert "20.7%" in row
    assert row.rstrip().endswith("RED")
    assert len([line for line in lines if line[:1] == "I"]) == 17  # heading + 16 indicators
    call_command("indicators", "--period", "2026-09", "--leader", "A")
    out = capsys.readouterr().out
    assert "Payout-ratio creep" not in out
    assert "30.0%" in next(line for line in out.splitlines() if line.startswith("I1 "))
