"""Progress, prerequisites, quizzes (scoring, attempts, waiting, grading), certificates, events."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from downline.academy import actions
from downline.academy.access import Locked, lock_reason
from downline.academy.models import (
    Certificate,
    LessonProgress,
    Question,
    QuizAttempt,
    Track,
    TrackItem,
)
from downline.academy.selectors import (
    certificates_expiring,
    certificates_held,
    started_or_completed,
)
from downline.core import hooks
from downline.core.models import Event

from .conftest import NOW, lesson


def right_answers(attempt: QuizAttempt, *, wrong: int = 0) -> dict:
    """Answers for ``attempt``: all right except the first ``wrong`` questions."""
    answers = {}
    for index, qid in enumerate(attempt.question_ids):
        question = Question.objects.get(pk=qid)
        choices = list(question.choices.order_by("position"))
        if question.kind == "ordering":
            ids = [c.pk for c in choices]
            answers[qid] = list(reversed(ids)) if index < wrong else ids
        else:
            right = [c.pk for c in choices if c.correct]
            bad = [c.pk for c in choices if not c.correct][:1]
            answers[qid] = bad if index < wrong else right
    return answers


def finish_reading(member):
    actions.do_complete_lesson(member, lesson("income-claims"))
    actions.do_complete_lesson(member, lesson("product-claims"))


def events(kind: str, member=None) -> list[Event]:
    rows = Event.objects.filter(kind=kind)
    if member is not None:
        rows = rows.filter(member_id=member.pk)
    return list(rows)


def test_prerequisite_blocks(course, net):
    second = lesson("product-claims")
    reason = lock_reason(net.alice, second)
    assert reason is not None
    assert "What is an income claim" in reason
    with pytest.raises(Locked):
        actions.do_complete_lesson(net.alice, second)
    with pytest.raises(Locked):
        actions.do_start_attempt(net.alice, lesson("claims-quiz").quiz)
    actions.do_complete_lesson(net.alice, lesson("income-claims"))
    assert lock_reason(net.alice, second) is None


def test_unlock_by_days_and_rank(course, net):
    track = Track.objects.create(key="team-leader-x", audience="team-leader")
    TrackItem.objects.create(track=track, lesson=lesson("income-claims"), unlock_days=30)
    reason = lock_reason(net.alice, lesson("income-claims"))
    assert "2026-03-22" in reason  # joined 2026-02-20 + 30 days
    assert lock_reason(net.alice, lesson("income-claims"), today=date(2026, 3, 22)) is None
    TrackItem.objects.create(track=track, lesson=lesson("income-claims"), min_rank="Gold")
    reason = lock_reason(net.alice, lesson("income-claims"), today=date(2026, 4, 1))
    assert "Gold" in reason  # no computed rank yet: closed


def test_lesson_completed_once(course, net):
    first = lesson("income-claims")
    actions.do_open_lesson(net.alice, first)
    actions.do_complete_lesson(net.alice, first)
    actions.do_complete_lesson(net.alice, first)
    assert len(events("lesson.completed", net.alice)) == 1
    row = LessonProgress.objects.get(member=net.alice, lesson=first)
    assert row.state == "completed"
    assert row.completed_at is not None
    assert started_or_completed([net.alice.pk, net.bob.pk]) == {net.alice.pk: 1}


def test_quiz_scoring_exact_integers(course, net):
    finish_reading(net.alice)
    quiz = lesson("claims-quiz").quiz
    attempt = actions.do_start_attempt(net.alice, quiz)
    assert len(attempt.question_ids) == 5
    # 1 of 5 wrong: 80 % = pass mark 80 → passed
    done = actions.do_submit_attempt(attempt, right_answers(attempt, wrong=1))
    assert (done.score, done.status) == (80, "passed")
    assert len(events("quiz.passed", net.alice)) == 1
    assert events("quiz.passed", net.alice)[0].payload["score"] == 80


def test_scoring_rules():
    assert actions.score_of({"1": True, "2": False, "3": True}, 3) == 66  # floor of 66.67
    assert actions.score_of({"1": True}, 3) == 33
    assert actions.score_of({}, 0) == 0


def test_multiple_and_ordering_marks(course):
    multiple = Question.objects.get(kind="multiple")
    right = [c.pk for c in multiple.choices.all() if c.correct]
    assert actions.mark(multiple, right) is True
    assert actions.mark(multiple, right[:1]) is False  # partly right is wrong
    ordering = Question.objects.get(kind="ordering")
    ids = [c.pk for c in ordering.choices.order_by("position")]
    assert actions.mark(ordering, ids) is True
    assert actions.mark(ordering, [ids[1], ids[0], ids[2]]) is False


def test_failed_attempts_wait_and_limit(course, net):
    finish_reading(net.alice)
    quiz = lesson("claims-quiz").quiz
    first = actions.do_start_attempt(net.alice, quiz)
    failed = actions.do_submit_attempt(first, right_answers(first, wrong=2))
    assert (failed.score, failed.status) == (60, "failed")
    assert "60 minutes" in actions.attempt_block(net.alice, quiz)
    with pytest.raises(ValidationError):
        actions.do_start_attempt(net.alice, quiz)
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        second = actions.do_start_attempt(net.alice, quiz)
        actions.do_submit_attempt(second, right_answers(second, wrong=3))
    with time_machine.travel(NOW + timedelta(minutes=130), tick=False):
        third = actions.do_start_attempt(net.alice, quiz)
        actions.do_submit_attempt(third, right_answers(third, wrong=5))
    with time_machine.travel(NOW + timedelta(minutes=200), tick=False):
        assert "all 3 attempts" in actions.attempt_block(net.alice, quiz)
    assert len(events("quiz.failed", net.alice)) == 3
    assert not events("quiz.passed", net.alice)


def test_question_bank_draws(course, net):
    finish_reading(net.alice)
    quiz = lesson("claims-quiz").quiz
    quiz.draw = 2
    quiz.save()
    attempt = actions.do_start_attempt(net.alice, quiz, rng=random.Random(7))
    assert len(attempt.question_ids) == 2
    assert set(attempt.question_ids) <= set(quiz.questions.values_list("pk", flat=True))
    # the open attempt is handed back, not a new draw
    assert actions.do_start_attempt(net.alice, quiz).pk == attempt.pk


def test_free_text_waits_for_staff(course, net, django_user_model):
    quiz = lesson("claims-quiz").quiz
    free = Question.objects.create(quiz=quiz, kind="free_text", position=9, text={"en": "Why?"})
    finish_reading(net.alice)
    attempt = actions.do_start_attempt(net.alice, quiz)
    answers = right_answers(
        QuizAttempt(question_ids=[q for q in attempt.question_ids if q != free.pk])
    )
    answers[free.pk] = "Because claims mislead."
    pending = actions.do_submit_attempt(attempt, answers)
    assert pending.status == "grading"
    assert pending.score is None
    assert "waiting" in actions.attempt_block(net.alice, quiz)
    staff = django_user_model.objects.create(username="grader", is_staff=True)
    graded = actions.do_grade_attempt(pending, {free.pk: False}, staff=staff)
    assert (graded.score, graded.status) == (83, "passed")  # 5 of 6, floor(83.33)


def test_certificate_earned_expiry_renewal_revocation(course, net, django_user_model):
    finish_reading(net.alice)
    quiz = lesson("claims-quiz").quiz
    attempt = actions.do_start_attempt(net.alice, quiz)
    actions.do_submit_attempt(attempt, right_answers(attempt))
    cert = Certificate.objects.get(member=net.alice)
    assert (cert.key, cert.grade, cert.passed) == ("compliance-basics", 100, True)
    assert cert.issued_on == date(2026, 3, 2)
    assert cert.expires_on == date(2027, 3, 2)
    assert len(events("certificate.earned", net.alice)) == 1
    assert certificates_held(keys=("compliance-basics",), on=date(2026, 12, 31)) == {
        "compliance-basics": [net.alice.pk]
    }
    assert certificates_held(keys=("compliance-basics",), on=date(2027, 3, 3)) == {
        "compliance-basics": []
    }
    assert certificates_held(keys=("compliance-basics",), on=date(2026, 3, 1)) == {
        "compliance-basics": []
    }
    # passed: no retake until renewal is due
    assert "passed" in actions.attempt_block(net.alice, quiz)
    # expiring: recorded once, 30 days before
    assert actions.do_record_expiring(date(2027, 1, 30)) == 0
    assert actions.do_record_expiring(date(2027, 2, 1)) == 1
    assert actions.do_record_expiring(date(2027, 2, 2)) == 0
    assert len(events("certificate.expiring", net.alice)) == 1
    assert certificates_expiring(30, on=date(2027, 2, 1)) == [
        (net.alice.pk, "compliance-basics", date(2027, 3, 2))
    ]
    # renewal: a retake in the last 30 days issues a new certificate; quiz.passed stays once
    with time_machine.travel(date(2027, 2, 20), tick=False):
        assert actions.attempt_block(net.alice, quiz) is None
        retake = actions.do_start_attempt(net.alice, quiz)
        actions.do_submit_attempt(retake, right_answers(retake, wrong=1))
    renewed = Certificate.objects.filter(member=net.alice).order_by("-id").first()
    assert (renewed.grade, renewed.expires_on) == (80, date(2028, 2, 20))
    assert len(events("quiz.passed", net.alice)) == 1
    assert len(events("certificate.earned", net.alice)) == 2
    # revocation
    staff = django_user_model.objects.create(username="boss", is_staff=True)
    with pytest.raises(ValidationError):
        actions.do_revoke_certificate(renewed, staff=staff, reason=" ")
    actions.do_revoke_certificate(renewed, staff=staff, reason="misleading posts")
    renewed.refresh_from_db()
    assert renewed.state_on(date(2027, 3, 1)) == "revoked"
    assert len(events("certificate.revoked", net.alice)) == 1
    assert certificates_held(keys=("compliance-basics",), on=date(2027, 3, 1)) == {
        "compliance-basics": [net.alice.pk]  # the first certificate is still valid that day
    }


def test_hook_registered(course, net):
    hook = getattr(hooks, "CERTIFICATES_HELD", None)
    assert hook is not None
    assert "academy.certificates_held" in hook.handlers
    assert hook.fire(keys=("compliance-basics",), on=date(2026, 3, 2)) == [
        {"compliance-basics": []}
    ]


# committed: on PostgreSQL the outbox hands out only events of transactions that have ended
@pytest.mark.django_db(transaction=True)
def test_business_actions_from_outbox(course, net):
    from downline.academy.consumers import consume_business_actions
    from downline.academy.models import BusinessAction
    from downline.academy.selectors import dashboard_card
    from downline.genealogy.actions import do_enroll

    do_enroll(
        member_id="CUST-1", sponsor=net.alice, joined_on=date(2026, 3, 1),
        effective_at=NOW, kind="customer", name="Cora",
    )  # fmt: skip
    consume_business_actions()
    consume_business_actions()
    assert list(BusinessAction.objects.values_list("member_id", "action")) == [
        (net.alice.pk, "first_customer")
    ]
    card = dashboard_card(net.alice, "en")
    assert [(item.title, item.done) for item in card["checklist"]] == [
        ("What is an income claim", False),
        ("first order", False),
        ("first customer", True),
        ("Product claims", False),
    ]


def test_summary_kept_by_actions_equals_rebuild(course, net):
    from downline.academy.models import TrainingSummary
    from downline.academy.summary import rebuild_summaries

    finish_reading(net.bob)
    quiz = lesson("claims-quiz").quiz
    first = actions.do_start_attempt(net.bob, quiz)
    actions.do_submit_attempt(first, right_answers(first, wrong=5))
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        second = actions.do_start_attempt(net.bob, quiz)
        actions.do_submit_attempt(second, right_answers(second, wrong=5))
    actions.do_open_lesson(net.carol, lesson("income-claims"))

    def rows():
        return sorted(
            TrainingSummary.objects.values_list("member_id", "touched", "completed", "failed_twice")
        )

    kept = rows()
    assert kept == [(net.bob.pk, 3, 2, 1), (net.carol.pk, 1, 0, 0)]
    assert rebuild_summaries() == 2
    assert rows() == kept
