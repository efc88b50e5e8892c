"""Reads of commission runs for the back office and the console (nothing here writes).

* ``statements_of``: a distributor's final results, newest period first (their statements).
* ``rank_names``: the rank names of a run's plan version, by the stored rank index.
* ``advancement_pairs`` / ``advancements_between``: rank advancements. **Definition**: a member
  advanced in run *b* when their ``highest_rank`` in *b* is above their ``highest_rank`` in the
  earlier run *a*; a member without a result in *a* counts from the plan's first rank. The
  pairs compared are (the previous final run, the latest final run) and (the latest final run,
  the newest projection of the open period); ranks are compared by their position in *b*'s
  plan (a rank of *a* that *b*'s plan does not have counts as the first rank).
* ``period_figures``: per final run, the console's chart figures (revenue, CV, active and new
  distributors, retention, payout ratio, paid-as ranks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count

from downline.calendar import local_day
from downline.genealogy.models import Distributor
from downline.periods.models import Period

from .models import Run, RunResult
from .plans import loaded_plan

ADVANCEMENT_CANDIDATES = 200


def rank_names(run: Run) -> list[str]:
    return [rank.name for rank in loaded_plan(run.plan_version).plan.ranks]


@dataclass(frozen=True)
class StatementRow:
    """One period's final result of a distributor (the head of a statement)."""

    period: Period
    run: Run
    earned: int
    paid_as_rank: str
    highest_rank: str
    active: bool


def statements_of(member: Distributor, limit: int = 60) -> list[StatementRow]:
    """The final results of ``member``, newest period first (two queries)."""
    runs = {
        run.pk: run
        for run in Run.objects.filter(kind=Run.Kind.FINAL)
        .select_related("period", "plan_version")
        .order_by("-period__starts_at")[:limit]
    }
    results = RunResult.objects.filter(run_id__in=list(runs), distributor=member).only(
        "run_id", "earned", "paid_as_rank", "highest_rank", "active"
    )
    rows = []
    for result in results:
        run = runs[result.run_id]
        names = rank_names(run)
        rows.append(
            StatementRow(
                period=run.period,
                run=run,
                earned=result.earned,
                paid_as_rank=names[result.paid_as_rank],
                highest_rank=names[result.highest_rank],
                active=result.active,
            )
        )
    rows.sort(key=lambda row: row.period.starts_at, reverse=True)
    return rows


def final_run_of_code(code: str) -> Run | None:
    return (
        Run.objects.filter(kind=Run.Kind.FINAL, period__code=code)
        .select_related("period", "plan_version")
        .first()
    )


# --------------------------------------------------------------------------- advancements


@dataclass(frozen=True)
class RunPair:
    """Run ``after`` compared with the earlier run ``before`` (``None``: nothing before)."""

    before: Run | None
    after: Run

    @property
    def rank_map(self) -> list[int] | None:
        """Index of each of ``before``'s ranks in ``after``'s plan (``None``: same plan ranks)."""
        if self.before is None:
            return None
        old, new = rank_names(self.before), rank_names(self.after)
        if old == new:
            return None
        return [new.index(name) if name in new else 0 for name in old]


def advancement_pairs(now: datetime | None = None) -> list[RunPair]:
    """The pairs of runs whose rank advancements are shown (see the module rules)."""
    finals = list(
        Run.objects.filter(kind=Run.Kind.FINAL)
        .select_related("period", "plan_version")
        .order_by("-period__starts_at")[:2]
    )
    pairs = []
    if finals:
        pairs.append(RunPair(finals[1] if len(finals) > 1 else None, finals[0]))
    projection = (
        Run.objects.filter(kind=Run.Kind.PROJECTION, period__status=Period.Status.OPEN)
        .select_related("period", "plan_version")
        .order_by("-computed_at", "-id")
        .first()
    )
    if projection is not None and (
        not finals or projection.period.starts_at > finals[0].period.starts_at
    ):
        pairs.append(RunPair(finals[0] if finals else None, projection))
    return pairs


def _advanced(pair: RunPair, rows) -> list[tuple[int, int, int]]:
    """``(distributor_id, old_rank, new_rank)`` for rows ``(id, new_rank, old_rank|None)``."""
    mapping = pair.rank_map
    out = []
    for pk, new, old in rows:
        old = 0 if old is None else (old if mapping is None else mapping[old])
        if new > old:
            out.append((pk, old, new))
    return out


def advancements_in_team(pair: RunPair, downline_sql: str, params: list) -> list[tuple]:
    """Advancements of the members listed by ``downline_sql`` (a recursive walk selecting
    ``id, lvl`` as CTE ``downline``): ``(distributor_id, old, new, level)``."""
    table = RunResult._meta.db_table
    before = pair.before.pk if pair.before is not None else -1
    with connection.cursor() as cursor:
        cursor.execute(
            f"""{downline_sql}
SELECT a.distributor_id, a.highest_rank, b.highest_rank, w.lvl
FROM downline w JOIN {table} a ON a.run_id = %s AND a.distributor_id = w.id
LEFT JOIN {table} b ON b.run_id = %s AND b.distributor_id = w.id
WHERE a.highest_rank > 0""",
            [*params, pair.after.pk, before],
        )
        rows = cursor.fetchall()
    levels = {row[0]: row[3] for row in rows}
    return [(pk, old, new, levels[pk]) for pk, old, new in _advanced(pair, [r[:3] for r in rows])]


def network_advancements(pair: RunPair) -> list[tuple[int, int, int]]:
    """The ``ADVANCEMENT_CANDIDATES`` highest advancements of the whole network in ``pair``,
    highest new rank first: ``(distributor_id, old, new)``. Computed once per pair of runs
    (stored runs never change) and kept in the cache for a day."""
    key = f"rank-advancements:{pair.before.pk if pair.before else 0}:{pair.after.pk}"
    found = cache.get(key)
    if found is not None:
        return found
    table = RunResult._meta.db_table
    before = pair.before.pk if pair.before is not None else -1
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT a.distributor_id, a.highest_rank, b.highest_rank
FROM {table} a LEFT JOIN {table} b ON b.run_id = %s AND b.distributor_id = a.distributor_id
WHERE a.run_id = %s AND a.highest_rank > 0 AND a.highest_rank > COALESCE(b.highest_rank, -1)""",
            [before, pair.after.pk],
        )
        rows = cursor.fetchall()
    found = sorted(_advanced(pair, rows), key=lambda row: (-row[2], row[0]))
    found = found[:ADVANCEMENT_CANDIDATES]
    cache.set(key, found, 24 * 3600)
    return found


# --------------------------------------------------------------------------- console charts


@dataclass(frozen=True)
class PeriodFigures:
    """One closed period (its final run). Money in minor units of ``currency``."""

    code: str
    currency: str
    minor_digits: int
    revenue: int
    cv: int
    paid: int
    distributors: int
    active: int
    new: int
    retained: int | None  # active in this period among those active in the previous one
    previously_active: int | None

    @property
    def payout_ratio_bp(self) -> int | None:
        """Commissions paid ÷ revenue in basis points, rounded down; ``None`` without revenue."""
        return None if self.revenue <= 0 else self.paid * 10_000 // self.revenue

    @property
    def retention_bp(self) -> int | None:
        if not self.previously_active:
            return None
        return (self.retained or 0) * 10_000 // self.previously_active


def period_figures(limit: int = 12) -> list[PeriodFigures]:
    """The last ``limit`` final runs, oldest first (each period's figures cached by run id).

    Revenue is the run's turnover in the plan currency (orders' amounts, returns
    subtracted); new distributors joined within the period; retention counts distributors
    active in the previous final run who are active again."""
    finals = list(
        Run.objects.filter(kind=Run.Kind.FINAL)
        .select_related("period")
        .order_by("-period__starts_at")[: limit + 1]
    )
    finals.reverse()
    out = []
    for index, run in enumerate(finals):
        previous = finals[index - 1] if index else None
        if index == 0 and len(finals) > limit:
            continue
        key = f"period-figures:{run.pk}:{previous.pk if previous else 0}"
        figures = cache.get(key)
        if figures is None:
            figures = _figures(run, previous)
            cache.set(key, figures, 24 * 3600)
        out.append(figures)
    return out


def _figures(run: Run, previous: Run | None) -> PeriodFigures:
    period = run.period
    # the period's first and last calendar days in the company's time zone (its bounds are
    # instants: a Berlin month starts at 22:00 or 23:00 UTC of the previous month's last day)
    first = local_day(period.starts_at, settings.DOWNLINE_TIME_ZONE)
    last = local_day(period.ends_at - timedelta(microseconds=1), settings.DOWNLINE_TIME_ZONE)
    new = Distributor.objects.filter(
        kind=Distributor.Kind.DISTRIBUTOR, joined_on__gte=first, joined_on__lte=last
    ).count()
    retained = previously = None
    if previous is not None:
        table = RunResult._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT COUNT(*), COUNT(b.distributor_id) FROM {table} a
LEFT JOIN {table} b ON b.run_id = %s AND b.distributor_id = a.distributor_id AND b.active
WHERE a.run_id = %s AND a.active""",
                [run.pk, previous.pk],
            )
            previously, retained = cursor.fetchone()
    active = run.summary.get("counts", {}).get("active")
    if active is None:
        active = RunResult.objects.filter(run=run, active=True).count()
    return PeriodFigures(
        code=period.code,
        currency=run.currency,
        minor_digits=run.minor_digits,
        revenue=run.total_amount * 10**run.minor_digits // 100,
        cv=run.total_cv,
        paid=run.total_paid,
        distributors=run.distributors,
        active=int(active),
        new=new,
        retained=retained,
        previously_active=previously,
    )


def rank_counts(run: Run) -> list[tuple[str, int]]:
    """How many distributors each rank was paid as in ``run`` (every rank, in plan order)."""
    names = rank_names(run)
    counts = dict(
        RunResult.objects.filter(run=run)
        .values_list("paid_as_rank")
        .annotate(count=Count("id"))
        .values_list("paid_as_rank", "count")
    )
    return [(name, int(counts.get(index, 0))) for index, name in enumerate(names)]


def results_page(run: Run, page: int, page_size: int = 50, query: str = "") -> tuple[list, int]:
    """One page of a run's results by earnings (highest first), with member id and name."""
    rows = RunResult.objects.filter(run=run)
    if query:
        rows = rows.filter(distributor__member_id__istartswith=query)
    total = rows.count()
    start = (page - 1) * page_size
    page_rows = list(
        rows.select_related("distributor")
        .only(
            "distributor__member_id",
            "distributor__name",
            "pv",
            "gv",
            "active",
            "paid_as_rank",
            "highest_rank",
            "earned",
        )
        .order_by("-earned", "distributor_id")[start : start + page_size]
    )
    return page_rows, total
