"""One ``downline calc`` run: read and check every input, compute, write every output.

Reading and checking come first and collect every problem (``file:line: column: why``); if
there is any, :class:`CalcError` carries them and nothing is written. Outputs are written into a
temporary folder inside the output folder and moved into place only once all of them exist.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from downline.calendar import PeriodCodeError, bounds_for_code
from downline.dataset.csv_io import DatasetError, read_network, read_orders
from downline.dataset.period import period_inputs
from downline.dataset.tables import Network, Orders, PlacementShape
from downline.engine import PlanInputError, compute_period
from downline.engine.inputs import EngineState, PeriodInputs, PeriodResult
from downline.engine.plan import LoadedPlan, Plan, PlanError, load_plan
from downline.engine.summary import summarize
from downline.i18n import gettext as _

from .outputs import (
    LineText,
    run_document,
    write_distributors,
    write_json,
    write_lines,
    write_trace,
)
from .state_file import StateError, state_document, state_from_json

OUTPUT_FILES = ("lines.csv", "distributors.csv", "trace.jsonl", "run.json", "state.json")


class CalcError(Exception):
    """Inputs that cannot be computed; ``messages`` says where and why, one per problem."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))


def placement_shape(plan: Plan) -> PlacementShape:
    network = plan.network
    return PlacementShape(network.placement, network.width or 2)


def plan_currency(plan: Plan) -> str | None:
    """The ISO code orders must carry for their amount to count (none for a point currency)."""
    return plan.currency if isinstance(plan.currency, str) else None


def check_period(period: str, time_zone: str) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise CalcError([_("unknown time zone %(zone)r") % {"zone": time_zone}]) from error
    try:
        bounds_for_code(period, time_zone)
    except PeriodCodeError as error:
        raise CalcError([str(error)]) from error


def load_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CalcError(
            [f"{path.name}: " + _("cannot read the file: %(why)s") % {"why": error.strerror}]
        ) from error
    except json.JSONDecodeError as error:
        raise CalcError(
            [f"{path.name}:{error.lineno}: " + _("not valid JSON: %(why)s") % {"why": error.msg}]
        ) from error


@dataclass
class PeriodRun:
    loaded: LoadedPlan
    network: Network
    orders: Orders
    inputs: PeriodInputs
    state: EngineState | None
    result: PeriodResult
    period: str
    time_zone: str
    input_digest: str
    timings: dict[str, float] = field(default_factory=dict)


def compute(
    loaded: LoadedPlan,
    network: Network,
    orders: Orders,
    *,
    period: str,
    time_zone: str,
    state_data: object | None,
    state_source: str = "state.json",
    input_digest: str = "",
    timings: dict[str, float] | None = None,
) -> PeriodRun:
    """The period's inputs, state and result; :class:`CalcError` when they cannot be computed."""
    plan = loaded.plan
    timings = {} if timings is None else timings
    started = time.perf_counter()
    inputs = period_inputs(
        network, orders, period=period, time_zone=time_zone, plan_currency=plan_currency(plan)
    )
    state = None
    if state_data is not None:
        try:
            state = state_from_json(state_data, plan, inputs.ids, source=state_source)
        except StateError as error:
            raise CalcError([str(error)]) from error
    timings["period inputs"] = time.perf_counter() - started
    started = time.perf_counter()
    try:
        result = compute_period(plan, inputs, state)
    except PlanInputError as error:
        raise CalcError([str(error)]) from error
    timings["engine"] = time.perf_counter() - started
    return PeriodRun(
        loaded=loaded,
        network=network,
        orders=orders,
        inputs=inputs,
        state=state,
        result=result,
        period=period,
        time_zone=time_zone,
        input_digest=input_digest,
        timings=timings,
    )


def file_digest(paths: list[Path], extra: list[str]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    for text in extra:
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def calculate(
    *,
    plan_path: Path,
    distributors_path: Path,
    orders_path: Path,
    period: str,
    time_zone: str = "UTC",
    state_path: Path | None = None,
) -> PeriodRun:
    """Read, check and compute a period from files; :class:`CalcError` lists every problem."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        loaded = load_plan(plan_path)
    except PlanError as error:
        raise CalcError(error.summary().splitlines()) from error
    check_period(period, time_zone)
    shape = placement_shape(loaded.plan)
    try:
        network = read_network(distributors_path, shape=shape)
    except DatasetError as error:
        raise CalcError(error.summary().splitlines()) from error
    except OSError as error:
        raise CalcError([f"{distributors_path}: {error.strerror}"]) from error
    try:
        orders = read_orders(orders_path, network=network, time_zone=time_zone)
    except DatasetError as error:
        raise CalcError(error.summary().splitlines()) from error
    except OSError as error:
        raise CalcError([f"{orders_path}: {error.strerror}"]) from error
    state_data = load_json(state_path) if state_path is not None else None
    timings["read"] = time.perf_counter() - started
    paths = [distributors_path, orders_path] + ([state_path] if state_path else [])
    digest = file_digest(paths, [period, time_zone])
    return compute(
        loaded,
        network,
        orders,
        period=period,
        time_zone=time_zone,
        state_data=state_data,
        state_source=state_path.name if state_path else "state.json",
        input_digest=digest,
        timings=timings,
    )


def write_outputs(run: PeriodRun, out: Path) -> None:
    """Every output file of ``run`` in ``out`` (created if needed), all or nothing."""
    plan, inputs, result = run.loaded.plan, run.inputs, run.result
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".calc-", dir=out))
    try:
        started = time.perf_counter()
        with (staging / "lines.csv").open("w", newline="", encoding="utf-8") as handle:
            write_lines(handle, LineText(plan, inputs, result))
        with (staging / "distributors.csv").open("w", newline="", encoding="utf-8") as handle:
            write_distributors(handle, plan, inputs, result)
        with (staging / "trace.jsonl").open("w", encoding="utf-8") as handle:
            write_trace(handle, plan, inputs, result)
        write_json(
            staging / "state.json",
            state_document(
                result.state, plan, inputs.ids, period=run.period, plan_digest=run.loaded.digest
            ),
        )
        run.timings["write"] = time.perf_counter() - started
        write_json(
            staging / "run.json",
            run_document(
                plan=plan,
                plan_digest=run.loaded.digest,
                input_digest=run.input_digest,
                period=run.period,
                time_zone=run.time_zone,
                summary=summarize(plan, inputs, result),
                timings=run.timings,
            ),
        )
        for name in OUTPUT_FILES:
            (staging / name).replace(out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
