"""``TrainingSummary`` upkeep: one row per learner with counts for the sponsor's team report.

``touch``/``completed``/``quiz_result`` are called by the actions in their transaction; the
first two also mark the member for the KPI fold (``kpi_pending``, ``kpi_version``);
``rebuild_summaries`` recomputes every row from progress and attempts with two statements
(the demo and bulk loads call it after ``bulk_create``). Each row keeps a copy of the member's
sponsor path: taken when the row is made, kept by the genealogy's hooks (``apps.py``).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from downline.genealogy import sponsor_path
from downline.genealogy.models import Distributor
from downline.genealogy.tree_sql import ENROLLMENT

from .models import LessonProgress, QuizAttempt, TrainingSummary


def touch(member_id: int, *, new_lesson: bool) -> None:
    """A progress row of the member was written: count it, and mark the member for the KPI
    fold (``kpi_fold``), in the writer's transaction."""
    now = timezone.now()
    updated = TrainingSummary.objects.filter(pk=member_id).update(
        touched=F("touched") + (1 if new_lesson else 0),
        last_at=now,
        kpi_pending=True,
        kpi_version=F("kpi_version") + 1,
    )
    if updated:
        return
    _row, created = TrainingSummary.objects.get_or_create(
        member_id=member_id,
        defaults={
            "touched": 1 if new_lesson else 0,
            "last_at": now,
            "kpi_pending": True,
            "kpi_version": 1,
            "sponsor_path": _locked_path(member_id),
        },
    )
    if not created:  # made by a concurrent first write of the same member
        TrainingSummary.objects.filter(pk=member_id).update(
            touched=F("touched") + (1 if new_lesson else 0),
            last_at=now,
            kpi_pending=True,
            kpi_version=F("kpi_version") + 1,
        )


def _locked_path(member_id: int) -> str:
    """The member's stored sponsor path, its row locked until the caller commits: a sponsor
    move (which updates that row) waits for the new summary row and then copies its path too,
    or has committed, and the lock reads the path it wrote."""
    rows = Distributor.objects.filter(pk=member_id)
    if connection.vendor == "postgresql":
        rows = rows.select_for_update(no_key=True)
    return rows.values_list("sponsor_path", flat=True).first() or ""


def _copy_paths(condition: str = "", params: list | None = None) -> int:
    """Copy the distributors' sponsor paths into the summaries that differ (of the members
    matching ``condition`` on the distributor table ``d``); returns the rows written."""
    summary = TrainingSummary._meta.db_table
    where = f" AND {condition}" if condition else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {summary} SET sponsor_path = d.sponsor_path FROM {Distributor._meta.db_table} d
            WHERE d.id = {summary}.member_id AND {summary}.sponsor_path <> d.sponsor_path{where}""",
            params or [],
        )
        return cursor.rowcount


def follow_sponsor_move(*, period_ids, member_id: int, tree: str, old_parent_id, new_parent_id):
    """Handler of ``hooks.SUBTREE_MOVED``: after a sponsor change, the summaries of the moved
    member and everyone below take their new paths, in the move's transaction."""
    if tree != ENROLLMENT:
        return 0
    path = Distributor.objects.filter(pk=member_id).values_list("sponsor_path", flat=True).get()
    condition, params = sponsor_path.below_condition(path, alias="d", include_self=True)
    return _copy_paths(condition, params)


def copy_sponsor_paths() -> int:
    """Handler of ``hooks.SPONSOR_PATHS_REBUILT`` (and the end of ``rebuild_summaries``): every
    summary takes its member's stored path."""
    return _copy_paths()


def completed(member_id: int) -> None:
    TrainingSummary.objects.filter(pk=member_id).update(
        completed=F("completed") + 1,
        last_at=timezone.now(),
        kpi_pending=True,
        kpi_version=F("kpi_version") + 1,
    )


def quiz_result(member_id: int) -> None:
    """Recount the member's quizzes failed at least twice and never passed."""
    failed_twice = (
        QuizAttempt.objects.filter(member_id=member_id)
        .values("quiz_id")
        .annotate(
            failed=Count("pk", filter=Q(status=QuizAttempt.Status.FAILED)),
            passed=Count("pk", filter=Q(status=QuizAttempt.Status.PASSED)),
        )
        .filter(failed__gte=2, passed=0)
        .count()
    )
    TrainingSummary.objects.filter(pk=member_id).update(
        failed_twice=failed_twice, last_at=timezone.now()
    )


def rebuild_summaries() -> int:
    """Recompute every summary row from the progress and attempt tables; returns the rows."""
    summary = TrainingSummary._meta.db_table
    progress = LessonProgress._meta.db_table
    attempts = QuizAttempt._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {summary}")
        cursor.execute(
            f"""INSERT INTO {summary} (member_id, touched, completed, last_at, failed_twice)
            SELECT member_id, COUNT(*), SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END),
                MAX(updated_at), 0
            FROM {progress} GROUP BY member_id"""
        )
        rows = cursor.rowcount
        cursor.execute(
            f"""UPDATE {summary} SET failed_twice = f.n FROM (
                SELECT member_id, COUNT(*) AS n FROM (
                    SELECT member_id, quiz_id FROM {attempts} GROUP BY member_id, quiz_id
                    HAVING SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) >= 2
                       AND SUM(CASE WHEN status = 'passed' THEN 1 ELSE 0 END) = 0
                ) q GROUP BY member_id
            ) f WHERE {summary}.member_id = f.member_id"""
        )
    copy_sponsor_paths()
    return rows
