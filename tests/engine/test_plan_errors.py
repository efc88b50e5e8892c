"""The plan loader names the file, line and path of every mistake, and says why."""

from __future__ import annotations

import pytest

from downline.engine.plan import PlanError, load_plan_text


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, source="plan.yaml")
    return str(caught.value).splitlines()


def test_a_rate_above_100_percent_is_reported_with_its_line_and_path():
    text = """name: x
currency: EUR
bonuses:
  - name: uni
    kind: unilevel
    levels: [10%, 5%, 150%]
"""
    assert problems(text) == ["plan.yaml:6: bonuses[0].levels[2]: rate must be between 0% and 100%"]


def test_a_rate_written_as_a_bare_number_asks_for_a_percent_sign():
    text = "name: x\ncurrency: EUR\nbonuses:\n  - {name: p, kind: personal, rate: 0.1}\n"
    assert problems(text) == [
        'plan.yaml:4: bonuses[0].rate: write rates with a percent sign ("0.1%") or as "0.1 per unit"'
    ]


def test_an_unknown_field_is_named():
    text = """name: x
currency: EUR
bonuses:
  - name: uni
    kind: unilevel
    levels: [10%]
    colour: red
"""
    assert problems(text) == ["plan.yaml:7: bonuses[0].colour: unknown field"]


def test_unknown_ranks_are_named_wherever_they_are_used():
    text = """name: x
currency: EUR
ranks:
  - name: Member
  - name: Silver
    legs: {count: 2, rank: Bronze}
bonuses:
  - {name: uni, kind: unilevel, levels: [10%], depth_by_rank: {Gold: 1}}
"""
    assert problems(text) == [
        "plan.yaml:6: ranks[1].legs.rank: unknown rank 'Bronze'; the ranks are Member, Silver",
        "plan.yaml:8: bonuses[0].depth_by_rank.Gold: unknown rank 'Gold'; the ranks are Member, Silver",
    ]


def test_a_matching_bonus_can_only_match_bonuses_listed_before_it():
    text = """name: x
currency: EUR
network: {placement: binary}
bonuses:
  - {name: matching, kind: matching, of: [binary], levels: [10%]}
  - {name: binary, kind: binary, rate: 10%}
"""
    assert problems(text) == [
        "plan.yaml:5: bonuses[0].of[0]: 'binary' is not a bonus listed before this one; "
        "a matching bonus matches bonuses listed before it"
    ]


def test_a_currency_that_is_not_an_iso_code_is_rejected():
    text = "name: x\ncurrency: euro\nbonuses:\n  - {name: p, kind: personal, rate: 10%}\n"
    assert problems(text) == [
        "plan.yaml:2: currency: 'euro' is not an ISO 4217 code such as EUR; use {points: name} for points"
    ]


def test_money_with_more_decimals_than_the_currency_has_is_rejected():
    text = "name: x\ncurrency: JPY\nbonuses:\n  - {name: adv, kind: rank_advancement, amounts: {Member: 10.5}}\n"
    assert problems(text) == [
        "plan.yaml:4: bonuses[0].amounts.Member: 10.5 has more decimals than JPY (0)"
    ]


def test_a_binary_bonus_needs_a_binary_placement():
    text = "name: x\ncurrency: EUR\nbonuses:\n  - {name: b, kind: binary, rate: 10%}\n"
    assert problems(text) == [
        "plan.yaml:4: bonuses[0].kind: a binary bonus needs network: {placement: binary}"
    ]


def test_every_mistake_is_reported_at_once():
    text = """name: x
currency: EUR
bonuses:
  - {name: a, kind: personal, rate: 200%}
  - {name: b, kind: unilevel, levels: [1%], colour: red}
"""
    assert problems(text) == [
        "plan.yaml:4: bonuses[0].rate: rate must be between 0% and 100%",
        "plan.yaml:5: bonuses[1].colour: unknown field",
    ]


def test_a_yaml_syntax_error_names_the_line():
    found = problems("name: x\ncurrency: EUR\nbonuses: [\n")
    assert len(found) == 1
    assert found[0].startswith("plan.yaml:4: ")
