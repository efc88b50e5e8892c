"""Contest files: validation with lines, and the refused kinds (pyramid-risk rules)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from downline.contests.definition import (
    OWN_PURCHASE_METRICS,
    RECRUITING_METRICS,
    ContestFileError,
    load_contest_text,
)

from .conftest import CONTEST

BASE = """\
contest: c-one
title: One
window: {from: 2026-03-01, to: 2026-03-31}
tiers: [{name: Gold, top: 3, prize: A trip}]
"""


def refusal(text: str) -> str:
    with pytest.raises(ContestFileError) as caught:
        load_contest_text(text)
    return str(caught.value)


def test_a_valid_file_resolves_units():
    contest = load_contest_text(CONTEST)
    assert contest.metric == "customer_volume"
    assert contest.tiers[0]["threshold"] == 10000  # 100 PV in hundredths
    assert contest.tiers[1]["top"] == 3
    assert contest.per_order == 8000
    assert contest.title["de"] == "März-Kundenaktion"
    assert contest.tiers[0]["prize"] == {"en": "A weekend in Lisbon"}
    again = type(contest).from_json(contest.as_json())
    assert again == contest


def test_mistakes_name_file_line_and_path():
    text = (
        BASE.replace("to: 2026-03-31", "to: 2026-02-01")
        + "metric: pv\ncaps: {per_order: -5, own_purchases_share: 10%}\n"
    )
    message = refusal(text)
    assert "contest.yaml:3: window: the window ends before it starts" in message
    text = BASE + "metric: customer_volume\ncaps: {per_order: lots}\n"
    assert "contest.yaml:6: caps.per_order: 'lots' is not a volume" in refusal(text)
    text = BASE + "metric: customer_volume\nprizes: []\n"
    assert "contest.yaml:6: prizes: unknown field" in refusal(text)
    text = BASE.replace("top: 3, ", "top: 3, threshold: 5, ") + "metric: customer_volume\n"
    assert "contest.yaml:4: tiers[0]: a tier has either a threshold or top" in refusal(text)


@pytest.mark.parametrize("metric", RECRUITING_METRICS)
def test_recruiting_metrics_are_refused_with_the_rule(metric):
    message = refusal(BASE + f"metric: {metric}\n")
    assert (
        f"contest.yaml:5: metric: refused: the metric {metric} rewards recruiting alone" in message
    )
    assert "P1" in message
    assert "Vemma" in message
    assert "Koscot" in message


@pytest.mark.parametrize("metric", OWN_PURCHASE_METRICS)
def test_own_purchase_metrics_are_refused(metric):
    message = refusal(BASE + f"metric: {metric}\n")
    assert "rewards a distributor's own purchases" in message
    assert "P2" in message


def test_pv_without_an_own_purchase_cap_is_refused():
    message = refusal(BASE + "metric: pv\n")
    assert "refused: the metric pv counts the distributor's own purchases" in message
    assert "P2" in message


def test_pv_with_own_purchases_above_30_percent_is_refused():
    message = refusal(BASE + "metric: pv\ncaps: {own_purchases_share: 50%}\n")
    assert (
        "contest.yaml:6: caps.own_purchases_share: refused: own purchases may make at most 30%"
        in message
    )


def test_pv_with_a_small_own_share_is_accepted():
    contest = load_contest_text(BASE + "metric: pv\ncaps: {own_purchases_share: 20%}\n")
    assert contest.own_share == Fraction(1, 5)


def test_unknown_metric_lists_the_known_ones():
    message = refusal(BASE + "metric: happiness\n")
    assert "unknown metric 'happiness'; expected one of customer_volume, pv" in message


def test_count_metrics_take_whole_numbers():
    text = BASE.replace("top: 3", "threshold: 2.5") + "metric: training_completed\n"
    assert "write a whole number" in refusal(text)
    ok = load_contest_text(BASE.replace("top: 3", "threshold: 4") + "metric: webinar_attendance\n")
    assert ok.tiers[0]["threshold"] == 4


def test_reserved_slugs_are_refused():
    assert "reserved" in refusal(BASE.replace("c-one", "points") + "metric: customer_volume\n")
