"""The academy's KPI counters, folded incrementally from progress rows and quiz attempts.

The console's KPI page must not count 20 million progress rows on every load. It reads small
tables instead (``LessonCount``, ``CourseCount``, ``TrackCount``, ``QuestionCount``) plus the
part not folded yet, and the joiner cohorts from a snapshot (``KpiSnapshot`` ``cohorts``).

What is counted (the same definitions as the full computation, ``full_counts``):

* per lesson: ``started`` = progress rows, ``completed`` = rows in state ``completed``;
* per course / track: members with at least one progress row on a lesson of the course / track;
* per question: how often it was asked, and marked right, in finished (passed or failed) attempts.

How a progress change reaches the counters. Every progress write goes through
``summary.touch``/``summary.completed`` in the writer's transaction, which set the member's
``TrainingSummary.kpi_pending`` and raise its ``kpi_version``. A fold (``fold_batch``, one
transaction, one fold at a time) locks pending members' summary rows (``SKIP LOCKED``: members
being written right now wait for the next fold), then reads their progress rows in a later
statement, so it sees every write committed before, and no write of theirs can commit until it
ends (see ``_busy_members`` for the lock order). Each row carries ``folded_state``, the state already counted ("" for none): a row with
``folded_state`` "" adds one ``started``; a row now ``completed`` and not counted as such adds one
``completed``; a member's first counted row in a course (track) adds one member there. The fold
then stores the state it saw as ``folded_state`` and clears ``kpi_pending`` only where the version
is still the one read (a write committed meanwhile keeps the member pending). Finished attempts
are counted once each (``kpi_folded``); a finished attempt never changes again.

A course's or track's lesson set can change (authoring); the counter remembers the set it was
counted for (``lessons``) and is recounted from the folded rows when it differs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import (
    Course,
    CourseCount,
    KpiSnapshot,
    Lesson,
    LessonCount,
    LessonProgress,
    Question,
    QuestionCount,
    QuizAttempt,
    Track,
    TrackCount,
    TrackItem,
    TrainingSummary,
)

FOLD_BATCH = 2000
LIVE_PENDING_LIMIT = 20_000  # the KPI page adds at most this many unfolded members live
COHORTS_EVERY = timedelta(hours=1)
FINISHED = (QuizAttempt.Status.PASSED, QuizAttempt.Status.FAILED)
COMPLETED = LessonProgress.State.COMPLETED


@dataclass
class Layout:
    """Which course each lesson belongs to, and each track's lessons (and their fingerprints)."""

    course_of: dict[int, int]
    course_lessons: dict[int, list[int]]
    track_lessons: dict[int, set[int]]

    @classmethod
    def now(cls) -> Layout:
        course_of = dict(Lesson.objects.values_list("pk", "course_id"))
        course_lessons: dict[int, list[int]] = {
            pk: [] for pk in Course.objects.values_list("pk", flat=True)
        }
        for lesson, course in course_of.items():
            course_lessons[course].append(lesson)
        track_lessons: dict[int, set[int]] = {
            pk: set() for pk in Track.objects.values_list("pk", flat=True)
        }
        for track, lesson in TrackItem.objects.filter(lesson__isnull=False).values_list(
            "track_id", "lesson_id"
        ):
            track_lessons[track].add(lesson)
        return cls(course_of, course_lessons, track_lessons)

    @staticmethod
    def fingerprint(lessons: Iterable[int]) -> str:
        return ",".join(str(pk) for pk in sorted(lessons))


@dataclass
class Deltas:
    """What folding some rows adds to each counter."""

    started: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    completed: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    courses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    tracks: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    asked: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    right: dict[int, int] = field(default_factory=lambda: defaultdict(int))


Row = tuple[int, int, int, str, str]  # progress id, member, lesson, state, folded_state


def progress_deltas(rows: Iterable[Row], layout: Layout, deltas: Deltas) -> list[tuple[int, str]]:
    """Add what ``rows`` (every progress row of some members) change to ``deltas``; returns the
    (progress id, state) of the rows whose state is not counted yet."""
    by_member: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_member[row[1]].append(row)
    changed: list[tuple[int, str]] = []
    for member_rows in by_member.values():
        before = {lesson for _pk, _m, lesson, _s, folded in member_rows if folded}
        after = {lesson for _pk, _m, lesson, _s, _f in member_rows}
        for pk, _member, lesson, state, folded in member_rows:
            if state == folded:
                continue
            changed.append((pk, state))
            if not folded:
                deltas.started[lesson] += 1
            if state == COMPLETED and folded != COMPLETED:
                deltas.completed[lesson] += 1
        if after == before:
            continue
        courses_before = {layout.course_of.get(lesson) for lesson in before}
        for course in {layout.course_of.get(lesson) for lesson in after} - courses_before:
            if course is not None:
                deltas.courses[course] += 1
        for track, lessons in layout.track_lessons.items():
            if lessons & after and not lessons & before:
                deltas.tracks[track] += 1
    return changed


def attempt_deltas(attempts: Iterable[tuple[int, dict]], deltas: Deltas) -> list[int]:
    """Add the marks of finished ``attempts`` (id, marks) to ``deltas``; returns their ids."""
    ids = []
    for pk, marks in attempts:
        ids.append(pk)
        for qid, value in (marks or {}).items():
            deltas.asked[int(qid)] += 1
            if value:
                deltas.right[int(qid)] += 1
    return ids


def _rows_of(members: list[int]) -> list[Row]:
    return list(
        LessonProgress.objects.filter(member_id__in=members).values_list(
            "pk", "member_id", "lesson_id", "state", "folded_state"
        )
    )


def _values_update(table: str, set_sql: str, where_sql: str, columns: str, rows: list[tuple]):
    """``UPDATE table SET … FROM (VALUES rows) v(columns) WHERE …``, 1000 rows a statement."""
    width = len(rows[0]) if rows else 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            marks = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            cursor.execute(
                f"WITH v({columns}) AS (VALUES {marks}) UPDATE {table} SET {set_sql} FROM v "
                f"WHERE {where_sql}",
                [value for row in chunk for value in row],
            )


def _add(model, key: str, values: dict[str, dict[int, int]]) -> None:
    """Add each ``values[column][pk]`` to the counter row ``pk`` of ``model`` (made if missing)."""
    pks = set().union(*(column.keys() for column in values.values()))
    existing = set(model.objects.filter(pk__in=pks).values_list("pk", flat=True))
    model.objects.bulk_create([model(**{key: pk}) for pk in pks - existing])
    for pk in pks:
        increments = {
            name: F(name) + column[pk] for name, column in values.items() if column.get(pk)
        }
        if increments:
            model.objects.filter(pk=pk).update(**increments)


def _recount_distinct(lessons: Iterable[int], *, folded_only: bool) -> int:
    lessons = list(lessons)
    if not lessons:
        return 0
    rows = LessonProgress.objects.filter(lesson_id__in=lessons)
    if folded_only:
        rows = rows.exclude(folded_state="")
    return rows.values("member_id").distinct().count()


def _sync_layout(layout: Layout) -> None:
    """Recount the courses and tracks whose lesson set changed since they were counted."""
    for model, key, sets in (
        (CourseCount, "course_id", layout.course_lessons),
        (TrackCount, "track_id", layout.track_lessons),
    ):
        stored = dict(model.objects.values_list("pk", "lessons"))
        for pk, lessons in sets.items():
            fingerprint = Layout.fingerprint(lessons)
            if stored.get(pk) == fingerprint:
                continue
            members = _recount_distinct(lessons, folded_only=True)
            model.objects.update_or_create(
                **{key: pk}, defaults={"members": members, "lessons": fingerprint}
            )


def _busy_members(rows: list[Row]) -> set[int]:
    """Members with a progress row locked by a writer right now; they are left for the next
    fold. The fold holds the members' summary rows (every progress write takes its member's
    summary row in the same transaction, ``summary.touch``), so their rows cannot change under
    it; it must only never wait for a row lock a writer holds while that writer waits for the
    summary row (a deadlock): it locks the rows with ``SKIP LOCKED`` and skips whoever it
    could not lock. SQLite runs one writer at a time and needs none of this."""
    if not rows or not connection.features.has_select_for_update_skip_locked:
        return set()
    locked = set(
        LessonProgress.objects.select_for_update(skip_locked=True)
        .filter(pk__in=[row[0] for row in rows])
        .values_list("pk", flat=True)
    )
    return {row[1] for row in rows if row[0] not in locked}


def _lock_fold() -> None:
    KpiSnapshot.objects.get_or_create(key="fold")
    KpiSnapshot.objects.select_for_update().get(key="fold")


def fold_batch(batch: int = FOLD_BATCH) -> int:
    """Fold up to ``batch`` pending members and ``batch`` finished attempts into the counters,
    in one transaction; returns how many members and attempts were folded."""
    with transaction.atomic():
        _lock_fold()
        layout = Layout.now()
        _sync_layout(layout)
        pending = list(
            TrainingSummary.objects.select_for_update(skip_locked=True)
            .filter(kpi_pending=True)
            .order_by("member_id")
            .values_list("member_id", "kpi_version")[:batch]
        )
        rows = _rows_of([m for m, _v in pending])
        busy = _busy_members(rows)
        if busy:
            rows = [row for row in rows if row[1] not in busy]
            pending = [(m, v) for m, v in pending if m not in busy]
        deltas = Deltas()
        changed = progress_deltas(rows, layout, deltas)
        attempts = list(
            QuizAttempt.objects.filter(kpi_folded=False, status__in=FINISHED)
            .order_by("pk")
            .values_list("pk", "marks")[:batch]
        )
        attempt_ids = attempt_deltas(attempts, deltas)
        known = set(Question.objects.filter(pk__in=deltas.asked).values_list("pk", flat=True))
        for gone in set(deltas.asked) - known:  # answers to deleted questions are not shown
            deltas.asked.pop(gone)
            deltas.right.pop(gone, None)
        progress = LessonProgress._meta.db_table
        summaries = TrainingSummary._meta.db_table
        if changed:
            _values_update(
                progress, "folded_state = v.state", f"{progress}.id = v.id", "id, state", changed
            )
        _add(LessonCount, "lesson_id", {"started": deltas.started, "completed": deltas.completed})
        _add(CourseCount, "course_id", {"members": deltas.courses})
        _add(TrackCount, "track_id", {"members": deltas.tracks})
        _add(QuestionCount, "question_id", {"asked": deltas.asked, "right": deltas.right})
        if pending:
            _values_update(
                summaries,
                "kpi_pending = %s" % ("false" if connection.vendor == "postgresql" else "0"),
                f"{summaries}.member_id = v.member_id AND {summaries}.kpi_version = v.version",
                "member_id, version",
                pending,
            )
        if attempt_ids:
            QuizAttempt.objects.filter(pk__in=attempt_ids).update(kpi_folded=True)
        return len(pending) + len(attempt_ids)


def fold_all(*, batch: int = FOLD_BATCH, seconds: float | None = None) -> int:
    """Fold batches until nothing is pending (or ``seconds`` have passed); returns the rows."""
    started = timezone.now()
    total = 0
    while True:
        done = fold_batch(batch)
        total += done
        if done == 0:
            return total
        if seconds is not None and (timezone.now() - started).total_seconds() > seconds:
            return total


def refresh_cohorts(*, force: bool = False) -> bool:
    """Store the joiner cohorts (``selectors.cohorts_now``) when the stored ones are older than
    ``COHORTS_EVERY`` (or with ``force``); True when they were recomputed."""
    from .selectors import cohorts_now

    snapshot = KpiSnapshot.objects.filter(key="cohorts").first()
    now = timezone.now()
    if (
        not force
        and snapshot
        and snapshot.computed_at
        and now - snapshot.computed_at < COHORTS_EVERY
    ):
        return False
    KpiSnapshot.objects.update_or_create(
        key="cohorts", defaults={"data": cohorts_now(), "computed_at": now}
    )
    return True


# --- reading: counters plus the part not folded yet -----------------------------------------


@dataclass
class Counts:
    started: dict[int, int]
    completed: dict[int, int]
    courses: dict[int, int]
    tracks: dict[int, int]
    asked: dict[int, int]
    right: dict[int, int]
    unfolded: int  # pending members left out (more than ``LIVE_PENDING_LIMIT``); 0 when exact


def current_counts() -> Counts:
    """The counters plus, live, what folding now would add (when at most
    ``LIVE_PENDING_LIMIT`` members are pending); a course or track whose lesson set changed
    since it was counted is counted live over all its rows."""
    layout = Layout.now()
    lessons = {
        pk: (s, c) for pk, s, c in LessonCount.objects.values_list("pk", "started", "completed")
    }
    counts = Counts(
        started={pk: s for pk, (s, _c) in lessons.items()},
        completed={pk: c for pk, (_s, c) in lessons.items()},
        courses={},
        tracks={},
        asked={},
        right={},
        unfolded=0,
    )
    for pk, asked, right in QuestionCount.objects.values_list("pk", "asked", "right"):
        counts.asked[pk], counts.right[pk] = asked, right
    deltas = Deltas()
    pending = list(
        TrainingSummary.objects.filter(kpi_pending=True)
        .order_by("member_id")
        .values_list("member_id", flat=True)[: LIVE_PENDING_LIMIT + 1]
    )
    if len(pending) > LIVE_PENDING_LIMIT:
        counts.unfolded = TrainingSummary.objects.filter(kpi_pending=True).count()
    else:
        progress_deltas(_rows_of(pending), layout, deltas)
        attempt_deltas(
            QuizAttempt.objects.filter(kpi_folded=False, status__in=FINISHED).values_list(
                "pk", "marks"
            ),
            deltas,
        )
    for target, extra in (
        (counts.started, deltas.started),
        (counts.completed, deltas.completed),
        (counts.asked, deltas.asked),
        (counts.right, deltas.right),
    ):
        for pk, value in extra.items():
            target[pk] = target.get(pk, 0) + value
    for model, sets, target, extra in (
        (CourseCount, layout.course_lessons, counts.courses, deltas.courses),
        (TrackCount, layout.track_lessons, counts.tracks, deltas.tracks),
    ):
        stored = {
            pk: (m, fp) for pk, m, fp in model.objects.values_list("pk", "members", "lessons")
        }
        for pk, lesson_ids in sets.items():
            members, fingerprint = stored.get(pk, (0, None))
            if fingerprint == Layout.fingerprint(lesson_ids):
                target[pk] = members + extra.get(pk, 0)
            else:
                target[pk] = _recount_distinct(lesson_ids, folded_only=False)
    return counts


# --- the full computation (bulk loads, the benchmark, and the check that folding is exact) ---


def full_counts(*, folded: bool = False) -> Counts:
    """Every counter computed from all progress rows and finished attempts (grouped
    statements); with ``folded`` from the counted part only (``folded_state``, ``kpi_folded``)."""
    layout = Layout.now()
    counts = Counts({}, {}, {}, {}, {}, {}, 0)
    progress = LessonProgress._meta.db_table
    state = "folded_state" if folded else "state"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT lesson_id, COUNT(*), SUM(CASE WHEN {state} = %s THEN 1 ELSE 0 END)
            FROM {progress} WHERE {state} <> '' GROUP BY lesson_id""",
            [COMPLETED],
        )
        for lesson, started, completed in cursor.fetchall():
            counts.started[lesson], counts.completed[lesson] = started, int(completed or 0)
    for pk, lessons in layout.course_lessons.items():
        counts.courses[pk] = _recount_distinct(lessons, folded_only=folded)
    for pk, lessons in layout.track_lessons.items():
        counts.tracks[pk] = _recount_distinct(lessons, folded_only=folded)
    deltas = Deltas()
    attempts = QuizAttempt.objects.filter(status__in=FINISHED)
    if folded:
        attempts = attempts.filter(kpi_folded=True)
    attempt_deltas(attempts.values_list("pk", "marks").iterator(chunk_size=5000), deltas)
    counts.asked, counts.right = dict(deltas.asked), dict(deltas.right)
    return counts


def rebuild_kpis(*, mark_rows: bool = True) -> Counts:
    """Count everything afresh and mark it all counted (after a bulk load of progress rows;
    ``mark_rows=False`` when the loader wrote ``folded_state = state`` itself).

    Order matters for writers running meanwhile: pending flags are cleared first, then the
    rows are marked, then only marked rows are counted; a write committed after the mark keeps
    its member pending with rows not marked, so the next fold counts it exactly once."""
    with transaction.atomic():
        _lock_fold()
        TrainingSummary.objects.filter(kpi_pending=True).update(kpi_pending=False)
        if mark_rows:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {LessonProgress._meta.db_table} SET folded_state = state "
                    "WHERE folded_state <> state"
                )
        QuizAttempt.objects.filter(kpi_folded=False, status__in=FINISHED).update(kpi_folded=True)
        counts = full_counts(folded=True)
        layout = Layout.now()
        LessonCount.objects.all().delete()
        LessonCount.objects.bulk_create(
            LessonCount(lesson_id=pk, started=counts.started[pk], completed=counts.completed[pk])
            for pk in counts.started
        )
        CourseCount.objects.all().delete()
        CourseCount.objects.bulk_create(
            CourseCount(
                course_id=pk, members=n, lessons=Layout.fingerprint(layout.course_lessons[pk])
            )
            for pk, n in counts.courses.items()
        )
        TrackCount.objects.all().delete()
        TrackCount.objects.bulk_create(
            TrackCount(track_id=pk, members=n, lessons=Layout.fingerprint(layout.track_lessons[pk]))
            for pk, n in counts.tracks.items()
        )
        QuestionCount.objects.all().delete()
        existing = set(Question.objects.filter(pk__in=counts.asked).values_list("pk", flat=True))
        QuestionCount.objects.bulk_create(
            QuestionCount(question_id=pk, asked=n, right=counts.right.get(pk, 0))
            for pk, n in counts.asked.items()
            if pk in existing
        )
    return counts
