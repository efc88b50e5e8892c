"""The company sets thresholds and the disclaimer; inconsistent settings are refused whole."""

from __future__ import annotations

import pytest

from downline.compliance.actions import do_set_disclaimer, do_set_threshold
from downline.compliance.errors import ComplianceError
from downline.compliance.models import IndicatorThreshold
from downline.compliance.selectors import indicators, settings_in_force
from downline.periods.models import Period


def test_defaults_apply_until_the_company_sets_its_own(db):
    assert settings_in_force()["customer_share"].amber == 8000
    do_set_threshold("customer_share", amber=3000, red=1000)
    setting = settings_in_force()["customer_share"]
    assert (setting.amber, setting.red) == (3000, 1000)


def test_new_thresholds_change_the_status(company):
    """I1 is 6/29 ≈ 20.7%: red by default (below 50%), green from 20% down."""
    period = Period.objects.get(code="2026-09")
    status = {r.setting.indicator.code: r.status for r in indicators(period)}
    assert status["customer_share"] == "red"
    do_set_threshold("customer_share", amber=2000, red=1000)
    status = {r.setting.indicator.code: r.status for r in indicators(period)}
    assert status["customer_share"] == "green"


@pytest.mark.parametrize(
    ("code", "values", "message"),
    [
        ("customer_share", {"amber": 5000, "red": 8000}, "more is better"),
        ("refund_rate", {"amber": 1000, "red": 500}, "less is better"),
        ("refund_rate", {"amber": 500, "red": 1000, "parameter": 3}, "no such parameter"),
        ("overbuying", {"amber": 100, "red": 200, "parameter": -1}, "cannot be negative"),
        ("nonsense", {"amber": 1, "red": 2}, "no indicator nonsense"),
    ],
)
def test_inconsistent_thresholds_are_refused(db, code, values, message):
    with pytest.raises(ComplianceError, match=message):
        do_set_threshold(code, **values)
    assert not IndicatorThreshold.objects.exists()


def test_a_disclaimer_needs_text_and_a_known_language(db):
    with pytest.raises(ComplianceError, match="needs text"):
        do_set_disclaimer("de", "  ")
    with pytest.raises(ComplianceError, match="not offered"):
        do_set_disclaimer("fr", "Texte")
    assert do_set_disclaimer("de", "Keine Garantie.").text == "Keine Garantie."
