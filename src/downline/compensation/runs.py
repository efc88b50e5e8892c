"""Commission runs of a stored period: projection, preview and final.

Every run computes the period with the engine from the database (``inputs.load_period``), the
plan version active for it and the engine state left by the previous final run, and stores
each distributor's results with their trace. Then:

* **projection** (any time while the period is open): read-only for money; only the latest
  ``KEEP_PROJECTIONS`` projections of a period are kept. Dashboards show the newest one.
* **preview** (any number of times): nothing is posted; compare it with another run.
* **final** (exactly once per period), in ONE database transaction: lock the period against
  writers, refuse if the period is open for business, already has a final run or an earlier
  period is still open; compute; store every commission line (packed per recipient, ``COPY``
  on PostgreSQL), every result, every trace (as numbers: ``traces``), the engine state for
  the next period (highest ranks, binary carry, awarded ranks); lock the plan version; post
  the commissions to the ledger; close the period. A crash at any point rolls the whole
  transaction back: the period is as if the final never started,
  and running it again gives the same result. Two finals at once: the first takes an advisory
  lock (PostgreSQL) or the write lock (SQLite); the other gets a clear error, and the unique
  constraint ``one_final_run_per_period`` backs both.
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.calc.state_file import StateError, state_from_json, state_json
from downline.core import events as outbox
from downline.core.bulk_sql import Const, Packed, indexes_rebuilt_after, insert_rows
from downline.engine import PlanInputError, compute_period
from downline.engine.inputs import EngineState, PeriodResult
from downline.engine.plan import LoadedPlan
from downline.engine.summary import summarize
from downline.ledger import memos
from downline.ledger.models import Account, Transaction
from downline.ledger.posting import (
    Entries,
    company_account,
    distributor_entries,
    lock_accounts,
    post,
)
from downline.periods.actions import do_close_period
from downline.periods.errors import PeriodError
from downline.periods.models import Period

from .errors import CompensationError
from .inputs import StoredPeriod, load_period
from .line_blocks import pack
from .models import LineBlock, PlanVersion, Run, RunResult
from .plans import loaded_plan, plan_version_for
from .traces import TraceChunk, store_traces, trace_chunks

KEEP_PROJECTIONS = 3
FINAL_LOCK = 0x646C_6669  # "dlfi": the advisory lock class of final runs

Step = Callable[[str], None]


@dataclass
class Computation:
    """A computed period, before anything is stored."""

    period: Period
    version: PlanVersion
    loaded: LoadedPlan
    stored: StoredPeriod
    result: PeriodResult
    computed_at: datetime
    timings: dict[str, float] = field(default_factory=dict)
    # each distributor's highest rank before this period (None: no earlier final run)
    previous_highest: np.ndarray | None = None

    @property
    def member_ids(self) -> np.ndarray:
        return self.stored.member_ids


class _Clock:
    """Times each step and reports it to ``on_step``."""

    def __init__(self, timings: dict[str, float], on_step: Step | None) -> None:
        self.timings, self.on_step = timings, on_step
        self.started = time.perf_counter()

    def done(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = round(now - self.started, 3)
        self.started = now
        if self.on_step is not None:
            self.on_step(step)


STATE_COMPRESSION = 3
"""zlib level of a final run's stored state: level 6 takes about four times as long for about
10% fewer bytes (hundreds of megabytes of JSON at a million distributors)."""


def previous_state(period: Period, loaded: LoadedPlan, ids: list[str]) -> EngineState | None:
    """The engine state left by the latest final run before ``period`` (``None``: none yet)."""
    previous = (
        Run.objects.filter(
            kind=Run.Kind.FINAL,
            period__kind=period.kind,
            period__starts_at__lt=period.starts_at,
        )
        .select_related("period")
        .order_by("-period__starts_at")
        .first()
    )
    if previous is None or previous.state is None:
        return None
    data = json.loads(zlib.decompress(bytes(previous.state)))
    try:
        return state_from_json(data, loaded.plan, ids, source=f"state of {previous.period.code}")
    except StateError as error:
        raise CompensationError(
            _("The state left by the final run of %(period)s does not fit this plan: %(why)s")
            % {"period": previous.period.code, "why": error}
        ) from error


def compute(
    period: Period, *, version: PlanVersion | None = None, clock: _Clock | None = None
) -> Computation:
    """Compute ``period`` with ``version`` (default: the version active for it)."""
    clock = clock or _Clock({}, None)
    version = version or plan_version_for(period)
    if version is None:
        raise CompensationError(
            _("No plan is active for period %(period)s; activate a plan version first.")
            % {"period": period.code}
        )
    loaded = loaded_plan(version)
    computed_at = timezone.now()
    try:
        stored = load_period(period, loaded.plan)
    except ValueError as error:
        raise CompensationError(str(error)) from error
    state = previous_state(period, loaded, list(stored.inputs.ids))
    clock.done("load")
    try:
        result = compute_period(loaded.plan, stored.inputs, state)
    except PlanInputError as error:
        raise CompensationError(str(error)) from error
    clock.done("compute")
    return Computation(
        period,
        version,
        loaded,
        stored,
        result,
        computed_at,
        clock.timings,
        previous_highest=None if state is None else state.highest_rank,
    )


def _run_row(comp: Computation, kind: str, actor: User | None) -> Run:
    plan, inputs, result = comp.loaded.plan, comp.stored.inputs, comp.result
    summary = summarize(plan, inputs, result)
    return Run.objects.create(
        period=comp.period,
        kind=kind,
        plan_version=comp.version,
        computed_at=comp.computed_at,
        finished_at=timezone.now(),
        started_by=actor,
        currency=plan.currency_code,
        minor_digits=plan.minor_digits,
        distributors=inputs.n,
        orders=inputs.m,
        lines=len(result.lines),
        total_paid=int(summary.paid),
        total_before_cap=int(summary.before_cap),
        total_pv=int(summary.totals.get("pv", 0)),
        total_cv=int(summary.totals.get("cv", 0)),
        total_amount=int(summary.totals.get("amount", 0)),
        input_digest=_input_digest(comp),
        summary={
            "bonuses": [
                {
                    "name": b.name,
                    "lines": b.lines,
                    "before_cap": b.before_cap,
                    "paid": b.paid,
                }
                for b in summary.bonuses
            ],
            "cap_breakage": summary.cap_breakage,
            "counts": summary.counts,
            **({"warnings": comp.stored.warnings} if comp.stored.warnings else {}),
        },
        timings=comp.timings,
    )


def _input_digest(comp: Computation) -> str:
    inputs = comp.stored.inputs
    digest = hashlib.sha256()
    for array in (
        comp.stored.member_ids,
        inputs.sponsor,
        inputs.placement,
        inputs.position,
        inputs.status,
        comp.stored.order_ids,
        inputs.order_pv,
        inputs.order_cv,
        inputs.order_amount,
        inputs.order_day,
        *(inputs.certificates[key] for key in sorted(inputs.certificates)),
    ):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(comp.version.digest.encode())
    return digest.hexdigest()


def _traces(comp: Computation) -> list[TraceChunk]:
    """Every distributor's trace as numbers, in stored chunks (array operations, no fork);
    the seconds it took go to ``timings["traces"]`` (part of the "results" step)."""
    started = time.perf_counter()
    chunks = trace_chunks(comp.loaded.plan, comp.stored.inputs, comp.result, comp.member_ids)
    comp.timings["traces"] = round(time.perf_counter() - started, 3)
    return chunks


def _write_results(run: Run, comp: Computation, traces: list[TraceChunk]) -> None:
    """One ``RunResult`` per distributor (figures, tree parents, per-bonus amounts) and the
    run's trace chunks (``RunResult.trace`` is only for runs stored before those)."""
    plan, inputs, result = comp.loaded.plan, comp.stored.inputs, comp.result
    n, members = inputs.n, comp.member_ids
    key = np.asarray(result.lines.recipient, dtype=np.int64) * len(plan.bonuses)
    by_bonus = np.zeros(n * len(plan.bonuses), dtype=np.int64)
    np.add.at(by_bonus, key + result.lines.bonus, result.lines.amount)
    by_bonus_bytes = by_bonus.astype("<i8").view(np.uint8).reshape(n, -1)

    def parents(refs: np.ndarray) -> np.ma.MaskedArray:
        refs = np.asarray(refs, dtype=np.int64)
        return np.ma.masked_array(members[np.maximum(refs, 0)], mask=refs < 0)

    with indexes_rebuilt_after(RunResult, n):
        insert_rows(
            RunResult,
            {
                "run_id": np.full(n, run.pk, dtype=np.int64),
                "distributor_id": members,
                "sponsor_id": parents(inputs.sponsor),
                "placement_id": parents(inputs.placement),
                "pv": result.pv,
                "cv": result.cv,
                "gv": result.gv,
                "qualifying_volume": result.qualifying_volume,
                "active": result.active,
                "qualified_rank": result.qualified_rank,
                "paid_as_rank": result.paid_as_rank,
                "highest_rank": result.highest_rank,
                "earned": result.earned,
                "carry_left": result.carry_left,
                "carry_right": result.carry_right,
                "by_bonus": by_bonus_bytes,
                "trace": Const(None),
            },
            n,
        )
    store_traces(run.pk, traces)


def _write_lines(run: Run, comp: Computation) -> None:
    """Every commission line of a final run, one packed block per recipient."""
    blocks = pack(comp.result.lines, comp.member_ids, comp.stored.order_ids)
    count = len(blocks.recipients)
    with indexes_rebuilt_after(LineBlock, count):
        insert_rows(
            LineBlock,
            {
                "run_id": np.full(count, run.pk, dtype=np.int64),
                "recipient_id": blocks.recipients,
                "lines": blocks.counts,
                "amount": blocks.amounts,
                "data": Packed(blocks.byte_lengths, blocks.data),
            },
            count,
        )


def _prune_projections(period: Period) -> None:
    old = list(
        Run.objects.filter(period=period, kind=Run.Kind.PROJECTION)
        .order_by("-computed_at", "-id")
        .values_list("pk", flat=True)[KEEP_PROJECTIONS:]
    )
    if old:
        RunResult.objects.filter(run_id__in=old).delete()
        Run.objects.filter(pk__in=old).delete()


def do_run_projection(
    period: Period, *, actor: User | None = None, on_step: Step | None = None
) -> Run:
    """Compute and store a projection of open ``period`` (read-only for money)."""
    if not period.is_open:
        raise CompensationError(
            _("Period %(period)s is closed; its final results replace projections.")
            % {"period": period.code}
        )
    clock = _Clock({}, on_step)
    comp = compute(period, clock=clock)
    traces = _traces(comp)
    with transaction.atomic():
        run = _run_row(comp, Run.Kind.PROJECTION, actor)
        _write_results(run, comp, traces)
        _prune_projections(period)
        _record_run_finished(run)
    clock.done("results")
    return run


def do_run_preview(
    period: Period,
    *,
    actor: User | None = None,
    version: PlanVersion | None = None,
    on_step: Step | None = None,
) -> Run:
    """Compute and store a preview of ``period`` (nothing posted)."""
    clock = _Clock({}, on_step)
    comp = compute(period, version=version, clock=clock)
    traces = _traces(comp)
    with transaction.atomic():
        run = _run_row(comp, Run.Kind.PREVIEW, actor)
        _write_results(run, comp, traces)
        _record_run_finished(run)
    clock.done("results")
    return run


def _claim_final(period: Period) -> None:
    """Take the final-run lock of ``period`` for this transaction, or refuse at once."""
    if connection.vendor != "postgresql":
        return  # the IMMEDIATE write transaction already excludes every other writer
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [FINAL_LOCK, period.pk])
        (taken,) = cursor.fetchone()
    if not taken:
        raise CompensationError(
            _("A final run of period %(period)s is in progress; only one can run.")
            % {"period": period.code}
        )


def _check_final_allowed(period: Period) -> None:
    existing = Run.objects.filter(period=period, kind=Run.Kind.FINAL).first()
    if existing is not None:
        raise CompensationError(
            _("Period %(period)s already has its final run (#%(run)s); a final runs once.")
            % {"period": period.code, "run": existing.pk}
        )
    if not period.is_open:
        raise CompensationError(
            _("Period %(period)s is closed without a final run; reopen it first.")
            % {"period": period.code}
        )
    if timezone.now() < period.ends_at:
        raise CompensationError(
            _("Period %(period)s has not ended yet; its final run can start after %(end)s.")
            % {"period": period.code, "end": timezone.localtime(period.ends_at).isoformat()}
        )
    earlier = Period.objects.filter(
        kind=period.kind, status=Period.Status.OPEN, starts_at__lt=period.starts_at
    ).first()
    if earlier is not None:
        raise CompensationError(
            _(
                "Run the final of period %(earlier)s before period %(period)s; periods close in order."
            )
            % {"earlier": earlier.code, "period": period.code}
        )


def do_run_final(period: Period, *, actor: User | None = None, on_step: Step | None = None) -> Run:
    """The final run of ``period`` (see the module rules); returns the stored run."""
    try:
        with transaction.atomic():
            _claim_final(period)
            locked = Period.objects.select_for_update().get(pk=period.pk)
            _check_final_allowed(locked)
            clock = _Clock({}, on_step)
            comp = compute(locked, clock=clock)
            plan = comp.loaded.plan
            run = _run_row(comp, Run.Kind.FINAL, actor)
            _write_lines(run, comp)
            clock.done("lines")
            traces = _traces(comp)
            _write_results(run, comp, traces)
            clock.done("results")
            state = state_json(
                comp.result.state,
                plan,
                comp.stored.inputs.ids,
                period=locked.code,
                plan_digest=comp.version.digest,
                compact=True,
            )
            run.state = zlib.compress(state, STATE_COMPRESSION)
            if comp.version.locked_at is None:
                PlanVersion.objects.filter(pk=comp.version.pk).update(locked_at=timezone.now())
            _post_commissions(run, comp, actor)
            clock.done("ledger")
            do_close_period(locked, actor=actor, reason=f"final run #{run.pk}")
            run.finished_at = timezone.now()
            run.timings = clock.timings
            run.save(update_fields=["state", "finished_at", "timings"])
            _record_rank_advances(run, comp)
            _record_run_finished(run)
            clock.done("close")
    except PeriodError as error:
        raise CompensationError(str(error)) from error
    except IntegrityError as error:
        if "one_final_run_per_period" not in str(error) and "compensation_run.period" not in str(
            error
        ):
            raise
        raise CompensationError(
            _("Another final run of period %(period)s finished first.") % {"period": period.code}
        ) from error
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        raise CompensationError(
            _("A final run of period %(period)s is in progress; only one can run.")
            % {"period": period.code}
        ) from error
    return run


def _record_run_finished(run: Run) -> None:
    """The ``run.finished`` event of ``run`` (in the run's transaction)."""
    outbox.record_event(
        outbox.RUN_FINISHED,
        {
            "run": run.pk,
            "run_kind": run.kind,
            "period": run.period.code,
            "plan_version": run.plan_version_id,
            "currency": run.currency,
            "distributors": run.distributors,
            "orders": run.orders,
            "lines": run.lines,
            "total_paid": run.total_paid,
        },
    )


def _record_rank_advances(run: Run, comp: Computation) -> None:
    """One ``rank.advanced`` event per distributor whose paid-as rank in this final run is
    above their highest rank before it, written in bulk."""
    paid_as = comp.result.paid_as_rank
    previous = comp.previous_highest
    if previous is None:
        previous = np.zeros(len(paid_as), dtype=np.int16)
    rows = np.flatnonzero(paid_as > previous)
    if not len(rows):
        return
    pks = comp.member_ids[rows].tolist()
    codes = comp.stored.inputs.ids  # member ids, row by row like ``member_ids``
    names = [rank.name for rank in comp.loaded.plan.ranks]
    outbox.record_events(
        outbox.RANK_ADVANCED,
        (
            (
                pk,
                {
                    "member": codes[row],
                    "rank": names[int(paid_as[row])],
                    "rank_index": int(paid_as[row]),
                    "previous_rank": names[int(previous[row])],
                    "previous_rank_index": int(previous[row]),
                    "period": run.period.code,
                    "run": run.pk,
                },
            )
            for pk, row in zip(pks, rows.tolist(), strict=True)
        ),
    )


def _post_commissions(run: Run, comp: Computation, actor: User | None) -> Transaction | None:
    """Credit each distributor's earnings (netted against what they owe) against the
    company's commission expense, as one transaction tied to the run."""
    earned = comp.result.earned
    rows = np.flatnonzero(earned != 0)
    if not len(rows):
        return None
    lock_accounts()
    currency = run.currency
    entries, counter = distributor_entries(comp.member_ids[rows], earned[rows], currency)
    expense = company_account(Account.Kind.COMMISSION_EXPENSE, currency)
    return post(
        Transaction.Kind.COMMISSIONS,
        memos.memo(memos.COMMISSIONS, period=run.period.code, run=run.pk),
        Entries.join(entries, Entries(np.array([expense.pk]), np.array([-counter]))),
        actor=actor,
        idempotency_key=f"final-run:{run.period.code}",
        run_id=run.pk,
        currency=currency,
    )
