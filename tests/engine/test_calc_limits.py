"""``downline calc`` on values too large for 64 bits and on orders in another currency: exit 2
with ``file:line: column: why``, never a traceback; ``downline plan check`` and the theoretical
maximum payout per unit of CV."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from downline.calc.cli import EXIT_BAD_INPUT, EXIT_OK, calc_main, plan_main
from downline.calc.payout_bound import payout_bound
from downline.engine.plan import load_plan, load_plan_text

ROOT = Path(__file__).resolve().parents[2]

DISTRIBUTORS = """id,sponsor_id,placement_id,placement_position,joined_on,status,kind
A,,,,2026-01-01,active,distributor
B,A,,,2026-01-01,active,distributor
"""
HEADER = "id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id\n"
AMOUNT_PLAN = """name: turnover
currency: EUR
bonuses:
  - {name: uni, kind: unilevel, volume: amount, levels: [10%]}
"""


def calc(
    tmp_path: Path,
    plan: str,
    orders: str,
    state: dict | None = None,
    distributors: str = DISTRIBUTORS,
) -> int:
    (tmp_path / "plan.yaml").write_text(plan, encoding="utf-8")
    (tmp_path / "distributors.csv").write_text(distributors, encoding="utf-8")
    (tmp_path / "orders.csv").write_text(HEADER + orders, encoding="utf-8")
    extra = []
    if state is not None:
        (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
        extra = ["--state-in", str(tmp_path / "state.json")]
    return calc_main(
        [
            "--plan",
            str(tmp_path / "plan.yaml"),
            "--distributors",
            str(tmp_path / "distributors.csv"),
            "--orders",
            str(tmp_path / "orders.csv"),
            "--period",
            "2026-10",
            "--out",
            str(tmp_path / "out"),
            *extra,
        ]
    )


def test_an_order_in_another_currency_is_named_at_its_line(tmp_path, capsys):
    orders = (
        "O1,B,2026-10-02T10:00:00Z,10,10,10.00,EUR,product,\n"
        "O2,B,2026-10-03T10:00:00Z,10,10,10.00,USD,product,\n"
        "O3,B,2026-10-04T10:00:00Z,10,10,10.00,EUR,product,\n"
        "O4,A,2026-10-05T10:00:00Z,10,10,10.00,PLN,product,\n"
    )
    assert calc(tmp_path, AMOUNT_PLAN, orders) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(
        "orders.csv:3: currency: order O2 is in USD, not in the plan's currency EUR"
    )
    assert err[1].startswith("orders.csv:5: currency: order O4 is in PLN")
    assert not (tmp_path / "out").exists()


def test_a_value_of_2_to_the_63_minor_units_is_bad_input_at_its_line_and_column(tmp_path, capsys):
    orders = "O1,B,2026-10-02T10:00:00Z,10,10,92233720368547758.08,EUR,product,\n"
    assert calc(tmp_path, AMOUNT_PLAN, orders) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("orders.csv:2: amount: ")
    assert "Traceback" not in err


def test_a_line_beyond_64_bits_names_the_bonus_at_its_line_of_the_plan(tmp_path, capsys):
    plan = """name: huge
currency: EUR
bonuses:
  - {name: retail, kind: personal, rate: 10%}
  - {name: uni, kind: unilevel, levels: ["100000000000000 per unit"]}
"""
    orders = "O1,B,2026-10-02T10:00:00Z,10,100000,10.00,EUR,product,\n"
    assert calc(tmp_path, plan, orders) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("plan.yaml:5: bonuses[1]: bonus uni: a line would be 2^63")


def test_a_plan_amount_beyond_the_limit_is_named_at_its_line(tmp_path, capsys):
    plan = """name: huge
currency: EUR
ranks:
  - name: Member
  - {name: Silver, pv: 1}
bonuses:
  - name: advancement
    kind: rank_advancement
    amounts: {Silver: 100000000000000000000}
"""
    orders = "O1,B,2026-10-02T10:00:00Z,10,10,10.00,EUR,product,\n"
    assert calc(tmp_path, plan, orders) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("plan.yaml:9: bonuses[0].amounts.Silver: 100000000000000000000 is too")


def test_a_carry_beyond_the_limit_in_the_state_is_bad_input(tmp_path, capsys):
    plan = """name: bin
currency: EUR
network: {placement: binary}
bonuses:
  - {name: bin, kind: binary, rate: 10%}
"""
    distributors = DISTRIBUTORS.replace("B,A,,,", "B,A,A,L,")
    state = {"distributors": {"A": {"carry": {"bin": ["99999999999999999999.00", "0.00"]}}}}
    orders = "O1,B,2026-10-02T10:00:00Z,10,10,10.00,EUR,product,\n"
    code = calc(tmp_path, plan, orders, state=state, distributors=distributors)
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT, err
    assert "state.json: distributors.A.carry.bin: a carry of" in err
    assert "Traceback" not in err


def check(path: Path, capsys) -> tuple[int, str, str]:
    code = plan_main(["check", str(path)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plan_check_warns_when_one_order_can_pay_more_than_its_cv(tmp_path, capsys):
    path = tmp_path / "greedy.yaml"
    path.write_text(
        "name: greedy\ncurrency: EUR\nbonuses:\n"
        "  - {name: uni, kind: unilevel, levels: [90%, 80%, 70%, 60%, 50%]}\n",
        encoding="utf-8",
    )
    code, out, err = check(path, capsys)
    assert code == EXIT_OK
    assert f"{path}: theoretical maximum payout per unit of CV: 350% (uni 350%)" in out
    assert f"{path}: warning: one order can be paid more than 100% of its CV" in err
    assert "at most 350%" in err


def test_plan_check_is_quiet_for_a_plan_within_its_cv(capsys):
    code, out, err = check(ROOT / "plans" / "unilevel.yaml", capsys)
    assert code == EXIT_OK
    assert "theoretical maximum payout per unit of CV: 59% (unilevel 24%, fast_start 35%" in out
    assert err == ""


def test_the_company_cap_bounds_an_unbounded_binary(capsys):
    code, out, err = check(ROOT / "plans" / "kitchen-sink.yaml", capsys)
    assert code == EXIT_OK
    assert "45% with the company cap, unbounded without" in out
    assert err == ""


def bound_of(bonuses: str, extra: str = "") -> Fraction | None:
    plan = load_plan_text(f"name: b\ncurrency: EUR\n{extra}bonuses:\n{bonuses}").plan
    return payout_bound(plan).total


STAIRSTEP = (
    "  - {name: s, kind: stairstep, brackets: [{pgv: 100, rate: 5%}, {pgv: 1000, rate: 20%}],"
    " breakaway_at: 1000, royalty: 4%, royalty_requires: REQ, reaches: REACH}\n"
)


@pytest.mark.parametrize(
    ("requires", "reaches", "expected"),
    [
        ("20%", "children", Fraction(24, 100)),  # top bracket + one royalty
        ("20%", "first_generation", Fraction(24, 100)),  # only broken-away members qualify
        ("5%", "children", Fraction(24, 100)),
        ("5%", "first_generation", None),  # members short of the breakaway take royalties too
        ("50%", "first_generation", Fraction(20, 100)),  # no bracket reaches the royalty
    ],
)
def test_the_stairstep_bound(requires, reaches, expected):
    bonus = STAIRSTEP.replace("REQ", requires).replace("REACH", reaches)
    assert bound_of(bonus) == expected


def test_matching_multiplies_what_it_matches_and_pools_add_their_share():
    bonuses = (
        "  - {name: uni, kind: unilevel, levels: [10%, 5%]}\n"
        "  - {name: match, kind: matching, of: [uni], levels: [50%, 10%]}\n"
        "  - {name: pool, kind: pool, share: 2%, shares: {Member: 1}}\n"
        "  - {name: fast, kind: fast_start, days: 30, levels: [20%]}\n"
    )
    # 15% + 60% × 15% + 2% + 20%
    assert bound_of(bonuses) == Fraction(15, 100) + Fraction(9, 100) + Fraction(22, 100)


def test_every_sample_plan_has_a_bound():
    for path in sorted((ROOT / "plans").glob("*.yaml")):
        bound = payout_bound(load_plan(path).plan)
        assert set(bound.per_bonus) == {bonus.name for bonus in load_plan(path).plan.bonuses}
