"""The indicators the platform watches: number, title, which way is better, default thresholds
and parameters (docs/compliance-indicators.md gives each formula and the source of each default).

Thresholds are basis points of the value (``8000`` = 80%); parameters are in the unit each
indicator names. The company changes them in the admin (``IndicatorThreshold``); a missing row
means the default here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Indicator:
    code: str
    number: str  # I1 … I15 as in reference/compliance.md (its I14 is two rows: I14a, I14b)
    title: Promise
    higher_is_better: bool
    amber: int
    red: int
    parameter: int | None = None
    parameter_2: int | None = None
    parameter_help: Promise | str = ""
    kind: str = "share"  # share | ratio | difference: how the value is shown
    downline: bool = True  # meaningful for one leader's downline


INDICATORS: tuple[Indicator, ...] = (
    Indicator("customer_share", "I1", _("Customer share of volume"), True, 8000, 5000),
    Indicator(
        "downline_customer_share",
        "I2",
        _("Payees whose group sells mostly to participants"),
        False,
        2500,
        5000,
        parameter=5000,
        parameter_help=_("required customer share of a payee's group CV, basis points"),
    ),
    Indicator(
        "customer_ratio",
        "I3",
        # xgettext:no-python-format
        _("Payees below the customer ratio (70% rule)"),
        False,
        2500,
        5000,
        parameter=7000,
        parameter_help=_("required customer share of personal PV, basis points"),
    ),
    Indicator(
        "customer_base",
        "I4",
        _("Downline earners without a customer base"),
        False,
        2500,
        5000,
        parameter=10,
        parameter_2=5000,
        parameter_help=_("distinct customers; customer PV in hundredths"),
    ),
    Indicator(
        "recruiting_share", "I5", _("Recruiting-linked share of commissions"), False, 1000, 2500
    ),
    Indicator(
        "entry_payments",
        "I6",
        _("Kits, fees and autoship against commissions"),
        False,
        5000,
        10000,
        kind="ratio",
    ),
    Indicator(
        "threshold_bunching",
        "I7",
        _("Orders bunched just over a threshold before the cut-off"),
        False,
        1000,
        2000,
        parameter=3,
        parameter_2=1000,
        parameter_help=_("days before the cut-off; margin over the threshold, basis points"),
    ),
    Indicator(
        "overbuying",
        "I8",
        _("Buyers above plausible consumption"),
        False,
        1000,
        2500,
        parameter=20000,
        parameter_help=_("own purchases per period, minor units of the plan currency"),
    ),
    Indicator("net_loss", "I9", _("Distributors who lose money"), False, 5000, 7500),
    Indicator("zero_earners", "I10", _("Distributors who earned nothing"), False, 5000, 7500),
    Indicator(
        "retention",
        "I11",
        _("Retention of joiners"),
        True,
        5000,
        2500,
        parameter=3,
        parameter_help=_("periods since joining"),
    ),
    Indicator("refund_rate", "I12", _("Refund rate"), False, 500, 1000),
    Indicator(
        "recruiting_velocity",
        "I13",
        _("Recruiting growth against customer-sales growth"),
        False,
        15000,
        20000,
        kind="ratio",
    ),
    # I14 of the reference is the payout ratio and its creep: two rows, so two numbers
    Indicator("payout_ratio", "I14a", _("Payout ratio"), False, 4500, 6000),
    Indicator(
        "payout_creep",
        "I14b",
        _("Payout-ratio creep"),
        False,
        200,
        500,
        parameter=11,
        parameter_help=_("earlier periods averaged"),
        kind="difference",
        downline=False,
    ),
    Indicator(
        "top_earner_source",
        "I15",
        _("Top earners' income from participants' purchases"),
        False,
        5000,
        8000,
    ),
)

BY_CODE: dict[str, Indicator] = {indicator.code: indicator for indicator in INDICATORS}

NOTES: dict[str, Promise] = {
    "no_final": _("no final run of the period yet"),
    "no_volume": _("no volume"),
    "no_payees": _("nobody was paid"),
    "no_commissions": _("no commissions"),
    "no_orders": _("no orders"),
    "no_buyers": _("no own purchases"),
    "no_distributors": _("no distributors"),
    "no_cohort": _("nobody joined in that period"),
    "no_sales": _("no sales"),
    "no_previous": _("no previous period"),
    "no_growth_base": _("no growth base (nobody joined or no customer sales)"),
    "company_only": _("company-wide only"),
    "no_history": _("no earlier final runs"),
    "empty": _("nothing to measure"),
}
