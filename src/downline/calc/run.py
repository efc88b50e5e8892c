"""One ``downline calc`` run: read and check every input, compute, write every output.

Reading and checking come first and collect every problem (``file:line: column: why``); if
there is any, :class:`CalcError` carries them and nothing is written. Outputs are written into a
temporary folder inside the output folder and moved into place only once all of them exist.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from downline.calendar import PeriodCodeError, bounds_for_code
from downline.core.csv_safety import unescape_formula
from downline.dataset.certificates import Certificates, held_on, read_certificates
from downline.dataset.csv_io import DatasetError, read_network, read_orders
from downline.dataset.period import period_inputs
from downline.dataset.tables import Network, Orders, PlacementShape
from downline.engine import PlanInputError, compute_period
from downline.engine.explain import Explainer
from downline.engine.inputs import EngineState, PeriodInputs, PeriodResult
from downline.engine.plan import LoadedPlan, Plan, PlanError, load_plan
from downline.engine.plan.load import format_path, line_of
from downline.engine.plan.yaml_source import YamlSyntaxError, load_yaml
from downline.engine.summary import summarize
from downline.i18n import current_language, use_language
from downline.i18n import gettext as _

from .outputs import (
    LineIds,
    line_ids,
    run_document,
    write_json,
    write_tables,
    write_trace,
)
from .state_file import StateError, state_from_json, state_json
from .trace_file import write_parquet

OUTPUT_FILES = ("lines.csv", "distributors.csv", "trace.parquet", "run.json", "state.json")
CERTIFICATES_FILE = "certificates.csv"  # optional, next to distributors.csv
EPOCH = date(1970, 1, 1)
TRACE_TEXT = "trace.jsonl"  # the traces in words, only with ``--trace-text``


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
    warnings: list[str] = field(default_factory=list)
    line_ids: Future[LineIds] | None = None
    """The id texts of the lines table, being made (see :func:`outputs.line_ids`)."""


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
    plan_path: Path | None = None,
    orders_path: Path | None = None,
    certificates: Certificates | None = None,
    prepare_lines: bool = False,
) -> PeriodRun:
    """The period's inputs, state and result; :class:`CalcError` when they cannot be computed.
    With ``plan_path`` and ``orders_path`` a problem names the line of the plan or of the
    orders file it concerns. ``certificates``: who holds which certificate (a plan that
    requires one, with none given, warns: nobody holds any). ``prepare_lines``: make the id
    texts of the lines table (:func:`outputs.line_ids`) on a thread while the engine runs."""
    plan = loaded.plan
    timings = {} if timings is None else timings
    started = time.perf_counter()
    inputs = period_inputs(
        network, orders, period=period, time_zone=time_zone, plan_currency=plan_currency(plan)
    )
    warnings = []
    keys = plan.certificate_keys()
    if keys:
        if certificates is None:
            warnings.append(
                _(
                    "warning: the plan requires the certificates %(keys)s but no %(file)s was "
                    "given, so nobody holds any"
                )
                % {"keys": ", ".join(keys), "file": CERTIFICATES_FILE}
            )
            certificates = Certificates()
        last_day = EPOCH + timedelta(days=int(inputs.last_day))
        inputs.certificates = held_on(certificates, inputs.ids, last_day, keys)
    state = None
    if state_data is not None:
        try:
            state = state_from_json(state_data, plan, inputs.ids, source=state_source)
        except StateError as error:
            raise CalcError([str(error)]) from error
    timings["period inputs"] = time.perf_counter() - started
    prepared = None
    if prepare_lines:  # the lines table's id texts depend on the inputs only
        preparing = ThreadPoolExecutor(max_workers=1)
        prepared = preparing.submit(line_ids, inputs)
        preparing.shutdown(wait=False)
    started = time.perf_counter()
    try:
        result = compute_period(plan, inputs, state)
    except PlanInputError as error:
        raise CalcError(
            located_problems(error, plan, inputs, orders, plan_path, orders_path)
        ) from error
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
        warnings=warnings,
        line_ids=prepared,
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
    certificates_path: Path | None = None,
) -> PeriodRun:
    """Read, check and compute a period from files; :class:`CalcError` lists every problem.
    ``certificates_path`` (default: ``certificates.csv`` next to the distributors file, when
    it exists) says who holds which certificate."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if certificates_path is None and (distributors_path.parent / CERTIFICATES_FILE).is_file():
        certificates_path = distributors_path.parent / CERTIFICATES_FILE
    paths = [distributors_path, orders_path] + ([state_path] if state_path else [])
    paths += [certificates_path] if certificates_path is not None else []
    digest: Future[str] | None = None
    if all(path.is_file() for path in paths):  # hashed on a thread while read (not a pipe)
        hashing = ThreadPoolExecutor(max_workers=1)
        digest = hashing.submit(file_digest, paths, [period, time_zone])
        hashing.shutdown(wait=False)
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
    certificates = None
    if certificates_path is not None:
        try:
            certificates = read_certificates(certificates_path, network=network)
        except DatasetError as error:
            raise CalcError(error.summary().splitlines()) from error
        except OSError as error:
            raise CalcError([f"{certificates_path}: {error.strerror}"]) from error
    state_data = load_json(state_path) if state_path is not None else None
    timings["read"] = time.perf_counter() - started
    input_digest = file_digest(paths, [period, time_zone]) if digest is None else digest.result()
    return compute(
        loaded,
        network,
        orders,
        period=period,
        time_zone=time_zone,
        state_data=state_data,
        state_source=state_path.name if state_path else "state.json",
        input_digest=input_digest,
        timings=timings,
        plan_path=plan_path,
        orders_path=orders_path,
        certificates=certificates,
        prepare_lines=True,
    )


def order_lines(path: Path, order_ids: set[str]) -> dict[str, int]:
    """The line of ``path`` (an orders CSV that was read without problems) on which each of
    ``order_ids`` is written. Only called on the way to an error, so reading the file again
    costs nothing on a good run."""
    found: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        if "id" not in header:
            return found
        column = header.index("id")
        start = reader.line_num + 1
        for record in reader:
            if len(record) > column:
                order_id = unescape_formula(record[column].strip())
                if order_id in order_ids and order_id not in found:
                    found[order_id] = start
            start = reader.line_num + 1
    return found


def located_problems(
    error: PlanInputError,
    plan: Plan,
    inputs: PeriodInputs,
    orders: Orders,
    plan_path: Path | None,
    orders_path: Path | None,
) -> list[str]:
    """``error`` as ``file:line: column: why`` problems: one per order it names (at the order's
    line of the orders file), or at the line of the plan part it names."""
    if error.orders and orders_path is not None and orders_path.is_file():
        named = [inputs.order_ids[row] for row in error.orders]
        lines = order_lines(orders_path, set(named))
        currency_of = dict(zip(orders.ids, orders.currency.tolist(), strict=True))
        return [
            f"{orders_path.name}:{lines.get(order_id, '?')}: currency: "
            + _(
                "order %(order)s is in %(found)s, not in the plan's currency %(currency)s; the "
                "plan uses amount, so every order of the period must be in %(currency)s"
            )
            % {
                "order": order_id,
                "found": currency_of.get(order_id, "?"),
                "currency": plan.currency_code,
            }
            for order_id in named
        ]
    if error.path and plan_path is not None and plan_path.is_file():
        try:
            _data, lines = load_yaml(plan_path.read_text(encoding="utf-8"))
        except (OSError, YamlSyntaxError):
            lines = {}
        line = line_of(lines, error.path)
        where = f"{plan_path.name}:{line}" if line else plan_path.name
        return [f"{where}: {format_path(error.path)}: {error}"]
    return [str(error)]


def write_outputs(
    run: PeriodRun, out: Path, *, table_format: str = "csv", trace_text: bool = False
) -> None:
    """Every output file of ``run`` in ``out`` (created if needed), all or nothing; the lines
    and distributors tables as CSV or Parquet (``table_format``); the traces as numbers
    (``trace.parquet``) and, with ``trace_text``, in words (``trace.jsonl``, the current
    language)."""
    plan, inputs, result = run.loaded.plan, run.inputs, run.result
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".calc-", dir=out))
    language = current_language()

    def timed(name: str, work: Callable[[], None]) -> Callable[[], None]:
        def step() -> None:
            began = time.perf_counter()
            with use_language(language):  # the traces' words in the caller's language
                work()
            run.timings[name] = time.perf_counter() - began

        return step

    def traces() -> None:
        explained = Explainer(plan, inputs, result)
        write_parquet(staging / "trace.parquet", explained.data)
        if trace_text:
            with (staging / TRACE_TEXT).open("w", encoding="utf-8") as handle:
                write_trace(handle, explained)

    def state() -> None:
        text = state_json(
            result.state, plan, inputs.ids, period=run.period, plan_digest=run.loaded.digest
        )
        with (staging / "state.json").open("wb") as handle:
            handle.write(text)
            handle.write(b"\n")

    try:
        started = time.perf_counter()
        # The state and the traces are written while the tables are: Arrow's compute and
        # writers release the interpreter, so the steps share the cores.
        run.timings.update({"write tables": 0.0, "write traces": 0.0, "write state": 0.0})
        with ThreadPoolExecutor(max_workers=2) as pool:
            side = [
                pool.submit(timed("write traces", traces)),
                pool.submit(timed("write state", state)),
            ]
            summary = pool.submit(summarize, plan, inputs, result)
            began = time.perf_counter()
            prepared = run.line_ids.result() if run.line_ids is not None else None
            tables = write_tables(
                staging, plan, inputs, result, table_format=table_format, prepared=prepared
            )
            run.timings["write tables"] = time.perf_counter() - began
            for future in side:
                future.result()
        run.timings["write"] = time.perf_counter() - started
        write_json(
            staging / "run.json",
            run_document(
                plan=plan,
                plan_digest=run.loaded.digest,
                input_digest=run.input_digest,
                period=run.period,
                time_zone=run.time_zone,
                summary=summary.result(),
                timings=run.timings,
            ),
        )
        for name in [*tables, *OUTPUT_FILES[2:], *([TRACE_TEXT] if trace_text else [])]:
            (staging / name).replace(out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
