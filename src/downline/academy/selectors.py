"""Reads of the academy: catalogue, outlines, the dashboard card, the sponsor's team report,
the KPIs, and the selectors other apps use (``docs/academy.md``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import get_language

from downline.genealogy import sponsor_path
from downline.genealogy.models import Distributor
from downline.genealogy.rules import company_today

from .models import (
    BusinessAction,
    Certificate,
    Course,
    Lesson,
    LessonProgress,
    LessonText,
    Question,
    QuizAttempt,
    Track,
    TrackItem,
    TrainingSummary,
)
from .texts import pick

FIRST_TRACK = "first-30-days"
QUESTION_SAMPLE = 100_000  # quiz results per question from the newest attempts
STUCK_DAYS = 14


def _lang(language: str | None) -> str:
    return (language or get_language() or "en")[:2]


def _title_subquery(language: str, ref: str = "pk"):
    return Subquery(
        LessonText.objects.filter(lesson_id=OuterRef(ref), language=language).values("title")[:1]
    )


def _source_title_subquery(ref: str = "pk", source_ref: str = "course__source_language"):
    return Subquery(
        LessonText.objects.filter(lesson_id=OuterRef(ref), language=OuterRef(source_ref)).values(
            "title"
        )[:1]
    )


def published_courses():
    return Course.objects.filter(status=Course.Status.PUBLISHED)


@dataclass
class LessonRow:
    lesson: Lesson
    title: str
    state: str  # "", started, completed
    locked: str | None = None


@dataclass
class ModuleRow:
    title: str
    lessons: list[LessonRow] = field(default_factory=list)


def course_outline(member: Distributor, course: Course, language: str | None = None):
    """Modules with their lessons, each with the member's state and lock reason."""
    from .access import lock_reason

    language = _lang(language)
    lessons = list(
        course.lessons.select_related("module", "course")
        .annotate(t=_title_subquery(language), st=_source_title_subquery())
        .order_by("module__position", "position")
    )
    states = dict(
        LessonProgress.objects.filter(member_id=member.pk, lesson__course=course).values_list(
            "lesson_id", "state"
        )
    )
    modules: dict[int, ModuleRow] = {}
    for lesson in lessons:
        row = modules.setdefault(
            lesson.module_id,
            ModuleRow(pick(lesson.module.title, language, course.source_language)),
        )
        state = states.get(lesson.pk, "")
        locked = None if state == "completed" else lock_reason(member, lesson)
        row.lessons.append(LessonRow(lesson, lesson.t or lesson.st or lesson.key, state, locked))
    return list(modules.values())


def lesson_text(lesson: Lesson, language: str | None = None) -> LessonText | None:
    language = _lang(language)
    texts = {t.language: t for t in LessonText.objects.filter(lesson=lesson)}
    for code in (language, lesson.course.source_language):
        if code in texts:
            return texts[code]
    return next(iter(texts.values()), None)


def course_progress(member: Distributor, language: str | None = None) -> list[dict]:
    """Published courses with the member's completed and total lesson counts."""
    language = _lang(language)
    done = LessonProgress.objects.filter(
        member_id=member.pk, lesson__course=OuterRef("pk"), state=LessonProgress.State.COMPLETED
    )
    courses = published_courses().annotate(
        total=Count("lessons", distinct=True),
        done=Subquery(done.values("lesson__course").annotate(n=Count("pk")).values("n")[:1]),
    )
    return [
        {
            "course": c,
            "title": pick(c.title, language, c.source_language),
            "summary": pick(c.summary, language, c.source_language),
            "total": c.total,
            "done": c.done or 0,
            "percent": (c.done or 0) * 100 // c.total if c.total else 0,
        }
        for c in courses
    ]


# --- the dashboard card (two queries) ------------------------------------------------------


@dataclass
class ChecklistItem:
    title: str
    done: bool
    due_on: date | None
    overdue: bool
    url_lesson: int | None


def dashboard_card(member: Distributor, language: str | None = None) -> dict:
    """ "Continue where you stopped" and the first-30-days checklist, in two queries."""
    language = _lang(language)
    last = (
        LessonProgress.objects.filter(
            member_id=member.pk,
            state=LessonProgress.State.STARTED,
            lesson__course__status=Course.Status.PUBLISHED,
        )
        .order_by("-updated_at")
        .annotate(t=_title_subquery(language, "lesson_id"))
        .annotate(st=_source_title_subquery("lesson_id", "lesson__course__source_language"))
        .values("lesson_id", "t", "st", "lesson__key", "lesson__minutes")
        .first()
    )
    completed = LessonProgress.objects.filter(
        member_id=member.pk, lesson_id=OuterRef("lesson_id"), state=LessonProgress.State.COMPLETED
    )
    acted = BusinessAction.objects.filter(member_id=member.pk, action=OuterRef("action"))
    items = (
        TrackItem.objects.filter(track__key=FIRST_TRACK)
        .filter(Q(lesson__isnull=True) | Q(lesson__course__status=Course.Status.PUBLISHED))
        .annotate(
            lesson_done=Exists(completed),
            action_done=Exists(acted),
            t=_title_subquery(language, "lesson_id"),
            st=_source_title_subquery("lesson_id", "lesson__course__source_language"),
        )
        .order_by("position")
        .values("lesson_id", "action", "due_days", "lesson_done", "action_done", "t", "st")
    )
    today = company_today()
    labels = dict(TrackItem.Action.choices)
    checklist = []
    for item in items:
        due = member.joined_on + timedelta(days=item["due_days"]) if item["due_days"] else None
        done = item["lesson_done"] if item["lesson_id"] else item["action_done"]
        checklist.append(
            ChecklistItem(
                title=(item["t"] or item["st"] or "")
                if item["lesson_id"]
                else str(labels.get(item["action"], item["action"])),
                done=done,
                due_on=due,
                overdue=bool(due and not done and due < today),
                url_lesson=item["lesson_id"],
            )
        )
    done_count = sum(1 for item in checklist if item.done)
    return {
        "continue": last,
        "checklist": checklist,
        "done": done_count,
        "total": len(checklist),
        "percent": done_count * 100 // len(checklist) if checklist else 0,
        "show_checklist": bool(checklist) and (today - member.joined_on).days <= 60,
    }


def tracks_for(member: Distributor, language: str | None = None) -> list[dict]:
    language = _lang(language)
    out = []
    for track in Track.objects.annotate(n=Count("items")):
        out.append({"track": track, "title": pick(track.title, language), "items": track.n})
    return out


def attempts_of(member: Distributor, quiz) -> list[QuizAttempt]:
    return list(QuizAttempt.objects.filter(member_id=member.pk, quiz=quiz).order_by("-number"))


def certificates_of(member: Distributor) -> list[Certificate]:
    return list(Certificate.objects.filter(member_id=member.pk).select_related("course"))


# --- the sponsor's team report -------------------------------------------------------------


@dataclass
class TeamPage:
    rows: list[dict]
    number: int
    num_pages: int
    total: int
    counts: dict[str, int]

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


TEAM_FILTERS = ("all", "not_started", "stuck", "failed_twice")


def team_report(
    sponsor: Distributor, *, status: str = "all", page: int = 1, per_page: int = 50
) -> TeamPage:
    """The training progress of ``sponsor``'s enrollment downline (never beyond), counted per
    status and paginated (by level, then id; the level is the difference of the depths).

    The team is one range of the stored sponsor path (``genealogy.sponsor_path``), read twice
    from indexes alone: the distributors' key index gives who is in the team (and their
    depth), the training summaries' copy of the path gives the started members' counts. So
    ``not_started`` = team − started; ``failed_twice`` = started with a quiz failed twice and
    not passed; ``stuck`` = started, no such quiz, nothing for ``STUCK_DAYS``; ``active`` = the
    rest. A page of everyone or of the not-started is cut from the distributors' range (the
    not-started: no started summary with the same key, a merge of the two ranges), a page of
    the stuck or failed from the summaries' range; then only its rows are joined."""
    if status not in TEAM_FILTERS:
        status = "all"
    stuck_before = timezone.now() - timedelta(days=STUCK_DAYS)
    members = Distributor._meta.db_table
    summaries = TrainingSummary._meta.db_table
    top = Distributor.objects.filter(pk=sponsor.pk).values_list("sponsor_path", flat=True).first()
    top_path = top or ""
    in_team, team_params = sponsor_path.below_condition(top_path, alias="d")
    started_in_team, started_params = sponsor_path.below_condition(top_path, alias="s")
    team = f"{in_team} AND d.kind = 'distributor'"

    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT (SELECT COUNT(*) FROM {members} d WHERE {team}),
                COALESCE(SUM(CASE WHEN s.touched > 0 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN s.touched > 0 AND s.failed_twice > 0 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN s.touched > 0 AND s.failed_twice = 0 AND s.last_at < %s
                    THEN 1 ELSE 0 END), 0)
            FROM {summaries} s WHERE {started_in_team}""",
            [*team_params, stuck_before, *started_params],
        )
        everyone, started, failed, stuck = cursor.fetchone()
    counts = {
        "all": everyone,
        "not_started": everyone - started,
        "failed_twice": failed,
        "stuck": stuck,
        "active": started - failed - stuck,
    }

    ahead = ""  # a materialized step before the page, for the not-started
    if status == "all":
        chosen = f"""SELECT d.id, d.sponsor_depth FROM {members} d WHERE {team}
            ORDER BY d.sponsor_depth, d.id LIMIT %s OFFSET %s"""
        chosen_params = team_params
    elif status == "not_started":
        # materialized: with the page's LIMIT next to it the planner would probe the summaries
        # once per team member instead of merging the two ranges once
        ahead = f"""unstarted AS MATERIALIZED (
            SELECT d.id, d.sponsor_depth FROM {members} d WHERE {team} AND NOT EXISTS (
                SELECT 1 FROM {summaries} s
                WHERE s.sponsor_path_key = d.sponsor_path_key AND s.member_id = d.id
                AND s.touched > 0 AND {started_in_team})),"""
        chosen = """SELECT id, sponsor_depth FROM unstarted
            ORDER BY sponsor_depth, id LIMIT %s OFFSET %s"""
        chosen_params = [*team_params, *started_params]
    else:
        flagged = (
            "s.failed_twice > 0"
            if status == "failed_twice"
            else "s.failed_twice = 0 AND s.last_at < %s"
        )
        chosen = f"""SELECT s.member_id AS id, s.sponsor_depth FROM {summaries} s
            WHERE {started_in_team} AND s.touched > 0 AND {flagged}
            ORDER BY s.sponsor_depth, s.member_id LIMIT %s OFFSET %s"""
        chosen_params = [*started_params, *([] if status == "failed_twice" else [stuck_before])]
    statement = f"""WITH {ahead} chosen AS ({chosen})
        SELECT d.member_id, d.name, d.joined_on, c.sponsor_depth - %s, COALESCE(s.completed, 0),
            s.last_at, COALESCE(s.failed_twice, 0),
            CASE WHEN s.member_id IS NULL OR s.touched = 0 THEN 'not_started'
                 WHEN s.failed_twice > 0 THEN 'failed_twice'
                 WHEN s.last_at < %s THEN 'stuck'
                 ELSE 'active' END, d.id
        FROM chosen c JOIN {members} d ON d.id = c.id LEFT JOIN {summaries} s ON s.member_id = c.id
        WHERE {team}
        ORDER BY c.sponsor_depth, c.id"""
    total = counts[status]
    num_pages = max(1, -(-total // per_page))
    page = min(max(1, page), num_pages)
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [
                *chosen_params,
                per_page,
                (page - 1) * per_page,
                sponsor_path.depth_of(top_path) if top else 0,
                stuck_before,
                *team_params,
            ],
        )
        fetched = cursor.fetchall()
    keys = ("member_id", "name", "joined_on", "lvl", "done", "last_at", "failed_twice", "flag")
    rows = [dict(zip(keys, row[:8], strict=True)) | {"pk": row[8]} for row in fetched]
    return TeamPage(rows, page, num_pages, total, counts)


# --- for other apps (docs/academy.md) ------------------------------------------------------


def started_or_completed(member_pks: Iterable[int] | QuerySet) -> dict[int, int]:
    """Member pk → number of lessons completed (0 for members who only started); a query of
    ids is read as one sub-select."""
    rows = (
        LessonProgress.objects.filter(member_id__in=member_pks)
        .values("member_id")
        .annotate(n=Count("pk", filter=Q(state=LessonProgress.State.COMPLETED)))
    )
    return {row["member_id"]: row["n"] for row in rows}


def certificates_expiring(within_days: int, *, on: date) -> list[tuple[int, str, date]]:
    """(member pk, certificate key, expires on) of valid certificates expiring within
    ``within_days`` days of ``on``."""
    return list(
        Certificate.objects.filter(
            revoked_at__isnull=True,
            passed=True,
            expires_on__gte=on,
            expires_on__lte=on + timedelta(days=within_days),
        )
        .order_by("expires_on", "id")
        .values_list("member_id", "key", "expires_on")
    )


def certificates_held(*, keys: tuple[str, ...], on: date) -> dict[str, list[int]]:
    """Certificate key → pks of the members holding a valid one on ``on`` (earned on or before
    ``on``, passed, not revoked, not expired); the ``CERTIFICATES_HELD`` hook's handler."""
    held: dict[str, list[int]] = {key: [] for key in keys}
    rows = (
        Certificate.objects.filter(key__in=keys, passed=True, issued_on__lte=on)
        .filter(Q(revoked_at__isnull=True))
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        .values_list("key", "member_id")
        .distinct()
        .order_by("key", "member_id")
    )
    for key, member in rows:
        held[key].append(member)
    return held


@dataclass(frozen=True)
class Doc:
    key: str
    title: str
    text: str
    url: str
    language: str


def learning_documents(language: str) -> list[Doc]:
    """Every published lesson's Markdown text (in ``language``, else the source language)."""
    from django.urls import reverse

    docs = []
    texts: dict[int, dict[str, LessonText]] = {}
    for text in LessonText.objects.filter(
        lesson__course__status=Course.Status.PUBLISHED, lesson__kind=Lesson.Kind.MARKDOWN
    ).select_related("lesson__course"):
        texts.setdefault(text.lesson_id, {})[text.language] = text
    for by_language in texts.values():
        any_text = next(iter(by_language.values()))
        source = any_text.lesson.course.source_language
        chosen = by_language.get(language) or by_language.get(source) or any_text
        lesson = chosen.lesson
        docs.append(
            Doc(
                key=f"academy:{lesson.course.slug}/{lesson.key}",
                title=chosen.title,
                text=chosen.body,
                url=reverse("academy:lesson", args=[lesson.pk]),
                language=chosen.language,
            )
        )
    return docs


# --- console --------------------------------------------------------------------------------


def translation_status(lesson: Lesson) -> dict[str, str]:
    """Language → ``source`` | ``current`` | ``outdated`` | ``missing`` for ``lesson``."""
    texts = {t.language: t.source_version for t in lesson.texts.all()}
    out = {}
    from .models import LANGUAGES

    for code in LANGUAGES:
        if code == lesson.course.source_language:
            out[code] = "source"
        elif code not in texts:
            out[code] = "missing"
        elif texts[code] < lesson.version:
            out[code] = "outdated"
        else:
            out[code] = "current"
    return out


def grading_queue():
    return QuizAttempt.objects.filter(status=QuizAttempt.Status.GRADING).select_related(
        "quiz__lesson__course"
    )


def kpis(language: str | None = None) -> dict:
    """The console's KPI page: participation per course and track, the completion funnel per
    lesson, right answers per question and the joiner cohorts. The counts come from the
    folded counters plus what is not folded yet (``kpi_fold.current_counts``), so they equal
    the counts over every progress row and attempt; the cohorts from the snapshot the fold
    task refreshes hourly (computed here when there is none yet)."""
    from .kpi_fold import current_counts
    from .models import KpiSnapshot

    language = _lang(language)
    counts = current_counts()
    courses = list(published_courses())
    course_rows = [
        {
            "title": pick(c.title, language, c.source_language),
            "members": counts.courses.get(c.pk, 0),
        }
        for c in courses
    ]
    track_rows = [
        {"title": pick(track.title, language), "members": counts.tracks.get(track.pk, 0)}
        for track in Track.objects.all()
    ]
    lessons_by_course: dict[int, list[Lesson]] = {}
    for lesson in (
        Lesson.objects.filter(course__in=courses)
        .annotate(t=_title_subquery(language), st=_source_title_subquery())
        .order_by("position")
    ):
        lessons_by_course.setdefault(lesson.course_id, []).append(lesson)
    funnels = []
    for course in courses:
        steps = [
            {
                "title": lesson.t or lesson.st or lesson.key,
                "started": counts.started.get(lesson.pk, 0),
                "completed": counts.completed.get(lesson.pk, 0),
            }
            for lesson in lessons_by_course.get(course.pk, [])
        ]
        funnels.append(
            {"title": pick(course.title, language, course.source_language), "steps": steps}
        )
    snapshot = KpiSnapshot.objects.filter(key="cohorts").first()
    return {
        "courses": course_rows,
        "tracks": track_rows,
        "funnels": funnels,
        "questions": _question_results(language, counts.asked, counts.right),
        "cohorts": snapshot.data if snapshot is not None else cohorts_now(),
        "cohorts_at": snapshot.computed_at.isoformat() if snapshot is not None else None,
        "unfolded": counts.unfolded,
    }


def _question_results(language: str, asked: dict[int, int], right: dict[int, int]) -> list[dict]:
    """Per question: how often it was answered and answered right; the 30 weakest."""
    rows = []
    for question in Question.objects.filter(
        pk__in=[pk for pk, n in asked.items() if n]
    ).select_related("quiz__lesson__course"):
        n = asked[question.pk]
        rows.append(
            {
                "text": pick(question.text, language, question.quiz.lesson.course.source_language)[
                    :80
                ],
                "asked": n,
                "right": right.get(question.pk, 0),
                "percent": right.get(question.pk, 0) * 100 // n,
            }
        )
    rows.sort(key=lambda row: row["percent"])
    return rows[:30]


def cohorts_now() -> list[dict]:
    """Joiners per month, trained (completed at least one lesson) or not: how many are still
    active, their PV per member and the mean days from joining to the first order. One grouped
    statement over the members, their training summary and their orders."""
    from downline.orders.models import Order

    members = Distributor._meta.db_table
    summaries = TrainingSummary._meta.db_table
    orders = Order._meta.db_table
    days = (
        "(CAST(o.first_at AS DATE) - d.joined_on)"
        if connection.vendor == "postgresql"
        else "(julianday(o.first_at) - julianday(d.joined_on))"
    )
    month = (
        "to_char(d.joined_on, 'YYYY-MM')"
        if connection.vendor == "postgresql"
        else "strftime('%Y-%m', d.joined_on)"
    )
    sql = f"""
SELECT {month} AS cohort,
    CASE WHEN s.completed > 0 THEN 1 ELSE 0 END AS trained,
    COUNT(*) AS members,
    SUM(CASE WHEN d.status = 'active' THEN 1 ELSE 0 END) AS active,
    SUM(COALESCE(o.pv, 0)) AS pv,
    AVG({days}) AS days_to_first_order
FROM {members} d
LEFT JOIN {summaries} s ON s.member_id = d.id
LEFT JOIN (
    SELECT distributor_id, SUM(pv) AS pv, MIN(paid_at) AS first_at FROM {orders}
    WHERE returns_order_id IS NULL GROUP BY distributor_id
) o ON o.distributor_id = d.id
WHERE d.kind = 'distributor'
GROUP BY 1, 2 ORDER BY 1, 2
"""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return [
        {
            "cohort": cohort,
            "trained": bool(trained),
            "members": n,
            "retained": (active or 0) * 100 // n if n else 0,
            "pv_per_member": (pv or 0) // n if n else 0,
            "days_to_first_order": round(days) if days is not None else None,
        }
        for cohort, trained, n, active, pv, days in rows[-24:]
    ]
