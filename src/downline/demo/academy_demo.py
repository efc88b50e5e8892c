"""The academy in the demo: every course folder under ``academy/courses`` (and its tracks),
published, and realistic progress for the demo's distributors.

* every persona has started learning; emma completed the compliance course and holds the
  ``compliance-basics`` certificate; olga holds one that expires in two weeks (renewal due);
* a few hundred other distributors have progress in the order of the lessons, some stopped
  half-way, some failed a quiz (twice, for a few), most newcomers read the first lessons;
* the first-30-days business actions are ticked from the orders and customers already there
  (the consumer's cursor then starts after the demo's events).

Rows are written with ``bulk_create``; the few certificates go through the action (so the
outbox has their ``certificate.earned``).
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path

from django.db.models import Max, Min
from django.utils import timezone

from downline.academy import actions
from downline.academy.consumers import CONSUMER
from downline.academy.folder import import_folder
from downline.academy.kpi_fold import rebuild_kpis
from downline.academy.models import (
    BusinessAction,
    Course,
    Lesson,
    LessonProgress,
    Question,
    QuizAttempt,
)
from downline.academy.summary import rebuild_summaries
from downline.core.models import Consumer, Event
from downline.genealogy.models import Distributor
from downline.orders.models import Order

from .tools import ToolsContext

COURSES = Path(__file__).resolve().parents[1] / "academy" / "courses"
LEARNERS = 400


def seed(ctx: ToolsContext) -> None:
    started = time.perf_counter()
    if COURSES.is_dir() and any(COURSES.glob("*/course.yaml")):
        courses = import_folder(COURSES, publish=True)
        ctx.say(f"academy: {len(courses)} courses imported ({time.perf_counter() - started:.1f} s)")
    if not Course.objects.filter(status=Course.Status.PUBLISHED).exists():
        return
    rng = random.Random(ctx.seed + 13)
    now = timezone.now()
    lessons = list(
        Lesson.objects.filter(course__status=Course.Status.PUBLISHED)
        .select_related("course", "quiz")
        .order_by("course__position", "course_id", "position")
    )
    by_course: dict[int, list[Lesson]] = {}
    for lesson in lessons:
        by_course.setdefault(lesson.course_id, []).append(lesson)
    persona_pks = dict(
        Distributor.objects.filter(member_id__in=ctx.persona_ids.values()).values_list(
            "member_id", "pk"
        )
    )
    personas = {
        name: persona_pks[mid] for name, mid in ctx.persona_ids.items() if mid in persona_pks
    }
    others = list(
        Distributor.objects.filter(kind=Distributor.Kind.DISTRIBUTOR)
        .exclude(pk__in=personas.values())
        .order_by("-joined_on", "id")
        .values_list("pk", flat=True)[: LEARNERS * 3]
    )
    learners = rng.sample(others, min(LEARNERS, len(others)))

    progress: list[LessonProgress] = []
    attempts: list[QuizAttempt] = []
    questions = _question_ids()

    def learn(member_pk: int, course_lessons: list[Lesson], upto: int, *, fail_twice=False):
        """Lessons 0..upto-1 completed, lesson ``upto`` started; quizzes passed on the way."""
        start = now - timedelta(days=rng.randint(5, 60))
        for index, lesson in enumerate(course_lessons[: upto + 1]):
            at = start + timedelta(hours=index * rng.randint(2, 30))
            at = min(at, now - timedelta(minutes=5))
            done = index < upto
            if lesson.kind == Lesson.Kind.QUIZ:
                ids = questions.get(lesson.quiz.pk, [])
                draw = lesson.quiz.draw or len(ids)
                number = 1
                failures = 2 if fail_twice else (1 if rng.random() < 0.3 else 0)
                for _ in range(failures):
                    attempts.append(_attempt(member_pk, lesson, number, ids[:draw], False, at))
                    number += 1
                    at = at + timedelta(hours=2)
                if done:
                    attempts.append(_attempt(member_pk, lesson, number, ids[:draw], True, at))
            progress.append(
                LessonProgress(
                    member_id=member_pk,
                    lesson_id=lesson.pk,
                    state="completed" if done else "started",
                    started_at=at,
                    completed_at=at if done else None,
                    updated_at=at,
                )
            )

    compliance = Course.objects.filter(certificate_key="compliance-basics").first()
    courses = list(by_course.values())
    for name, member_pk in personas.items():
        for course_lessons in courses[:3]:
            if (
                compliance
                and course_lessons[0].course_id == compliance.pk
                and name in ("emma", "olga")
            ):
                continue
            learn(member_pk, course_lessons, rng.randint(1, max(1, len(course_lessons) - 1)))
    for index, member_pk in enumerate(learners):
        course_lessons = courses[index % len(courses)]
        upto = rng.choice([0, 1, 1, 2, len(course_lessons) // 2, len(course_lessons)])
        fail_twice = index % 23 == 0 and any(x.kind == Lesson.Kind.QUIZ for x in course_lessons)
        if fail_twice:
            upto = next(i for i, x in enumerate(course_lessons) if x.kind == Lesson.Kind.QUIZ)
        learn(member_pk, course_lessons, min(upto, len(course_lessons) - 1), fail_twice=fail_twice)
        if upto >= len(course_lessons):
            progress[-1].state, progress[-1].completed_at = "completed", progress[-1].updated_at
    # the certificate holders: emma (valid), olga (expiring in two weeks)
    if compliance is not None:
        course_lessons = by_course[compliance.pk]
        for name, _issued in (
            ("emma", now - timedelta(days=40)),
            ("olga", now - timedelta(days=351)),
        ):
            member_pk = personas.get(name)
            if member_pk is None:
                continue
            learn(member_pk, course_lessons, len(course_lessons))
            progress[-1].state, progress[-1].completed_at = "completed", progress[-1].updated_at
    LessonProgress.objects.bulk_create(progress, batch_size=2000, ignore_conflicts=True)
    QuizAttempt.objects.bulk_create(attempts, batch_size=2000, ignore_conflicts=True)
    rebuild_summaries()
    rebuild_kpis()
    if compliance is not None:
        for name, days, grade in (("emma", 40, 93), ("olga", 351, 85)):
            member_pk = personas.get(name)
            if member_pk is not None:
                actions.do_issue_certificate(
                    Distributor.objects.get(pk=member_pk),
                    compliance,
                    grade=grade,
                    issued_on=ctx.today - timedelta(days=days),
                )
    _business_actions()
    ctx.say(
        f"academy: {len(progress)} lesson progress rows, {len(attempts)} quiz attempts, "
        f"certificates for emma and olga ({time.perf_counter() - started:.1f} s)"
    )


def _question_ids() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for quiz_id, pk in Question.objects.order_by("quiz_id", "position").values_list(
        "quiz_id", "pk"
    ):
        out.setdefault(quiz_id, []).append(pk)
    return out


def _attempt(member_pk, lesson, number, ids, passed, at) -> QuizAttempt:
    asked = len(ids)
    pass_mark = lesson.quiz.pass_mark
    if passed:
        right = max(-(-pass_mark * asked // 100), asked - 1) if asked else 0
    else:
        right = max(0, -(-pass_mark * asked // 100) - 1 - (number % 2))
    marks = {str(q): i < right for i, q in enumerate(ids)}
    return QuizAttempt(
        member_id=member_pk,
        quiz_id=lesson.quiz.pk,
        number=number,
        status="passed" if passed else "failed",
        question_ids=list(ids),
        answers={},
        marks=marks,
        score=right * 100 // asked if asked else 0,
        started_at=at - timedelta(minutes=6),
        submitted_at=at,
    )


def _business_actions() -> None:
    """Tick first order and first customer from the demo's data; the consumer starts after."""
    rows = [
        BusinessAction(member_id=row["distributor_id"], action="first_order", done_at=row["first"])
        for row in Order.objects.filter(returns_order__isnull=True)
        .values("distributor_id")
        .annotate(first=Min("paid_at"))
    ]
    customers = (
        Distributor.objects.filter(kind=Distributor.Kind.CUSTOMER)
        .values("sponsor_id")
        .annotate(first=Min("created_at"))
    )
    rows += [
        BusinessAction(member_id=row["sponsor_id"], action="first_customer", done_at=row["first"])
        for row in customers
    ]
    BusinessAction.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    last = Event.objects.aggregate(tx=Max("tx"), id=Max("id"))
    if last["id"] is not None:
        Consumer.objects.update_or_create(
            name=CONSUMER, defaults={"cursor_tx": last["tx"] or 0, "cursor_id": last["id"]}
        )
