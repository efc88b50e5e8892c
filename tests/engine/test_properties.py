"""Property tests: the vectorised engine equals the plain-Python oracle to the cent, and the
invariants of docs/plan-language.md hold, on random networks, orders, plans and states.

The engine is imported inside each test, so a missing or broken ``downline.engine`` makes these
tests fail loudly (an ImportError), never skip. The invariants are checked on the oracle as well.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from downline.dataset.period import period_inputs
from downline.dataset.synth import SynthOptions, synthesize
from downline.dataset.tables import PlacementShape
from downline.engine.inputs import EngineState, PeriodInputs, PeriodResult
from downline.engine.plan import Plan, load_plan

from . import oracle
from .strategies import KINDS, Periods, Scenario, day_number, period_runs, scenarios

Compute = Callable[[Plan, PeriodInputs, EngineState | None], PeriodResult]

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PER_KIND = settings(PROPERTY, max_examples=40)


def engine() -> Compute:
    from downline.engine import compute_period  # fails loudly while the engine is missing

    return compute_period


def implementations() -> list:
    return [
        pytest.param(engine, id="engine"),
        pytest.param(lambda: oracle.compute_period, id="oracle"),
    ]


# --- comparing results ----------------------------------------------------------------------------

PER_DISTRIBUTOR = (
    "pv",
    "cv",
    "gv",
    "qualifying_volume",
    "active",
    "qualified_rank",
    "paid_as_rank",
    "highest_rank",
    "earned",
    "carry_left",
    "carry_right",
)


def line_rows(result: PeriodResult) -> list[tuple]:
    """Every column of every line; the rate as an exact fraction (None without a rate)."""
    lines = result.lines
    rows = []
    for k in range(len(lines)):
        den = int(lines.rate_den[k])
        rows.append(
            (
                int(lines.bonus[k]),
                int(lines.recipient[k]),
                int(lines.source_order[k]),
                int(lines.source[k]),
                int(lines.level[k]),
                int(lines.base[k]),
                None if den == 0 else Fraction(int(lines.rate_num[k]), den),
                int(lines.amount_before_cap[k]),
                int(lines.amount[k]),
            )
        )
    return rows


def state_rows(plan: Plan, state: EngineState, n: int) -> dict[str, list]:
    rows = {
        "highest_rank": state.highest_rank.tolist(),
        "paid_as_rank": state.paid_as_rank.tolist(),
        "grace_used": state.grace_used.tolist(),
    }
    for bonus in plan.bonuses:
        if bonus.kind == "binary":
            left, right = state.carry_of(bonus.name, n)
            rows[f"carry[{bonus.name}]"] = list(zip(left.tolist(), right.tolist(), strict=True))
        if bonus.kind == "rank_advancement":
            rows[f"awarded[{bonus.name}]"] = state.awarded_of(bonus.name, n).tolist()
    return rows


def differences(
    plan: Plan, inputs: PeriodInputs, got: PeriodResult, want: PeriodResult
) -> list[str]:
    """What the engine (``got``) computed differently from the oracle (``want``), in words."""
    n = inputs.n
    found = []
    for name in PER_DISTRIBUTOR:
        a = np.asarray(getattr(got, name)).tolist()
        b = np.asarray(getattr(want, name)).tolist()
        if len(a) != n:
            found.append(f"{name}: {len(a)} values for {n} distributors")
            continue
        for d in range(n):
            if a[d] != b[d]:
                found.append(f"{name}[{inputs.ids[d]}]: engine {a[d]}, oracle {b[d]}")
    engine_state = state_rows(plan, got.state, n)
    for key, values in state_rows(plan, want.state, n).items():
        if engine_state[key] != values:
            for d in range(n):
                if engine_state[key][d] != values[d]:
                    found.append(
                        f"state {key}[{inputs.ids[d]}]: engine {engine_state[key][d]}, "
                        f"oracle {values[d]}"
                    )
    a, b = line_rows(got), line_rows(want)
    if a != b:
        names = [bonus.name for bonus in plan.bonuses]

        def show(row: tuple) -> str:
            bonus, recipient, order, source, level, base, rate, before, amount = row
            return (
                f"{names[bonus]} to {inputs.ids[recipient]} "
                f"order={inputs.order_ids[order] if order >= 0 else '-'} "
                f"source={inputs.ids[source] if source >= 0 else '-'} level={level} base={base} "
                f"rate={rate} before_cap={before} amount={amount}"
            )

        only_engine = [row for row in a if row not in b]
        only_oracle = [row for row in b if row not in a]
        found += [f"line only in engine: {show(row)}" for row in only_engine[:10]]
        found += [f"line only in oracle: {show(row)}" for row in only_oracle[:10]]
        if not only_engine and not only_oracle:
            found.append("lines: same lines in a different order (canonical order broken)")
    return found


def run(compute: Compute, plan: Plan, inputs: PeriodInputs, state: EngineState | None):
    """(result, None) or (None, the ValueError raised)."""
    try:
        return compute(plan, inputs, state), None
    except ValueError as error:
        return None, error


def assert_engine_matches_oracle(
    plan: Plan, inputs: PeriodInputs, state: EngineState | None
) -> None:
    """The engine computes exactly what the oracle does, or rejects what the oracle rejects."""
    want, rejected = run(oracle.compute_period, plan, inputs, copy.deepcopy(state))
    compute = engine()
    if rejected is not None:
        with pytest.raises(ValueError):
            compute(plan, inputs, copy.deepcopy(state))
        return
    got = compute(plan, inputs, copy.deepcopy(state))
    problems = differences(plan, inputs, got, want)
    assert not problems, "engine ≠ oracle:\n" + "\n".join(problems)


# --- engine = oracle ------------------------------------------------------------------------------


@PROPERTY
@given(scenarios())
def test_engine_equals_oracle(scenario: Scenario):
    assert_engine_matches_oracle(scenario.plan, scenario.inputs, scenario.state)


FOCUS = {
    "personal": ("personal",),
    "unilevel": ("unilevel",),
    "matrix": ("matrix",),
    "fast_start": ("fast_start",),
    "binary": ("binary",),
    "stairstep": ("stairstep",),
    "generation": ("generation",),
    "matching": ("binary", "unilevel", "matching"),
    "rank_advancement": ("rank_advancement", "personal"),
    "pool": ("pool", "personal"),
}


@pytest.mark.parametrize("kind", sorted(FOCUS))
@PER_KIND
@given(data=st.data())
def test_engine_equals_oracle_per_bonus_kind(kind: str, data):
    scenario = data.draw(scenarios(kinds=FOCUS[kind]), label="scenario")
    assert_engine_matches_oracle(scenario.plan, scenario.inputs, scenario.state)


@settings(PROPERTY, max_examples=40)
@given(period_runs())
def test_engine_equals_oracle_over_consecutive_periods(run_: Periods):
    engine_state = oracle_state = None
    for inputs in run_.periods:
        want = oracle.compute_period(run_.plan, inputs, oracle_state)
        got = engine()(run_.plan, inputs, engine_state)
        problems = differences(run_.plan, inputs, got, want)
        assert not problems, f"period {inputs.period}: engine ≠ oracle:\n" + "\n".join(problems)
        engine_state, oracle_state = got.state, want.state


def test_kinds_cover_the_plan_language():
    assert set(FOCUS) == {*KINDS, "binary", "matrix"}


# --- invariants -------------------------------------------------------------------------------------


def snapshot(value) -> list:
    """Every array of an input or state object, copied with its dtype."""
    items = []
    for name, field in sorted(vars(value).items()):
        if isinstance(field, np.ndarray):
            items.append((name, field.dtype.str, field.tobytes()))
        elif isinstance(field, dict):
            for key, inner in sorted(field.items()):
                arrays = inner if isinstance(inner, tuple) else (inner,)
                items.append((f"{name}[{key}]", [(a.dtype.str, a.tobytes()) for a in arrays]))
        else:
            items.append((name, copy.deepcopy(field)))
    return items


def check_invariants(plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> None:
    lines = result.lines
    n = inputs.n
    amount = np.asarray(lines.amount)
    before = np.asarray(lines.amount_before_cap)
    recipient = np.asarray(lines.recipient)
    bonus = np.asarray(lines.bonus)
    # amounts are integers; a non-negative line is never raised by a cap
    assert amount.dtype.kind == "i"
    assert before.dtype.kind == "i"
    assert np.all(amount[before >= 0] <= before[before >= 0])
    # totals equal the sum of the lines
    earned = np.zeros(n, dtype=np.int64)
    np.add.at(earned, recipient, amount)
    assert np.asarray(result.earned).tolist() == earned.tolist()
    names = [b.name for b in plan.bonuses]
    # binary: the pay cap and the carry cap
    for b, spec in enumerate(plan.bonuses):
        if spec.kind != "binary":
            continue
        if spec.cap_per_period is not None:
            assert np.all(amount[bonus == b] <= plan.money_minor(spec.cap_per_period))
        left, right = result.state.carry_of(spec.name, n)
        assert np.all(left >= 0)
        assert np.all(right >= 0)
        if spec.carry_cap is not None:
            assert np.all(left <= spec.carry_cap)
            assert np.all(right <= spec.carry_cap)
    # per-distributor caps (exact when every capped line of the distributor is non-negative)
    for cap in plan.caps:
        capped = np.isin(bonus, [names.index(name) for name in cap.bonuses])
        limit = plan.money_minor(cap.max)
        for d in range(n):
            mine = capped & (recipient == d)
            if np.all(amount[mine] >= 0):
                assert int(amount[mine].sum()) <= limit, f"cap {cap.bonuses} exceeded by row {d}"
    # the company cap: never above the limit, exactly the limit when it binds
    company = plan.company_cap
    if company is not None:
        totals = {
            "pv": int(inputs.order_pv.sum()),
            "cv": int(inputs.order_cv.sum()),
            "amount": int(inputs.order_amount[inputs.order_in_plan_currency].sum()),
        }
        exact = company.share.value * Fraction(totals[company.of] * 10**plan.minor_digits, 100)
        limit = exact.numerator // exact.denominator
        listed = company.bonuses or names
        capped = np.isin(bonus, [names.index(name) for name in listed])
        assert int(amount[capped].sum()) <= limit
        simple = not plan.caps and not any(
            spec.kind == "binary" and spec.cap_per_period is not None for spec in plan.bonuses
        )
        if simple and int(before[capped].sum()) > limit:
            assert int(amount[capped].sum()) == limit


@pytest.mark.parametrize("implementation", implementations())
@PROPERTY
@given(scenario=scenarios())
def test_invariants(implementation, scenario: Scenario):
    compute = implementation()
    inputs_before = snapshot(scenario.inputs)
    state_before = None if scenario.state is None else snapshot(scenario.state)
    result, rejected = run(compute, scenario.plan, scenario.inputs, scenario.state)
    # compression (and everything else) never alters the stored tree or any input array
    assert snapshot(scenario.inputs) == inputs_before
    if scenario.state is not None:
        assert snapshot(scenario.state) == state_before
    if rejected is None:
        check_invariants(scenario.plan, scenario.inputs, result)


@pytest.mark.parametrize("implementation", implementations())
@settings(PROPERTY, max_examples=50)
@given(run_=period_runs(kinds=("rank_advancement", "personal", "unilevel"), periods=4))
def test_rank_advancement_never_pays_a_rank_twice(implementation, run_: Periods):
    compute = implementation()
    paid: set[tuple[int, int, int]] = set()
    advancement = {
        b for b, bonus in enumerate(run_.plan.bonuses) if bonus.kind == "rank_advancement"
    }
    state = None
    for inputs in run_.periods:
        result = compute(run_.plan, inputs, state)
        lines = result.lines
        for k in range(len(lines)):
            if int(lines.bonus[k]) in advancement:
                key = (int(lines.bonus[k]), int(lines.recipient[k]), int(lines.level[k]))
                assert key not in paid, f"{inputs.ids[key[1]]} paid rank {key[2]} twice"
                paid.add(key)
        check_invariants(run_.plan, inputs, result)
        state = result.state


# --- the sample plans on larger networks ------------------------------------------------------------

SAMPLE_PLANS = sorted((Path(__file__).resolve().parents[2] / "plans").glob("*.yaml"))


def plan_currency(plan: Plan) -> str | None:
    return plan.currency if isinstance(plan.currency, str) else None


@pytest.mark.parametrize("shape", ["random", "deep"])
@pytest.mark.parametrize("path", SAMPLE_PLANS, ids=lambda path: path.name)
def test_engine_equals_oracle_on_a_synthetic_company(path, shape):
    """Each sample plan on 1,500 synthetic distributors, two months with the state passed on."""
    plan = load_plan(path).plan
    placement = PlacementShape(plan.network.placement, plan.network.width or 2)
    network, orders = synthesize(
        SynthOptions(distributors=1500, seed=11, shape=shape, placement=placement, months=2)
    )
    engine_state = oracle_state = None
    for period in ("2026-09", "2026-10"):
        inputs = period_inputs(
            network, orders, period=period, time_zone="UTC", plan_currency=plan_currency(plan)
        )
        want = oracle.compute_period(plan, inputs, oracle_state)
        got = engine()(plan, inputs, engine_state)
        problems = differences(plan, inputs, got, want)
        assert not problems, f"{period}: engine ≠ oracle:\n" + "\n".join(problems[:40])
        engine_state, oracle_state = got.state, want.state


def chain_inputs(n: int, placement: str) -> PeriodInputs:
    """A chain of ``n`` enrolled one below the other (placed the same way, always in slot 1
    except every third member, who takes slot 2 of a binary or matrix parent); every fourth
    member buys, every fifth is inactive for lack of PV."""
    first = day_number("2026-10-01")
    sponsor = np.arange(-1, n - 1, dtype=np.int64)
    position = np.zeros(n, dtype=np.int16)
    if placement != "unilevel":
        position[1:] = 1
        position[3::3] = 2
    members = np.arange(0, n, 4)
    pv = np.where(members % 5 == 0, 20_00, 150_00)
    return PeriodInputs(
        ids=[f"D{d}" for d in range(n)],
        sponsor=sponsor,
        placement=sponsor.copy(),
        position=position,
        joined_day=np.full(n, first - 10, dtype=np.int32),
        status=np.zeros(n, dtype=np.int8),
        first_day=first,
        last_day=first + 30,
        order_ids=[f"O{k}" for k in range(len(members))],
        order_member=members.astype(np.int64),
        order_customer=np.full(len(members), -1, dtype=np.int64),
        order_day=np.full(len(members), first + 3, dtype=np.int32),
        order_pv=pv.astype(np.int64),
        order_cv=(pv * 7 // 5).astype(np.int64),
        order_amount=pv.astype(np.int64),
        order_in_plan_currency=np.ones(len(members), dtype=bool),
        period="2026-10",
    )


@pytest.mark.parametrize("path", SAMPLE_PLANS, ids=lambda path: path.name)
def test_engine_equals_oracle_on_a_deep_chain(path):
    plan = load_plan(path).plan
    inputs = chain_inputs(3000, plan.network.placement)
    assert_engine_matches_oracle(plan, inputs, None)
