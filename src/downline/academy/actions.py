"""Writes of the academy: progress, quiz attempts, grading, certificates, authoring.

Every ``do_*`` runs in one transaction and records its events there (rule 11):

* ``lesson.completed`` {lesson, course, lesson_key} — once per member and lesson (the progress
  row's move to ``completed``);
* ``quiz.passed`` {quiz, lesson, course, attempt, score} — the member's first passing attempt of
  a quiz (a renewal retake that passes again records no second one);
* ``quiz.failed`` {quiz, lesson, course, attempt, score} — once per failed attempt;
* ``certificate.earned`` {certificate, key, course, grade, passed, expires_on};
* ``certificate.revoked`` {certificate, key};
* ``certificate.expiring`` {certificate, key, expires_on} — once per certificate, 30 days before.

Scores are exact integer percentages: ``correct * 100 // asked`` (floor), each question one
point. A single-choice question is right when the chosen option is correct; a multiple-choice
question when the chosen set equals the correct set; an ordering question when the order given
equals the options' positions; a free-text answer when staff mark it right.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.core import events as outbox
from downline.genealogy.models import Distributor
from downline.genealogy.rules import company_today

from . import summary as training
from .access import check_open
from .models import (
    LANGUAGES,
    BusinessAction,
    Certificate,
    Choice,
    Course,
    Lesson,
    LessonProgress,
    LessonText,
    Module,
    Question,
    Quiz,
    QuizAttempt,
    ScormState,
)

EXPIRING_DAYS = 30
RENEW_DAYS = 30  # a certificate may be renewed (quiz retaken) this many days before it expires


# --- progress -------------------------------------------------------------------------------


def _progress(member: Distributor, lesson: Lesson) -> tuple[LessonProgress, bool]:
    now = timezone.now()
    row, created = LessonProgress.objects.select_for_update().get_or_create(
        member_id=member.pk,
        lesson_id=lesson.pk,
        defaults={"state": LessonProgress.State.STARTED, "started_at": now, "updated_at": now},
    )
    training.touch(member.pk, new_lesson=created)
    return row, created


@transaction.atomic
def do_open_lesson(member: Distributor, lesson: Lesson) -> LessonProgress:
    """The member opened ``lesson``: it becomes their "continue where you stopped" lesson."""
    check_open(member, lesson)
    row, created = _progress(member, lesson)
    if not created:
        row.updated_at = timezone.now()
        row.save(update_fields=["updated_at"])
    return row


def _complete(member: Distributor, lesson: Lesson) -> bool:
    """Mark ``lesson`` completed; True (and ``lesson.completed`` recorded) the first time."""
    row, _created = _progress(member, lesson)
    if row.state == LessonProgress.State.COMPLETED:
        return False
    now = timezone.now()
    row.state = LessonProgress.State.COMPLETED
    row.completed_at = row.updated_at = now
    row.save(update_fields=["state", "completed_at", "updated_at"])
    training.completed(member.pk)
    outbox.record_event(
        outbox.LESSON_COMPLETED,
        {"lesson": lesson.pk, "lesson_key": lesson.key, "course": lesson.course.slug},
        member_id=member.pk,
    )
    return True


@transaction.atomic
def do_complete_lesson(
    member: Distributor, lesson: Lesson, *, attended: bool = False
) -> LessonProgress:
    """The member finished ``lesson``: read a Markdown lesson, or (``attended=True``, said only
    by outreach once attendance is settled) attended the webinar of a webinar lesson. A quiz is
    completed by passing it, a SCORM lesson by its package (``do_scorm_commit``), a webinar
    lesson only by attendance. Completing twice changes nothing and records one event."""
    check_open(member, lesson)
    if lesson.kind == Lesson.Kind.QUIZ:
        raise ValidationError({"lesson": _("A quiz is completed by passing it.")})
    if lesson.kind == Lesson.Kind.SCORM:
        raise ValidationError({"lesson": _("This lesson is completed by its SCORM package.")})
    if lesson.kind == Lesson.Kind.WEBINAR and not attended:
        raise ValidationError(
            {"lesson": _("This lesson is completed when you attend the webinar.")}
        )
    _complete(member, lesson)
    _maybe_certify(member, lesson.course)
    return LessonProgress.objects.get(member_id=member.pk, lesson_id=lesson.pk)


# --- quizzes --------------------------------------------------------------------------------


def attempt_block(member: Distributor, quiz: Quiz, *, now=None) -> str | None:
    """Why ``member`` may not start a new attempt of ``quiz`` now (``None``: they may)."""
    now = now or timezone.now()
    attempts = list(
        QuizAttempt.objects.filter(member_id=member.pk, quiz=quiz)
        .exclude(status=QuizAttempt.Status.OPEN)
        .order_by("number")
    )
    if any(a.status == QuizAttempt.Status.GRADING for a in attempts):
        return _("Your last attempt is waiting for a staff member to grade it.")
    last_pass = max(
        (i for i, a in enumerate(attempts) if a.status == QuizAttempt.Status.PASSED), default=None
    )
    if last_pass is not None and not _renewable(member, quiz.lesson.course, now.date()):
        return _("You have passed this quiz.")
    since = attempts[last_pass + 1 :] if last_pass is not None else attempts
    if quiz.max_attempts and len(since) >= quiz.max_attempts:
        return _("You have used all %(count)s attempts of this quiz.") % {
            "count": quiz.max_attempts
        }
    if since and quiz.wait_minutes:
        ready = since[-1].submitted_at + timedelta(minutes=quiz.wait_minutes)
        if ready > now:
            minutes = -(-int((ready - now).total_seconds()) // 60)
            return _("You can try again in %(minutes)s minutes.") % {"minutes": minutes}
    return None


def _renewable(member: Distributor, course: Course, today: date) -> bool:
    """A passed quiz may be retaken when the course's certificate is due for renewal."""
    if not course.certificate_key:
        return False
    current = _current_certificate(member, course.certificate_key, today)
    if current is None:
        return True
    return current.expires_on is not None and current.expires_on <= today + timedelta(
        days=RENEW_DAYS
    )


@transaction.atomic
def do_start_attempt(member: Distributor, quiz: Quiz, *, rng: random.Random | None = None):
    """The member's open attempt of ``quiz``, or a new one with its questions drawn at random
    (``quiz.draw`` of the bank, or all of them)."""
    lesson = quiz.lesson
    check_open(member, lesson)
    Distributor.objects.select_for_update().filter(pk=member.pk).first()  # one attempt at a time
    open_attempt = QuizAttempt.objects.filter(
        member_id=member.pk, quiz=quiz, status=QuizAttempt.Status.OPEN
    ).first()
    if open_attempt is not None:
        return open_attempt
    reason = attempt_block(member, quiz)
    if reason is not None:
        raise ValidationError({"quiz": reason})
    ids = list(quiz.questions.order_by("position", "id").values_list("pk", flat=True))
    if not ids:
        raise ValidationError({"quiz": _("This quiz has no questions yet.")})
    if quiz.draw and quiz.draw < len(ids):
        ids = sorted((rng or random.SystemRandom()).sample(ids, quiz.draw), key=ids.index)
    number = QuizAttempt.objects.filter(member_id=member.pk, quiz=quiz).order_by("-number").first()
    _progress(member, lesson)
    return QuizAttempt.objects.create(
        member_id=member.pk,
        quiz=quiz,
        number=(number.number + 1) if number else 1,
        status=QuizAttempt.Status.OPEN,
        question_ids=ids,
        started_at=timezone.now(),
    )


def mark(question: Question, answer) -> bool | None:
    """Whether ``answer`` is right (``None`` for free text: staff decide)."""
    if question.kind == Question.Kind.FREE_TEXT:
        return None
    choices = list(question.choices.all())
    given = [int(x) for x in (answer or [])]
    if question.kind == Question.Kind.SINGLE:
        right = {c.pk for c in choices if c.correct}
        return len(given) == 1 and given[0] in right
    if question.kind == Question.Kind.MULTIPLE:
        return set(given) == {c.pk for c in choices if c.correct}
    ordered = [c.pk for c in sorted(choices, key=lambda c: (c.position, c.pk))]
    return given == ordered


def score_of(marks: dict, asked: int) -> int:
    """Exact integer percentage (floor) of right answers among ``asked`` questions."""
    right = sum(1 for value in marks.values() if value is True)
    return right * 100 // asked if asked else 0


@transaction.atomic
def do_submit_attempt(attempt: QuizAttempt, answers: dict) -> QuizAttempt:
    """Score ``attempt`` with ``answers`` (question id → list of choice ids, or the text for a
    free-text question). With a free-text question it waits for staff grading."""
    attempt = QuizAttempt.objects.select_for_update().get(pk=attempt.pk)
    member = Distributor.objects.get(pk=attempt.member_id)
    quiz = Quiz.objects.select_related("lesson__course").get(pk=attempt.quiz_id)
    check_open(member, quiz.lesson)
    if attempt.status != QuizAttempt.Status.OPEN:
        raise ValidationError({"attempt": _("This attempt has already been submitted.")})
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in=attempt.question_ids).prefetch_related("choices")
    }
    stored, marks = {}, {}
    for qid in attempt.question_ids:
        question = questions.get(qid)
        if question is None:
            continue
        answer = answers.get(qid, answers.get(str(qid)))
        if question.kind == Question.Kind.FREE_TEXT:
            text = (answer if isinstance(answer, str) else "").strip()
            if not text:
                raise ValidationError({f"q{qid}": _("Write an answer to this question.")})
            stored[str(qid)] = text[:4000]
            continue
        given = [int(x) for x in (answer or [])] if not isinstance(answer, str) else [int(answer)]
        stored[str(qid)] = given
        marks[str(qid)] = mark(question, given)
    attempt.answers = stored
    attempt.marks = marks
    attempt.submitted_at = timezone.now()
    if len(marks) < len(attempt.question_ids):
        attempt.status = QuizAttempt.Status.GRADING
        attempt.save(update_fields=["answers", "marks", "submitted_at", "status"])
        return attempt
    return _finish(attempt, member, quiz)


def _finish(attempt: QuizAttempt, member: Distributor, quiz: Quiz) -> QuizAttempt:
    attempt.score = score_of(attempt.marks, len(attempt.question_ids))
    passed = attempt.score >= quiz.pass_mark
    attempt.status = QuizAttempt.Status.PASSED if passed else QuizAttempt.Status.FAILED
    attempt.save()
    training.quiz_result(member.pk)
    lesson = quiz.lesson
    payload = {
        "quiz": quiz.pk,
        "lesson": lesson.pk,
        "course": lesson.course.slug,
        "attempt": attempt.number,
        "score": attempt.score,
    }
    if passed:
        earlier = (
            QuizAttempt.objects.filter(
                member_id=member.pk, quiz=quiz, status=QuizAttempt.Status.PASSED
            )
            .exclude(pk=attempt.pk)
            .exists()
        )
        if not earlier:
            outbox.record_event(outbox.QUIZ_PASSED, payload, member_id=member.pk)
        _complete(member, lesson)
        _maybe_certify(member, lesson.course, renew=earlier)
    else:
        outbox.record_event(outbox.QUIZ_FAILED, payload, member_id=member.pk)
    return attempt


@transaction.atomic
def do_grade_attempt(attempt: QuizAttempt, marks: dict, *, staff) -> QuizAttempt:
    """Staff mark each free-text answer of ``attempt`` right or wrong; the attempt is scored."""
    attempt = QuizAttempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status != QuizAttempt.Status.GRADING:
        raise ValidationError({"attempt": _("This attempt is not waiting for grading.")})
    quiz = Quiz.objects.select_related("lesson__course").get(pk=attempt.quiz_id)
    free = Question.objects.filter(
        pk__in=attempt.question_ids, kind=Question.Kind.FREE_TEXT
    ).values_list("pk", flat=True)
    merged = dict(attempt.marks)
    for qid in free:
        value = marks.get(qid, marks.get(str(qid)))
        if value is None:
            raise ValidationError({f"q{qid}": _("Mark this answer right or wrong.")})
        merged[str(qid)] = bool(value)
    attempt.marks = merged
    attempt.graded_by = staff
    member = Distributor.objects.get(pk=attempt.member_id)
    return _finish(attempt, member, quiz)


# --- certificates ---------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _current_certificate(member: Distributor, key: str, today: date) -> Certificate | None:
    for cert in Certificate.objects.filter(member_id=member.pk, key=key).order_by("-id"):
        if cert.state_on(today) == "valid":
            return cert
    return None


def course_grade(member: Distributor, course: Course) -> int | None:
    """The member's grade in ``course`` when every required lesson is completed (the mean of
    the newest passing score of each quiz, floor; 100 without quizzes), else ``None``."""
    required = list(course.lessons.filter(required=True).values_list("pk", flat=True))
    done = set(
        LessonProgress.objects.filter(
            member_id=member.pk, lesson_id__in=required, state=LessonProgress.State.COMPLETED
        ).values_list("lesson_id", flat=True)
    )
    if not required or len(done) < len(required):
        return None
    scores = []
    for quiz in Quiz.objects.filter(lesson__course=course, lesson__required=True):
        best = (
            QuizAttempt.objects.filter(
                member_id=member.pk, quiz=quiz, status=QuizAttempt.Status.PASSED
            )
            .order_by("-id")
            .values_list("score", flat=True)
            .first()
        )
        if best is None:
            return None
        scores.append(best)
    return sum(scores) // len(scores) if scores else 100


def _maybe_certify(member: Distributor, course: Course, *, renew: bool = False) -> None:
    if not course.certificate_key:
        return
    today = company_today()
    current = _current_certificate(member, course.certificate_key, today)
    if current is not None and not (renew and _renewable(member, course, today)):
        return
    grade = course_grade(member, course)
    if grade is None:
        return
    do_issue_certificate(member, course, grade=grade, issued_on=today)


def do_issue_certificate(
    member: Distributor, course: Course, *, grade: int, issued_on: date
) -> Certificate:
    """Issue ``course``'s certificate to ``member`` with ``grade`` (records certificate.earned)."""
    if not course.certificate_key:
        raise ValidationError({"course": _("This course has no certificate.")})
    if not 0 <= grade <= 100:
        raise ValidationError({"grade": _("A grade is a percentage from 0 to 100.")})
    expires = (
        add_months(issued_on, course.certificate_valid_months)
        if course.certificate_valid_months
        else None
    )
    with transaction.atomic():
        cert = Certificate.objects.create(
            member_id=member.pk,
            course=course,
            key=course.certificate_key,
            grade=grade,
            passed=grade >= course.certificate_pass_mark,
            course_version=course.version,
            issued_on=issued_on,
            expires_on=expires,
        )
        outbox.record_event(
            outbox.CERTIFICATE_EARNED,
            {
                "certificate": cert.code,
                "key": cert.key,
                "course": course.slug,
                "grade": grade,
                "passed": cert.passed,
                "expires_on": expires.isoformat() if expires else None,
            },
            member_id=member.pk,
        )
    return cert


@transaction.atomic
def do_revoke_certificate(cert: Certificate, *, staff, reason: str) -> Certificate:
    """Staff revoke ``cert`` (the reason is required); records certificate.revoked."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the certificate is revoked.")})
    cert = Certificate.objects.select_for_update().get(pk=cert.pk)
    if cert.revoked_at is not None:
        raise ValidationError({"certificate": _("This certificate is already revoked.")})
    cert.revoked_at = timezone.now()
    cert.revoked_reason = reason[:300]
    cert.revoked_by = staff
    cert.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    outbox.record_event(
        outbox.CERTIFICATE_REVOKED,
        {"certificate": cert.code, "key": cert.key},
        member_id=cert.member_id,
    )
    return cert


@transaction.atomic
def do_record_expiring(on: date) -> int:
    """Record certificate.expiring for every valid certificate expiring within 30 days of
    ``on`` (once per certificate); returns how many."""
    rows = list(
        Certificate.objects.select_for_update()
        .filter(
            expiring_recorded=False,
            revoked_at__isnull=True,
            passed=True,
            expires_on__gte=on,
            expires_on__lte=on + timedelta(days=EXPIRING_DAYS),
        )
        .order_by("id")
    )
    outbox.record_events(
        outbox.CERTIFICATE_EXPIRING,
        [
            (
                c.member_id,
                {"certificate": c.code, "key": c.key, "expires_on": c.expires_on.isoformat()},
            )
            for c in rows
        ],
    )
    Certificate.objects.filter(pk__in=[c.pk for c in rows]).update(expiring_recorded=True)
    return len(rows)


# --- business actions (from the outbox) -----------------------------------------------------


def do_record_business_action(member_id: int, action: str, at) -> bool:
    """Remember the first time member ``member_id`` did ``action``; True when it is new."""
    _obj, created = BusinessAction.objects.get_or_create(
        member_id=member_id, action=action, defaults={"done_at": at}
    )
    return created


# --- SCORM ----------------------------------------------------------------------------------


@transaction.atomic
def do_scorm_commit(member: Distributor, lesson: Lesson, values: dict) -> ScormState:
    """Store what a SCORM 1.2 package reported; ``passed``/``completed`` completes the lesson."""
    check_open(member, lesson)
    if lesson.kind != Lesson.Kind.SCORM:
        raise ValidationError({"lesson": _("This lesson is not a SCORM package.")})
    state, _created = ScormState.objects.select_for_update().get_or_create(
        member_id=member.pk, lesson=lesson
    )
    data = dict(state.data)
    for key, value in values.items():
        if isinstance(key, str) and key.startswith("cmi.") and len(data) < 200:
            data[key] = str(value)[:4000]
    state.data = data
    status = data.get("cmi.core.lesson_status", "")
    state.lesson_status = status[:20]
    raw = data.get("cmi.core.score.raw", "")
    try:
        state.score_raw = max(0, min(100, int(float(raw)))) if raw != "" else None
    except (ValueError, OverflowError):  # "abc", "nan", "inf"
        raise ValidationError({"cmi.core.score.raw": _("The score is not a number.")}) from None
    state.save()
    _progress(member, lesson)
    if status in ("passed", "completed"):
        _complete(member, lesson)
        _maybe_certify(member, lesson.course)
    return state


# --- authoring (console) --------------------------------------------------------------------


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Unknown language %(code)s.") % {"code": language}})


@transaction.atomic
def do_save_course(
    course: Course | None, *, slug: str, area: str, source_language: str, title: dict,
    summary: dict, certificate_key: str = "", certificate_pass_mark: int = 0,
    certificate_valid_months: int | None = None,
) -> Course:  # fmt: skip
    """Create or change a course's settings and titles."""
    _check_language(source_language)
    if area not in Course.Area.values:
        raise ValidationError({"area": _("Choose one of the areas.")})
    if not title.get(source_language):
        raise ValidationError({"title": _("The title in the source language is required.")})
    if not 0 <= int(certificate_pass_mark) <= 100:
        raise ValidationError({"certificate_pass_mark": _("A pass mark is 0 to 100.")})
    if Course.objects.filter(slug=slug).exclude(pk=course.pk if course else None).exists():
        raise ValidationError({"slug": _("Another course has this slug.")})
    course = course or Course(slug=slug)
    course.slug, course.area, course.source_language = slug, area, source_language
    course.title = {k: v for k, v in title.items() if v}
    course.summary = {k: v for k, v in summary.items() if v}
    course.certificate_key = certificate_key
    course.certificate_pass_mark = int(certificate_pass_mark)
    course.certificate_valid_months = certificate_valid_months or None
    course.full_clean()
    course.save()
    return course


@transaction.atomic
def do_add_module(course: Course, *, key: str, title: dict) -> Module:
    if course.modules.filter(key=key).exists():
        raise ValidationError({"key": _("This course already has a module with this key.")})
    position = course.modules.count() + 1
    module = Module(course=course, key=key, title=title, position=position)
    module.full_clean()
    module.save()
    return module


@transaction.atomic
def do_add_lesson(
    module: Module, *, key: str, kind: str = Lesson.Kind.MARKDOWN, minutes: int = 5,
    title: str = "", body: str = "",
) -> Lesson:  # fmt: skip
    course = module.course
    if course.lessons.filter(key=key).exists():
        raise ValidationError({"key": _("This course already has a lesson with this key.")})
    if kind not in Lesson.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of lesson.")})
    position = (
        course.lessons.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    lesson = Lesson(
        module=module, course=course, key=key, kind=kind, minutes=minutes, position=position
    )
    lesson.full_clean(exclude=["module", "course"])
    lesson.save()
    if kind == Lesson.Kind.QUIZ:
        Quiz.objects.create(lesson=lesson)
    LessonText.objects.create(
        lesson=lesson, language=course.source_language, title=title or key, body=body,
        source_version=1,
    )  # fmt: skip
    return lesson


@transaction.atomic
def do_save_lesson_text(lesson: Lesson, *, language: str, title: str, body: str) -> LessonText:
    """Save ``lesson``'s text in ``language``. A change in the source language raises the
    lesson's version, so the other languages show as outdated until they are saved again."""
    _check_language(language)
    if not title.strip():
        raise ValidationError({"title": _("A title is required.")})
    lesson = Lesson.objects.select_for_update().select_related("course").get(pk=lesson.pk)
    text = LessonText.objects.filter(lesson=lesson, language=language).first()
    source = language == lesson.course.source_language
    if source and text is not None and (text.body != body or text.title != title):
        lesson.version += 1
        lesson.save(update_fields=["version"])
    text = text or LessonText(lesson=lesson, language=language)
    text.title, text.body = title.strip(), body
    text.source_version = lesson.version
    text.save()
    return text


@transaction.atomic
def do_publish_course(course: Course) -> Course:
    """Publish ``course`` (its version goes up when it was published before)."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    if not course.lessons.exists():
        raise ValidationError({"course": _("A course needs at least one lesson to be published.")})
    if course.published_at is not None and course.status == Course.Status.DRAFT:
        course.version += 1
    course.status = Course.Status.PUBLISHED
    course.published_at = timezone.now()
    course.save(update_fields=["status", "published_at", "version"])
    return course


@transaction.atomic
def do_unpublish_course(course: Course) -> Course:
    course.status = Course.Status.DRAFT
    course.save(update_fields=["status"])
    return course


# --- quiz editor (console) ------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceInput:
    """An answer option as staff typed it: texts per language and whether it is correct."""

    text: dict[str, str]
    correct: bool = False


@transaction.atomic
def do_save_quiz_settings(
    quiz: Quiz, *, pass_mark: int, draw: int, max_attempts: int, wait_minutes: int
) -> Quiz:
    """Pass mark (0–100 %), questions drawn per attempt (0: all; at most the bank's size),
    attempts (0: unlimited) and minutes between attempts."""
    errors = {}
    if not 0 <= pass_mark <= 100:
        errors["pass_mark"] = _("A pass mark is 0 to 100.")
    bank = quiz.questions.count()
    if draw < 0 or draw > bank:
        errors["draw"] = _(
            "Questions drawn per attempt: 0 (all) up to the %(count)s questions of the quiz."
        ) % {"count": bank}
    if max_attempts < 0 or wait_minutes < 0:
        errors["max_attempts"] = _("Attempts and waiting time cannot be negative.")
    if errors:
        raise ValidationError(errors)
    quiz.pass_mark, quiz.draw = pass_mark, draw
    quiz.max_attempts, quiz.wait_minutes = max_attempts, wait_minutes
    quiz.save(update_fields=["pass_mark", "draw", "max_attempts", "wait_minutes"])
    return quiz


def _check_question(kind: str, text: dict, source: str, choices: list[ChoiceInput]) -> None:
    """A question needs its text in the course's source language, and every choice too.
    Single choice: at least two choices, exactly one correct. Multiple choice: at least two
    choices, at least one correct. Ordering: at least two items, listed in the right order (no
    "correct" marks). Free text: no choices (staff grade the answer)."""
    if kind not in Question.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of question.")})
    if not text.get(source):
        raise ValidationError(
            {"text": _("The question in the source language (%(code)s) is required.")
             % {"code": source}}
        )  # fmt: skip
    missing = [str(i + 1) for i, c in enumerate(choices) if not c.text.get(source)]
    if missing:
        raise ValidationError(
            {"choices": _("Choice %(numbers)s has no text in the source language (%(code)s).")
             % {"numbers": ", ".join(missing), "code": source}}
        )  # fmt: skip
    correct = sum(1 for c in choices if c.correct)
    if kind == Question.Kind.FREE_TEXT:
        if choices:
            raise ValidationError(
                {"choices": _("A free-text question has no choices: staff grade the answer.")}
            )
        return
    if len(choices) < 2:
        raise ValidationError(
            {"choices": _("A question of this kind needs at least two choices.")}
            if kind != Question.Kind.ORDERING
            else {"choices": _("An ordering question needs at least two items.")}
        )
    if kind == Question.Kind.SINGLE and correct != 1:
        raise ValidationError(
            {"choices": _("A single-choice question has exactly one correct choice.")}
        )
    if kind == Question.Kind.MULTIPLE and correct < 1:
        raise ValidationError(
            {"choices": _("A multiple-choice question has at least one correct choice.")}
        )


def _clean_texts(texts: dict) -> dict[str, str]:
    return {
        code: str(texts[code]).strip()
        for code in LANGUAGES
        if code in texts and str(texts[code]).strip()
    }


@transaction.atomic
def do_save_question(
    quiz: Quiz, question: Question | None, *, kind: str, text: dict, explanation: dict,
    choices: list[ChoiceInput],
) -> Question:  # fmt: skip
    """Create (``question`` None, appended last) or change a question and its choices. Choices
    are kept by position, so a changed text keeps its row; extra rows are removed. For an
    ordering question the order given is the right order."""
    source = quiz.lesson.course.source_language
    text = _clean_texts(text)
    choices = [ChoiceInput(_clean_texts(c.text), bool(c.correct)) for c in choices]
    _check_question(kind, text, source, choices)
    if question is None:
        last = quiz.questions.order_by("-position").values_list("position", flat=True).first()
        question = Question(quiz=quiz, position=(last or 0) + 1)
    elif question.quiz_id != quiz.pk:
        raise ValidationError({"question": _("This question belongs to another quiz.")})
    question.kind = kind
    question.text = text
    question.explanation = _clean_texts(explanation)
    question.save()
    ordering = kind == Question.Kind.ORDERING
    rows = list(question.choices.order_by("position", "id"))
    for index, given in enumerate(choices):
        row = rows[index] if index < len(rows) else Choice(question=question)
        row.position = index + 1
        row.text = given.text
        row.correct = False if ordering else given.correct
        row.save()
    Choice.objects.filter(pk__in=[row.pk for row in rows[len(choices) :]]).delete()
    return question


def _renumber(quiz: Quiz, order: list[int]) -> None:
    for position, pk in enumerate(order, start=1):
        Question.objects.filter(pk=pk, quiz=quiz).exclude(position=position).update(
            position=position
        )


@transaction.atomic
def do_move_question(question: Question, step: int) -> None:
    """Move ``question`` ``step`` places (-1 up, +1 down) in its quiz; positions become 1..n."""
    quiz = Quiz.objects.select_for_update().get(pk=question.quiz_id)
    order = list(quiz.questions.order_by("position", "id").values_list("pk", flat=True))
    index = order.index(question.pk)
    target = max(0, min(len(order) - 1, index + step))
    order.insert(target, order.pop(index))
    _renumber(quiz, order)


@transaction.atomic
def do_delete_question(question: Question) -> None:
    """Remove ``question``; a draw count larger than the bank left shrinks to it. Attempts
    already made keep their stored answers and score."""
    quiz = Quiz.objects.select_for_update().get(pk=question.quiz_id)
    question.delete()
    order = list(quiz.questions.order_by("position", "id").values_list("pk", flat=True))
    _renumber(quiz, order)
    if quiz.draw > len(order):
        quiz.draw = len(order)
        quiz.save(update_fields=["draw"])
