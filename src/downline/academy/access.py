"""Whether a lesson is open to a member, and why not (a prerequisite really blocks).

A lesson is open when its course is published and, for the member:

* every lesson it ``requires`` is completed;
* every track item that names it is unlocked: the member has reached its ``min_rank`` (highest
  rank of their newest computed run) and joined at least ``unlock_days`` days ago.

``lock_reason`` returns ``None`` for an open lesson, else a sentence in the reader's language
naming what is missing; views answer 403 with it (the lesson page and the quiz's POST alike).
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from downline.compensation.models import RunResult
from downline.compensation.plans import loaded_plan
from downline.genealogy.models import Distributor
from downline.genealogy.rules import company_today

from .models import Course, Lesson, LessonProgress, LessonText, TrackItem
from .texts import pick


class Locked(PermissionError):
    """The lesson is not open to the member; ``str()`` is the reason, in the reader's language."""


def member_rank(member: Distributor) -> tuple[int, list[str]] | None:
    """The member's highest rank in their newest computed run and the plan's rank names."""
    row = (
        RunResult.objects.filter(distributor_id=member.pk)
        .select_related("run__plan_version")
        .order_by("-run_id")
        .only("highest_rank", "run__plan_version")
        .first()
    )
    if row is None:
        return None
    names = [rank.name for rank in loaded_plan(row.run.plan_version).plan.ranks]
    return row.highest_rank, names


def lesson_title(lesson: Lesson, language: str | None = None) -> str:
    texts = {t.language: t.title for t in LessonText.objects.filter(lesson=lesson)}
    return pick(texts, language or get_language(), lesson.course.source_language) or lesson.key


def lock_reason(member: Distributor, lesson: Lesson, *, today: date | None = None) -> str | None:
    """``None`` when ``lesson`` is open to ``member``, else why not (see the module docstring)."""
    if lesson.course.status != Course.Status.PUBLISHED:
        return _("This course is not published.")
    missing = list(
        lesson.requires.exclude(
            pk__in=LessonProgress.objects.filter(
                member_id=member.pk, state=LessonProgress.State.COMPLETED
            ).values("lesson_id")
        )
    )
    if missing:
        titles = ", ".join(f"“{lesson_title(item)}”" for item in missing)
        return _("Complete %(lessons)s first.") % {"lessons": titles}
    today = today or company_today()
    rank = None
    for item in TrackItem.objects.filter(lesson=lesson):
        if item.unlock_days:
            days = (today - member.joined_on).days
            if days < item.unlock_days:
                opens = member.joined_on.toordinal() + item.unlock_days
                return _("This lesson opens on %(date)s (%(days)s days after you joined).") % {
                    "date": date.fromordinal(opens).isoformat(),
                    "days": item.unlock_days,
                }
        if item.min_rank:
            rank = rank if rank is not None else (member_rank(member) or (None, []))
            index, names = rank
            needed = names.index(item.min_rank) if item.min_rank in names else None
            if index is None or needed is None or index < needed:
                return _("This lesson opens at the rank %(rank)s.") % {"rank": item.min_rank}
    return None


def check_open(member: Distributor, lesson: Lesson, *, today: date | None = None) -> None:
    reason = lock_reason(member, lesson, today=today)
    if reason is not None:
        raise Locked(reason)
