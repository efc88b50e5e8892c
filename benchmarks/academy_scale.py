"""The academy at scale on PostgreSQL: 1,000,000 distributors, 60 lessons, 20 million progress rows.

    .venv/bin/python benchmarks/academy_scale.py            # reuse dl_academy_bench or build it
    .venv/bin/python benchmarks/academy_scale.py --rebuild  # build it again

The database (default ``dl_academy_bench`` at 127.0.0.1:5432) is migrated, then filled inside
the server with ``INSERT … SELECT generate_series`` (no round trips): a network of
``--distributors`` members in a ternary tree (member 2, the leader, has a third of the network
below them), 5 published courses of 12 lessons (each with a quiz at its end), on average 20
progress rows per member (member ``m`` has ``m % 41``; 20,000,000 for 1,000,000 members) and a
failed and a passed quiz attempt for every fifth member. Then it times, in-process with Django's
test client or the selectors (no network): the lesson page and the academy dashboard card of a
member, the leader's downline training report (the first page and the "failed twice" filter)
and the console's KPI selectors. Targets: lesson page and card < 100 ms p95, team report < 1 s,
KPI page < 3 s. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distributors", type=int, default=1_000_000)
    parser.add_argument("--database", default="dl_academy_bench")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="build what is missing, in two steps (network and progress rows; summaries, "
        "counters and cohorts), one per run, and stop",
    )
    return parser.parse_args(argv)


def ensure_database(server: str, name: str, rebuild: bool) -> bool:
    """Create database ``name`` (dropping it with ``rebuild``); True when it is new."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return True
    return False


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def timed(label: str, fn, runs: int) -> tuple[float, float]:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    median, high = statistics.median(samples), p95(samples)
    print(f"  {label:<52} median {median:8.1f} ms   p95 {high:8.1f} ms")
    return median, high


def build(n: int) -> None:
    from django.db import connection, transaction

    from downline.academy.models import (
        Choice,
        Course,
        Lesson,
        LessonText,
        Module,
        Question,
        Quiz,
        Track,
        TrackItem,
    )

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(
            """
INSERT INTO genealogy_distributor (id, member_id, kind, name, email, sponsor_id,
    placement_parent_id, placement_position, joined_on, status, country, language, currency,
    enrollment_downline, placement_downline, placement_free_depth, created_at)
SELECT i, 'M' || lpad(i::text, 8, '0'), 'distributor', 'Member ' || i, '',
    CASE WHEN i = 1 THEN NULL ELSE (i - 2) / 3 + 1 END,
    CASE WHEN i = 1 THEN NULL ELSE (i - 2) / 3 + 1 END, NULL,
    DATE '2024-01-01' + (i * 700 / %s), CASE WHEN i %% 7 = 0 THEN 'terminated' ELSE 'active' END,
    'DE', 'en', 'EUR', 0, 0, 0, now()
FROM generate_series(1, %s) AS i""",
            [n, n],
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('genealogy_distributor', 'id'), %s)", [n]
        )
    print(f"  {n:,} distributors in {time.perf_counter() - started:.1f} s")
    from downline.genealogy.sponsor_path import rebuild_all

    paths = rebuild_all()
    print(f"  {paths:,} sponsor paths at {time.perf_counter() - started:.1f} s")
    with transaction.atomic():
        lessons = []
        for c in range(5):
            course = Course.objects.create(
                slug=f"course-{c}", area=Course.Area.values[c], status="published",
                title={"en": f"Course {c}"}, position=c,
                certificate_key=f"course-{c}", certificate_pass_mark=80, certificate_valid_months=12,
            )  # fmt: skip
            module = Module.objects.create(course=course, key="m", position=1, title={"en": "M"})
            for k in range(12):
                kind = "quiz" if k == 11 else "markdown"
                lesson = Lesson.objects.create(
                    module=module, course=course, key=f"l{k}", kind=kind, position=k + 1
                )
                LessonText.objects.create(
                    lesson=lesson, language="en", title=f"Lesson {c}.{k}",
                    body="## Heading\n\n" + "A short paragraph of a micro-lesson. " * 40,
                )  # fmt: skip
                if k:
                    lesson.requires.add(lessons[-1])
                if kind == "quiz":
                    quiz = Quiz.objects.create(lesson=lesson, pass_mark=80, max_attempts=3)
                    for q in range(5):
                        question = Question.objects.create(
                            quiz=quiz, kind="single", position=q, text={"en": f"Q{q}"}
                        )
                        Choice.objects.create(question=question, text={"en": "yes"}, correct=True)
                        Choice.objects.create(question=question, text={"en": "no"})
                lessons.append(lesson)
        track = Track.objects.create(key="first-30-days", audience="newcomer", title={"en": "30"})
        for index, lesson in enumerate(lessons[:6]):
            TrackItem.objects.create(track=track, lesson=lesson, position=index, due_days=3 + index)
        TrackItem.objects.create(track=track, action="first_order", position=9, due_days=14)


def load_progress(n: int) -> None:
    """20M progress rows and the attempts: constraints and indexes are dropped for the load
    (no per-row index upkeep, no 40M deferred foreign-key checks), then built once; the
    foreign keys come back ``NOT VALID`` (the rows are generated from existing ids)."""
    from django.db import connection

    from downline.academy.models import Lesson

    lessons = list(Lesson.objects.order_by("course__position", "position"))
    first = lessons[0].pk
    quiz_id = lessons[11].quiz.pk
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = 'academy_lessonprogress'::regclass AND contype IN ('f', 'u')"""
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'academy_lessonprogress'
            AND indexname NOT IN (SELECT conname FROM pg_constraint
                                  WHERE conrelid = 'academy_lessonprogress'::regclass)"""
        )
        indexes = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE academy_lessonprogress DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("TRUNCATE academy_lessonprogress")
        cursor.execute(
            """
INSERT INTO academy_lessonprogress (member_id, lesson_id, state, started_at, completed_at,
    updated_at, folded_state)
SELECT m, %s + k,
    CASE WHEN k < (m %% 41) - 1 THEN 'completed' ELSE 'started' END,
    now() - ((m %% 90) || ' days')::interval,
    CASE WHEN k < (m %% 41) - 1 THEN now() - ((m %% 90) || ' days')::interval END,
    now() - ((m %% 90) || ' days')::interval + (k || ' hours')::interval,
    CASE WHEN k < (m %% 41) - 1 THEN 'completed' ELSE 'started' END
FROM generate_series(1, %s) AS m, LATERAL generate_series(0, (m %% 41) - 1) AS k
""",
            [first, n],
        )
        rows = cursor.rowcount
        print(f"  {rows:,} progress rows in {time.perf_counter() - started:.1f} s")
        for name, definition in constraints:
            extra = " NOT VALID" if definition.startswith("FOREIGN KEY") else ""
            cursor.execute(
                f'ALTER TABLE academy_lessonprogress ADD CONSTRAINT "{name}" {definition}{extra}'
            )
        for _name, definition in indexes:
            cursor.execute(definition)
        print(f"  indexes and constraints rebuilt at {time.perf_counter() - started:.1f} s")
        cursor.execute("DELETE FROM academy_quizattempt")
        cursor.execute(
            """
INSERT INTO academy_quizattempt (member_id, quiz_id, number, status, question_ids, answers,
    marks, score, started_at, submitted_at)
SELECT m, %s, a, CASE WHEN a = 1 OR m %% 10 = 0 THEN 'failed' ELSE 'passed' END,
    '[]', '{}', '{}', CASE WHEN a = 1 OR m %% 10 = 0 THEN 40 ELSE 80 END, now(), now()
FROM generate_series(5, %s, 5) AS m, generate_series(1, 2) AS a""",
            [quiz_id, n],
        )
    print(f"  progress and attempts loaded in {time.perf_counter() - started:.1f} s")


def finish_load() -> None:
    """The training summaries, the KPI counters and the cohorts over the loaded rows, then
    ``VACUUM ANALYZE`` of the rewritten tables and ``ANALYZE`` of the rest."""
    from django.db import connection

    started = time.perf_counter()
    ensure_summaries()
    fold_everything()
    with connection.cursor() as cursor:  # the rewritten tables; the 20M progress rows: statistics
        cursor.execute("VACUUM ANALYZE genealogy_distributor, academy_trainingsummary")
        cursor.execute("ANALYZE")
    print(f"  finished in {time.perf_counter() - started:.1f} s")


def fold_everything() -> None:
    """The KPI counters and the cohort snapshot over the loaded rows (the loader wrote
    ``folded_state = state`` itself)."""
    from downline.academy.kpi_fold import rebuild_kpis, refresh_cohorts

    started = time.perf_counter()
    rebuild_kpis(mark_rows=False)
    print(f"  KPI counters in {time.perf_counter() - started:.1f} s")
    refresh_cohorts(force=True)
    print(f"  cohorts in {time.perf_counter() - started:.1f} s")


def ensure_summaries() -> None:
    """The training summaries (one row per learner), built from the progress rows."""
    from django.db import connection

    from downline.academy.models import TrainingSummary
    from downline.academy.summary import rebuild_summaries

    started = time.perf_counter()
    if TrainingSummary._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(TrainingSummary)
    rows = rebuild_summaries()
    print(f"  {rows:,} training summaries in {time.perf_counter() - started:.1f} s")


def new_progress(n: int, count: int) -> int:
    """``count`` random learners open their next lesson (a progress row written as the action
    does, the summary marked for the KPI fold); returns how many."""
    import random

    from django.db import connection

    from downline.academy.models import Lesson

    first = Lesson.objects.order_by("course__position", "position").values_list("pk", flat=True)[0]
    members = random.Random().sample(range(1, n + 1), min(n, count * 2))
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT member_id, touched FROM academy_trainingsummary
            WHERE member_id = ANY(%s) AND touched < 60 LIMIT %s""",
            [members, count],
        )
        chosen = cursor.fetchall()
        cursor.executemany(
            """INSERT INTO academy_lessonprogress (member_id, lesson_id, state, started_at,
                updated_at) VALUES (%s, %s, 'started', now(), now()) ON CONFLICT DO NOTHING""",
            [(member, first + touched) for member, touched in chosen],
        )
        cursor.execute(
            """UPDATE academy_trainingsummary SET touched = touched + 1, last_at = now(),
                kpi_pending = true, kpi_version = kpi_version + 1 WHERE member_id = ANY(%s)""",
            [[member for member, _touched in chosen]],
        )
    return len(chosen)


def main(argv=None) -> int:
    args = parse_args(argv)
    new = ensure_database(args.server, args.database, args.rebuild)
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "downline.settings.base")
    os.environ.setdefault("DOWNLINE_SECRET_KEY", "academy-benchmark-only")
    sys.path.insert(0, str(HERE.parent / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    if new:
        print(f"Building {args.database} …")
        call_command("migrate", verbosity=0)
        build(args.distributors)
    from downline.academy.models import KpiSnapshot, LessonProgress

    if not LessonProgress.objects.exists():
        print(f"Loading the progress rows into {args.database} …")
        load_progress(args.distributors)
        if args.build_only:
            return 0
    if not KpiSnapshot.objects.filter(key="cohorts").exists():
        print(f"Summaries, KPI counters and cohorts of {args.database} …")
        finish_load()
    if args.build_only:
        return 0

    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    from downline.academy import selectors
    from downline.academy.models import Lesson
    from downline.accounts.actions import do_create_user
    from downline.accounts.models import User
    from downline.genealogy.models import Distributor

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    member = Distributor.objects.get(pk=args.distributors // 2 + 17)
    user = User.objects.filter(username="bench-member").first() or do_create_user(
        "bench-member", password="a-long-secret-phrase", email="bench@example.com"
    )
    Distributor.objects.filter(pk=member.pk).update(user=user)
    client = Client()
    client.force_login(user)
    lesson = Lesson.objects.filter(kind="markdown").order_by("id")[3]
    leader = Distributor.objects.get(pk=2)
    print(f"Member {member.member_id}, leader {leader.member_id}")
    results = {}
    results["lesson"] = timed(
        "lesson page (GET /academy/lessons/<id>/)",
        lambda: client.get(f"/academy/lessons/{lesson.pk}/"),
        args.requests,
    )
    results["card"] = timed(
        "dashboard card (selectors.dashboard_card)",
        lambda: selectors.dashboard_card(member, "en"),
        args.requests,
    )
    results["home"] = timed(
        "academy page (GET /academy/)", lambda: client.get("/academy/"), args.requests
    )
    size = selectors.team_report(leader, per_page=1).counts["all"]
    leader_user = User.objects.filter(username="bench-leader").first() or do_create_user(
        "bench-leader", password="a-long-secret-phrase", email="leader@example.com"
    )
    Distributor.objects.filter(pk=leader.pk).update(user=leader_user)
    leader_client = Client()
    leader_client.force_login(leader_user)
    team = [
        timed(
            f"leader's team report, {size:,} members, page 1",
            lambda: selectors.team_report(leader),
            10,
        )
    ]
    for status, page in (("all", 1), ("all", 2000), ("not_started", 1), ("stuck", 1)):
        answer = leader_client.get(f"/academy/team/?status={status}&page={page}")
        assert answer.status_code == 200, (status, page, answer.status_code)
        team.append(
            timed(
                f"leader's team page (GET /academy/team/?status={status}&page={page})",
                lambda status=status, page=page: leader_client.get(
                    f"/academy/team/?status={status}&page={page}"
                ),
                10,
            )
        )
    team.append(
        timed(
            "leader's team report, failed twice",
            lambda: selectors.team_report(leader, status="failed_twice"),
            10,
        )
    )
    results["team"] = max(team, key=lambda figures: figures[1])  # the slowest p95
    results["kpis"] = timed("console KPIs (selectors.kpis)", lambda: selectors.kpis("en"), 3)
    learners = new_progress(args.distributors, 2000)
    timed(
        f"console KPIs with {learners:,} learners not folded yet", lambda: selectors.kpis("en"), 3
    )
    from downline.academy.kpi_fold import fold_batch

    started = time.perf_counter()
    folded = fold_batch(2000)
    print(
        f"  fold of {folded:,} learners and attempts: {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    print(
        "Targets: lesson and card < 100 ms p95, team report < 1000 ms, KPIs < 3000 ms: "
        + ", ".join(
            f"{key} {'ok' if value[1] < limit else 'OVER'}"
            for key, value, limit in (
                ("lesson", results["lesson"], 100),
                ("card", results["card"], 100),
                ("team", results["team"], 1000),
                ("kpis", results["kpis"], 3000),
            )
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
