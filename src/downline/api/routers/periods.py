"""``/periods``: periods, their commission runs, and starting a preview run through the
console's own action (``web.actions.do_start_run``: queued as a job for the task worker, one
unfinished job per period)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from downline.compensation.models import Run
from downline.periods.models import Period
from downline.web.actions import do_start_run
from downline.web.models import RunJob

from .. import audit
from ..auth import actor, need
from ..pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from ..schemas import PeriodOut, PeriodPage, RunJobOut, RunPage, StartRunIn
from .visibility import not_found

router = Router()


def period_dict(period: Period) -> dict:
    return {
        "code": period.code,
        "kind": period.kind,
        "status": period.status,
        "starts_at": period.starts_at,
        "ends_at": period.ends_at,
        "closed_at": period.closed_at,
    }


def run_dict(run: Run) -> dict:
    return {
        "id": run.pk,
        "period": run.period.code,
        "kind": run.kind,
        "computed_at": run.computed_at,
        "finished_at": run.finished_at,
        "currency": run.currency,
        "distributors": run.distributors,
        "orders": run.orders,
        "lines": run.lines,
        "total_paid": run.total_paid,
        "total_pv": run.total_pv,
        "total_cv": run.total_cv,
    }


def job_dict(job: RunJob) -> dict:
    return {
        "id": job.pk,
        "period": job.period.code,
        "kind": job.kind,
        "status": job.status,
        "error": job.error,
        "run": job.run_id,
    }


def _period_or_404(code: str) -> Period:
    period = Period.objects.filter(code=code).first()
    if period is None:
        raise not_found(_("period %(code)s") % {"code": code})
    return period


@router.get("", response=PeriodPage, summary="List periods")
def list_periods(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    status: str | None = Query(None, pattern="^(open|closed)$"),
    kind: str | None = Query(None, pattern="^(monthly|weekly)$"),
):
    need(request, "periods:read")
    rows = Period.objects.all()
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    return page(rows, cursor=cursor, limit=limit, render=period_dict)


@router.get("/{code}", response=PeriodOut, summary="Read a period")
def get_period(request: HttpRequest, code: str):
    need(request, "periods:read")
    return period_dict(_period_or_404(code))


@router.get("/{code}/runs", response=RunPage, summary="List the runs of a period")
def list_runs(
    request: HttpRequest,
    code: str,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    kind: str | None = Query(None, pattern="^(projection|preview|final)$"),
):
    need(request, "runs:read")
    period = _period_or_404(code)
    rows = Run.objects.filter(period=period).select_related("period")
    if kind:
        rows = rows.filter(kind=kind)
    return page(rows, cursor=cursor, limit=limit, render=run_dict)


@router.post("/{code}/runs", response={202: RunJobOut}, summary="Start a preview run")
def start_run(request: HttpRequest, code: str, payload: StartRunIn):
    """Queue a preview run of the period (the console's action); poll the job."""
    need(request, "runs:write")
    period = _period_or_404(code)
    with transaction.atomic():
        job = do_start_run(period, payload.kind, actor=actor(request))
        audit.record(request, "runs.start_preview", f"job {job.pk}", 202)
    return Status(202, job_dict(RunJob.objects.select_related("period").get(pk=job.pk)))


@router.get("/{code}/jobs/{job_id}", response=RunJobOut, summary="Read a run job")
def get_job(request: HttpRequest, code: str, job_id: int):
    need(request, "runs:read")
    job = RunJob.objects.select_related("period").filter(pk=job_id, period__code=code).first()
    if job is None:
        raise not_found(_("job %(id)s") % {"id": job_id})
    return job_dict(job)
