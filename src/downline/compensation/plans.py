"""Plan versions: create, edit (until a final run locks them), activate for a period.

Rules:

* a version's text must be a valid plan; every mistake is reported as ``plan.yaml:LINE: path:
  message`` and nothing is stored;
* versions of one plan name are numbered 1, 2, 3 …;
* a locked version (used by a final run) never changes; edit it by creating a new version;
* the version active for a period is the one activated for the latest period at or before it
  (an activation lasts until the next one); a period that has a final run keeps its plan;
* a version's text is stored with ``\n`` line endings whatever it came with (browsers send a
  textarea's text with ``\r\n``, old Mac files end lines with ``\r``), so the text diff of two
  versions shows only the lines that changed and equal texts have equal digests;
* a text is parsed and validated before the transaction that stores it opens, never inside it: a
  large or hostile file (see ``engine.plan`` for its limits) then never holds the database's
  write lock (on SQLite every other writer would wait for it).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.engine.plan import LoadedPlan, PlanError, load_plan_text
from downline.periods.models import Period

from .errors import CompensationError
from .models import PlanActivation, PlanVersion, Run


class PlanVersionError(CompensationError):
    """A plan text with mistakes; ``issues`` lists them as ``source:line: path: message``."""

    def __init__(self, issues: list[str]) -> None:
        self.issues = issues
        super().__init__("\n".join(issues))


def parse_plan(text: str, source: str = "plan.yaml") -> LoadedPlan:
    """The validated plan of ``text``; :class:`PlanVersionError` lists every mistake."""
    try:
        return load_plan_text(text, source)
    except PlanError as error:
        raise PlanVersionError(error.summary().splitlines()) from error


def normalise_line_endings(text: str) -> str:
    """``text`` with every ``\r\n`` and lone ``\r`` turned into ``\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@lru_cache(maxsize=16)
def _loaded(digest: str, text: str) -> LoadedPlan:
    return load_plan_text(text, "plan.yaml")


def loaded_plan(version: PlanVersion) -> LoadedPlan:
    """The parsed plan of a stored version (cached by its digest)."""
    return _loaded(version.digest, version.text)


def do_create_plan_version(
    text: str, *, author: User | None = None, note: str = "", source: str = "plan.yaml"
) -> PlanVersion:
    """Store ``text`` (line endings made ``\n``) as the next version of the plan it names. The
    text is parsed first, outside any transaction; only a valid plan opens one."""
    text = normalise_line_endings(text)
    plan = parse_plan(text, source).plan
    with transaction.atomic():
        latest = (
            PlanVersion.objects.select_for_update()
            .filter(name=plan.name)
            .aggregate(number=Max("number"))["number"]
        )
        return PlanVersion.objects.create(
            name=plan.name,
            number=(latest or 0) + 1,
            text=text,
            digest=hashlib.sha256(text.encode()).hexdigest(),
            note=note,
            author=author,
        )


def _refuse_if_locked(version: PlanVersion) -> None:
    if version.is_locked:
        raise CompensationError(
            _("%(version)s was used by a final run and can no longer change; create a new version.")
            % {"version": version}
        )


def do_update_plan_version(
    version: PlanVersion, text: str, *, note: str | None = None, source: str = "plan.yaml"
) -> PlanVersion:
    """Replace the text of an unlocked version (the plan's name must stay the same); line
    endings become ``\n``. The text is parsed first, outside any transaction; the version is
    then locked and checked again before it changes."""
    text = normalise_line_endings(text)
    _refuse_if_locked(PlanVersion.objects.get(pk=version.pk))
    plan = parse_plan(text, source).plan
    with transaction.atomic():
        locked = PlanVersion.objects.select_for_update().get(pk=version.pk)
        _refuse_if_locked(locked)
        if plan.name != locked.name:
            raise CompensationError(
                _("The plan is named %(new)r but this version belongs to %(old)r.")
                % {"new": plan.name, "old": locked.name}
            )
        return _store_text(locked, text, note)


def _store_text(locked: PlanVersion, text: str, note: str | None) -> PlanVersion:
    locked.text = text
    locked.digest = hashlib.sha256(text.encode()).hexdigest()
    if note is not None:
        locked.note = note
    locked.save(update_fields=["text", "digest", "note", "updated_at"])
    return locked


@transaction.atomic
def do_activate_plan_version(
    version: PlanVersion, period: Period, *, actor: User | None = None
) -> PlanActivation:
    """Make ``version`` the plan from ``period`` on."""
    if Run.objects.filter(period=period, kind=Run.Kind.FINAL).exists() or not period.is_open:
        raise CompensationError(
            _("Period %(period)s is closed; its plan can no longer change.")
            % {"period": period.code}
        )
    activation, _created = PlanActivation.objects.update_or_create(
        period=period, defaults={"version": version, "activated_by": actor}
    )
    return activation


def plan_version_for(period: Period) -> PlanVersion | None:
    """The version active for ``period``: activated for it or the latest period before it."""
    activation = (
        PlanActivation.objects.filter(period__starts_at__lte=period.starts_at)
        .select_related("version")
        .order_by("-period__starts_at")
        .first()
    )
    return None if activation is None else activation.version
