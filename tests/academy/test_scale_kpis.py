"""The KPI page's counters, folded incrementally, equal the full computation over every row.

``oracle`` below is the computation the KPI page did before the counters existed (grouped
queries over all progress rows and attempts, ``selectors.kpis`` of 0002); every check compares
the page's figures with it: before any fold (counters plus the live unfolded part), after
partial folds, after a full fold, after a track gains a lesson, and after a bulk load.
"""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.db.models import Count, Q

from downline.academy import actions, kpi_fold, selectors
from downline.academy.models import (
    Course,
    LessonCount,
    LessonProgress,
    QuizAttempt,
    Track,
    TrackItem,
    TrainingSummary,
)
from downline.academy.summary import rebuild_summaries
from downline.academy.texts import pick

from .conftest import NOW, lesson
from .test_learning import right_answers


def oracle(language: str = "en") -> dict:
    """The old full computation: participation, funnels and question results from all rows."""
    courses = list(Course.objects.filter(status=Course.Status.PUBLISHED))
    participation = dict(
        LessonProgress.objects.values("lesson__course_id")
        .annotate(n=Count("member_id", distinct=True))
        .values_list("lesson__course_id", "n")
    )
    tracks = []
    for track in Track.objects.all():
        ids = list(track.items.filter(lesson__isnull=False).values_list("lesson_id", flat=True))
        members = (
            LessonProgress.objects.filter(lesson_id__in=ids).values("member_id").distinct().count()
        )
        tracks.append({"title": pick(track.title, language), "members": members})
    funnel = {
        row["lesson_id"]: row
        for row in LessonProgress.objects.values("lesson_id").annotate(
            started=Count("pk"), completed=Count("pk", filter=Q(state="completed"))
        )
    }
    funnels = []
    for course in courses:
        steps = []
        for item in course.lessons.order_by("position"):
            counts = funnel.get(item.pk, {"started": 0, "completed": 0})
            steps.append((item.pk, counts["started"], counts["completed"]))
        funnels.append(steps)
    asked: dict[int, int] = {}
    right: dict[int, int] = {}
    for marks in QuizAttempt.objects.filter(status__in=["passed", "failed"]).values_list(
        "marks", flat=True
    ):
        for qid, value in marks.items():
            asked[int(qid)] = asked.get(int(qid), 0) + 1
            right[int(qid)] = right.get(int(qid), 0) + (1 if value else 0)
    return {
        "courses": [participation.get(c.pk, 0) for c in courses],
        "tracks": tracks,
        "funnels": funnels,
        "questions": sorted((qid, n, right[qid]) for qid, n in asked.items()),
        "cohorts": selectors.cohorts_now(),
    }


def page() -> dict:
    """The KPI page's figures in the oracle's shape."""
    data = selectors.kpis("en")
    courses = list(Course.objects.filter(status=Course.Status.PUBLISHED))
    funnels = []
    for course, funnel in zip(courses, data["funnels"], strict=True):
        ids = list(course.lessons.order_by("position").values_list("pk", flat=True))
        funnels.append(
            [(pk, s["started"], s["completed"]) for pk, s in zip(ids, funnel["steps"], strict=True)]
        )
    counts = kpi_fold.current_counts()
    return {
        "courses": [row["members"] for row in data["courses"]],
        "tracks": data["tracks"],
        "funnels": funnels,
        "questions": sorted((qid, n, counts.right.get(qid, 0)) for qid, n in counts.asked.items()),
        "cohorts": data["cohorts"],
    }


def learn(net) -> None:
    """Alice reads both lessons and fails the quiz, then passes it; Bob starts a lesson; Carol
    reads one lesson; Dave fails the quiz twice (a second course-level mix of states)."""
    actions.do_complete_lesson(net.alice, lesson("income-claims"))
    actions.do_open_lesson(net.bob, lesson("income-claims"))
    actions.do_complete_lesson(net.alice, lesson("product-claims"))
    quiz = lesson("claims-quiz").quiz
    first = actions.do_start_attempt(net.alice, quiz)
    actions.do_submit_attempt(first, right_answers(first, wrong=4))
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        second = actions.do_start_attempt(net.alice, quiz)
        actions.do_submit_attempt(second, right_answers(second))
    actions.do_complete_lesson(net.carol, lesson("income-claims"))


def test_counts_equal_the_full_computation_before_during_and_after_folding(course, net):
    assert page() == oracle()
    learn(net)
    assert TrainingSummary.objects.filter(kpi_pending=True).count() == 3
    assert page() == oracle()  # nothing folded yet: the counters plus the live part
    assert kpi_fold.fold_batch(batch=1) == 2  # one member, one attempt
    assert page() == oracle()
    kpi_fold.fold_all()
    assert not TrainingSummary.objects.filter(kpi_pending=True).exists()
    assert not LessonProgress.objects.exclude(folded_state=models_state()).exists()
    assert page() == oracle()
    income = LessonCount.objects.get(lesson=lesson("income-claims"))
    assert (income.started, income.completed) == (3, 2)  # Alice and Carol done, Bob started
    # more progress after a fold: counted once, not twice
    actions.do_complete_lesson(net.bob, lesson("income-claims"))
    actions.do_complete_lesson(net.dave, lesson("income-claims"))
    assert page() == oracle()
    kpi_fold.fold_all()
    income.refresh_from_db()
    assert (income.started, income.completed) == (4, 4)
    assert page() == oracle()


def models_state():
    from django.db.models import F

    return F("state")


def test_a_track_that_gains_a_lesson_is_recounted(course, net):
    learn(net)
    kpi_fold.fold_all()
    track = Track.objects.get(key="team-leader")
    before = page()["tracks"]
    TrackItem.objects.create(track=track, lesson=lesson("income-claims"), position=5)
    assert page() == oracle()
    assert page()["tracks"] != before
    kpi_fold.fold_all()
    assert page() == oracle()


def test_a_bulk_load_is_counted_by_the_rebuild(course, net):
    learn(net)
    kpi_fold.fold_all()
    now = NOW
    LessonProgress.objects.bulk_create(
        [
            LessonProgress(
                member_id=member.pk,
                lesson=lesson("product-claims"),
                state="completed",
                started_at=now,
                completed_at=now,
                updated_at=now,
            )
            for member in (net.root, net.dave)
        ]
    )
    rebuild_summaries()
    assert page() == oracle()  # every learner pending again: counted live, not twice
    kpi_fold.rebuild_kpis()
    assert not TrainingSummary.objects.filter(kpi_pending=True).exists()
    assert page() == oracle()
    kpi_fold.fold_all()
    assert page() == oracle()


def test_too_many_unfolded_learners_are_left_out_and_said(course, net, monkeypatch):
    learn(net)
    monkeypatch.setattr(kpi_fold, "LIVE_PENDING_LIMIT", 1)
    data = selectors.kpis("en")
    assert data["unfolded"] == 3
    assert all(step["started"] == 0 for funnel in data["funnels"] for step in funnel["steps"])
    kpi_fold.fold_all()
    data = selectors.kpis("en")
    assert data["unfolded"] == 0
    assert page() == oracle()


def test_the_cohort_snapshot_is_refreshed_by_the_task(course, net):
    from downline.academy.tasks import fold_kpis

    learn(net)
    assert selectors.kpis("en")["cohorts_at"] is None  # computed live until the first fold
    fold_kpis.call()
    data = selectors.kpis("en")
    assert data["cohorts_at"] is not None
    assert data["cohorts"] == selectors.cohorts_now()
    assert page() == oracle()
