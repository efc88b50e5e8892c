"""``/academy``: training progress, read only.

Who sees what (``academy:read``):

* an integration key: every member;
* a personal token: what its member's back office shows. Their own courses, lessons, quiz
  results and certificates (the academy home); for the distributors of their enrollment
  downline only the team training summary (``selectors.team_report``: lessons started and
  completed, last activity, not started / stuck / failed a quiz twice), never those members'
  lessons, quiz answers or certificates. Anyone else is 404 (or left out of a list).

Lists are cursor-paginated by id: summaries by member, lesson progress, quiz attempts and
certificates by their row.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from django.conf import settings
from django.db.models import IntegerField, Q, QuerySet, Subquery, Value
from django.db.models.expressions import OuterRef, RawSQL
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Query, Router

from downline.academy import selectors as academy
from downline.academy.models import Certificate, LessonProgress, QuizAttempt, TrainingSummary
from downline.academy.texts import pick
from downline.genealogy import sponsor_path
from downline.genealogy.models import Distributor
from downline.genealogy.rules import company_today

from ..auth import need, viewer
from ..errors import utc_instant
from ..pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from ..schemas import (
    CertificatePage,
    CourseProgressOut,
    LessonProgressPage,
    QuizResultPage,
    TrainingSummaryPage,
)
from .visibility import member_or_404, not_found

router = Router()

TrainingStatus = Literal["not_started", "learning", "stuck", "failed_twice"]
CertificateState = Literal["valid", "expired", "revoked", "failed"]
MEMBER_FILTER = Query(None, max_length=64, description="member id")
COURSE_FILTER = Query(None, max_length=80, description="course slug")
TEAM_STATUS = Query(None, description="the team page's status")
LESSONS_SINCE = Query(None, description="only lessons completed at or after this instant")
ATTEMPTS_SINCE = Query(None, description="only attempts submitted at or after this instant")
CERTIFICATE_STATE = Query(None, description="on today's company date")
ISSUED_SINCE = Query(None, description="only certificates issued on or after this day")


def _stored_path(member: Distributor) -> str:
    """The member's stored sponsor path, read now (the key's member object may be kept)."""
    found = Distributor.objects.filter(pk=member.pk).values_list("sponsor_path", flat=True)
    return found.first() or ""


def trainees(member: Distributor | None) -> QuerySet[Distributor]:
    """The distributors whose training summary the caller may read: all for a key; for a
    personal token its member and their enrollment downline's distributors (the team page,
    ``academy.selectors.team_report``: a range of the stored sponsor path)."""
    rows = Distributor.objects.filter(kind=Distributor.Kind.DISTRIBUTOR)
    if member is None:
        return rows
    below, params = sponsor_path.below_condition(_stored_path(member), include_self=True)
    return rows.filter(pk__in=RawSQL(f"SELECT id FROM {sponsor_path.TABLE} WHERE {below}", params))


def level_below(member_path: str, row_path: str) -> int:
    """Levels from the viewer down to a member of its team (the viewer itself: 0)."""
    return row_path.count("/") - member_path.count("/")


def _with_summary(rows: QuerySet[Distributor]) -> QuerySet[Distributor]:
    summary = TrainingSummary.objects.filter(member_id=OuterRef("pk"))

    def number(column: str):
        return Coalesce(Subquery(summary.values(column)[:1]), Value(0), output_field=IntegerField())

    return rows.annotate(
        touched=number("touched"),
        done=number("completed"),
        failed=number("failed_twice"),
        last_at=Subquery(summary.values("last_at")[:1]),
    )


def _status_filter(status: str, stuck_before: datetime) -> Q:
    """The team page's flags (``selectors.team_report``): not started (no lesson touched),
    failed a quiz twice without passing, stuck (nothing for 14 days), else learning."""
    started = Q(touched__gt=0)
    if status == "not_started":
        return ~started
    if status == "failed_twice":
        return started & Q(failed__gt=0)
    recent = Q(last_at__isnull=True) | Q(last_at__gte=stuck_before)
    if status == "stuck":
        return started & Q(failed=0) & Q(last_at__lt=stuck_before)
    return started & Q(failed=0) & recent


def _status_of(row, stuck_before: datetime) -> str:
    if not row.touched:
        return "not_started"
    if row.failed:
        return "failed_twice"
    if row.last_at is not None and row.last_at < stuck_before:
        return "stuck"
    return "learning"


@router.get("/members", response=TrainingSummaryPage, summary="List training summaries")
def list_summaries(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    state: TrainingStatus | None = TEAM_STATUS,
    member: str | None = MEMBER_FILTER,
):
    """Per distributor: lessons started and completed, last activity, and the team page's
    status (a personal token: its member, level 0, and their enrollment downline)."""
    need(request, "academy:read")
    who = viewer(request)
    stuck_before = timezone.now() - timedelta(days=academy.STUCK_DAYS)
    rows = _with_summary(trainees(who))
    if state:
        rows = rows.filter(_status_filter(state, stuck_before))
    if member:
        rows = rows.filter(member_id=member)
    result = page(rows, cursor=cursor, limit=limit, render=lambda row: row)
    found = result["items"]
    top = _stored_path(who) if who is not None else ""
    result["items"] = [
        {
            "member_id": row.member_id,
            "name": row.name,
            "joined_on": row.joined_on,
            "level": level_below(top, row.sponsor_path) if who is not None else None,
            "lessons_started": row.touched,
            "lessons_completed": row.done,
            "last_activity_at": row.last_at,
            "status": _status_of(row, stuck_before),
        }
        for row in found
    ]
    return result


def _own_or_404(who: Distributor | None, member_id: str) -> Distributor:
    """A member's own training details: any member for a key; a personal token its own only
    (the team page shows the downline's summary, not their lessons)."""
    if who is not None and who.member_id != member_id:
        raise not_found(_("member %(id)s") % {"id": member_id})
    return member_or_404(who, member_id)


def _own_rows(rows: QuerySet, who: Distributor | None, member: str | None) -> QuerySet:
    if who is not None:
        rows = rows.filter(member_id=who.pk)
    if member:
        rows = rows.filter(member__member_id=member)
    return rows


@router.get(
    "/members/{member_id}/courses",
    response=list[CourseProgressOut],
    summary="Read a member's course progress",
)
def course_progress(request: HttpRequest, member_id: str):
    """Every published course with the lessons the member completed (the academy home)."""
    need(request, "academy:read")
    member = _own_or_404(viewer(request), member_id)
    return [
        {
            "course": row["course"].slug,
            "title": row["title"],
            "lessons_total": row["total"],
            "lessons_completed": row["done"],
            "percent": row["percent"],
        }
        for row in academy.course_progress(member)
    ]


def _filtered(
    rows: QuerySet,
    *,
    course: tuple[str, str | None],
    state: tuple[str, str | None],
    since: tuple[str, datetime | None],
) -> QuerySet:
    """The filters the progress and quiz lists share, each a (field lookup, value) pair: a
    course slug, a state and ``completed_since`` (an instant with its zone, on or after)."""
    (course_field, slug), (state_field, wanted), (since_field, instant) = course, state, since
    if slug:
        rows = rows.filter(**{course_field: slug})
    if wanted:
        rows = rows.filter(**{state_field: wanted})
    after = utc_instant(instant, "query.completed_since")
    if after is not None:
        rows = rows.filter(**{f"{since_field}__gte": after})
    return rows


@router.get("/progress", response=LessonProgressPage, summary="List lesson progress")
def list_progress(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    member: str | None = MEMBER_FILTER,
    course: str | None = COURSE_FILTER,
    state: Literal["started", "completed"] | None = None,
    completed_since: datetime | None = LESSONS_SINCE,
):
    """One row per member and lesson opened (a personal token: its own)."""
    need(request, "academy:read")
    rows = _own_rows(
        LessonProgress.objects.select_related("member", "lesson__course"),
        viewer(request),
        member,
    )
    rows = _filtered(
        rows,
        course=("lesson__course__slug", course),
        state=("state", state),
        since=("completed_at", completed_since),
    )
    return page(
        rows,
        cursor=cursor,
        limit=limit,
        render=lambda row: {
            "id": row.pk,
            "member_id": row.member.member_id,
            "course": row.lesson.course.slug,
            "lesson": row.lesson.key,
            "lesson_kind": row.lesson.kind,
            "state": row.state,
            "started_at": row.started_at,
            "completed_at": row.completed_at,
            "updated_at": row.updated_at,
        },
    )


@router.get("/quiz-results", response=QuizResultPage, summary="List quiz results")
def list_quiz_results(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    member: str | None = MEMBER_FILTER,
    course: str | None = COURSE_FILTER,
    state: Literal["open", "grading", "passed", "failed"] | None = None,
    completed_since: datetime | None = ATTEMPTS_SINCE,
):
    """Every quiz attempt with its score (a personal token: its own); the answers stay out."""
    need(request, "academy:read")
    rows = _own_rows(
        QuizAttempt.objects.select_related("member", "quiz__lesson__course"),
        viewer(request),
        member,
    )
    rows = _filtered(
        rows,
        course=("quiz__lesson__course__slug", course),
        state=("status", state),
        since=("submitted_at", completed_since),
    )
    return page(
        rows,
        cursor=cursor,
        limit=limit,
        render=lambda row: {
            "id": row.pk,
            "member_id": row.member.member_id,
            "course": row.quiz.lesson.course.slug,
            "lesson": row.quiz.lesson.key,
            "attempt": row.number,
            "status": row.status,
            "score": row.score,
            "pass_mark": row.quiz.pass_mark,
            "questions": len(row.question_ids or []),
            "started_at": row.started_at,
            "submitted_at": row.submitted_at,
        },
    )


def verification_url(code: str) -> str:
    """The public page that tells anyone whether the certificate is valid."""
    base = getattr(settings, "DOWNLINE_SITE_URL", "http://localhost:8000").rstrip("/")
    return base + reverse("academy:verify", args=[code])


def _state_filter(state: str, today: date) -> Q:
    """``Certificate.state_on(today)`` as a query."""
    live = Q(revoked_at__isnull=True)
    if state == "revoked":
        return ~live
    if state == "failed":
        return live & Q(passed=False)
    expired = Q(expires_on__lt=today)
    if state == "expired":
        return live & Q(passed=True) & expired
    return live & Q(passed=True) & (Q(expires_on__isnull=True) | Q(expires_on__gte=today))


@router.get("/certificates", response=CertificatePage, summary="List certificates")
def list_certificates(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    member: str | None = MEMBER_FILTER,
    course: str | None = COURSE_FILTER,
    state: CertificateState | None = CERTIFICATE_STATE,
    issued_since: date | None = ISSUED_SINCE,
):
    """Certificates with their expiry, state today and public verification URL (a personal
    token: its own)."""
    need(request, "academy:read")
    today = company_today()
    rows = _own_rows(
        Certificate.objects.select_related("member", "course"), viewer(request), member
    )
    if course:
        rows = rows.filter(course__slug=course)
    if state:
        rows = rows.filter(_state_filter(state, today))
    if issued_since:
        rows = rows.filter(issued_on__gte=issued_since)
    language = get_language()
    return page(
        rows,
        cursor=cursor,
        limit=limit,
        render=lambda cert: {
            "code": cert.code,
            "member_id": cert.member.member_id,
            "course": cert.course.slug,
            "course_title": pick(cert.course.title, language, cert.course.source_language),
            "key": cert.key,
            "grade": cert.grade,
            "passed": cert.passed,
            "course_version": cert.course_version,
            "issued_on": cert.issued_on,
            "expires_on": cert.expires_on,
            "state": cert.state_on(today),
            "revoked_at": cert.revoked_at,
            "verification_url": verification_url(cert.code),
        },
    )
