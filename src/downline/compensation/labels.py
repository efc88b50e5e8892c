"""Display names of ranks and bonuses in the reader's language.

Rule (design rule 12, "numbers stored, words rendered"): runs, traces and results store the
plan's *names* (``Silver``, ``unilevel``); pages render them through these functions, which
look the name up in the plan version's ``label`` mapping:

* the requested language (``None`` → the active Django language; ``de-at`` tries ``de-at``,
  then ``de``),
* then English (``en``),
* then, for a bonus, its ``title``,
* then the name itself (a name no plan knows, e.g. from an older version, is shown as is).

``version`` ``None`` means the plan version active now (activated for the latest period that
has started). Parsed labels are cached per version pk and text digest (an unlocked version
whose text changes gets a new digest); the active version is looked up once per request.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save
from django.utils import timezone, translation

from downline.engine.plan import PlanError

from .models import PlanActivation, PlanVersion
from .plans import loaded_plan

FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class PlanLabels:
    """The display names one plan version gives, by name and then language code."""

    ranks: dict[str, dict[str, str]] = field(default_factory=dict)
    bonuses: dict[str, dict[str, str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)


EMPTY = PlanLabels()

_by_version: dict[tuple[int, str], PlanLabels] = {}


@dataclass(frozen=True)
class _Holder:
    """The active version as looked up once in this request."""

    version: PlanVersion | None


_IN_REQUEST = object()  # inside a request, not looked up yet
# None outside a request (every call looks the active version up), else _IN_REQUEST or _Holder
_active: ContextVar[object] = ContextVar("downline_active_plan_version", default=None)


def labels_of(version: PlanVersion) -> PlanLabels:
    """The parsed labels of ``version`` (cached by pk and digest); empty if it does not parse."""
    key = (version.pk, version.digest)
    labels = _by_version.get(key)
    if labels is None:
        try:
            plan = loaded_plan(version).plan
        except PlanError:
            labels = EMPTY
        else:
            labels = PlanLabels(
                ranks={rank.name: dict(rank.label or {}) for rank in plan.ranks},
                bonuses={bonus.name: dict(bonus.label or {}) for bonus in plan.bonuses},
                titles={bonus.name: bonus.title for bonus in plan.bonuses if bonus.title},
            )
        if len(_by_version) > 64:
            _by_version.clear()
        _by_version[key] = labels
    return labels


def active_plan_version() -> PlanVersion | None:
    """The version activated for the latest period that has started (else the first one
    activated), or ``None`` when no plan was ever activated. Looked up once per request."""
    cached = _active.get()
    if isinstance(cached, _Holder):
        return cached.version
    activations = PlanActivation.objects.select_related("version").order_by("-period__starts_at")
    activation = (
        activations.filter(period__starts_at__lte=timezone.now()).first()
        or activations.order_by("period__starts_at").first()
    )
    version = None if activation is None else activation.version
    if cached is _IN_REQUEST:
        _active.set(_Holder(version))
    return version


def _languages(language: str | None) -> list[str]:
    """The language codes to try, most specific first, ending with English."""
    code = (language or translation.get_language() or FALLBACK_LANGUAGE).lower()
    codes = [code, code.split("-")[0].split("_")[0], FALLBACK_LANGUAGE]
    return list(dict.fromkeys(codes))


def _pick(labels: dict[str, str], language: str | None) -> str | None:
    for code in _languages(language):
        if labels.get(code):
            return labels[code]
    return None


def _labels(version: PlanVersion | None) -> PlanLabels:
    version = version if version is not None else active_plan_version()
    return EMPTY if version is None else labels_of(version)


def rank_label(version: PlanVersion | None, name: str, language: str | None = None) -> str:
    """The display name of rank ``name`` in ``language`` (then English, then the name)."""
    if not name:
        return name
    return _pick(_labels(version).ranks.get(name, {}), language) or name


def bonus_label(version: PlanVersion | None, name: str, language: str | None = None) -> str:
    """The display name of bonus ``name`` in ``language`` (then English, the title, the name)."""
    if not name:
        return name
    labels = _labels(version)
    return _pick(labels.bonuses.get(name, {}), language) or labels.titles.get(name) or name


def _request_started(**kwargs: object) -> None:
    _active.set(_IN_REQUEST)


def _request_finished(**kwargs: object) -> None:
    _active.set(None)


def _activation_changed(**kwargs: object) -> None:
    if _active.get() is not None:
        _active.set(_IN_REQUEST)


request_started.connect(_request_started, dispatch_uid="downline.labels.request_started")
request_finished.connect(_request_finished, dispatch_uid="downline.labels.request_finished")
post_save.connect(_activation_changed, sender=PlanActivation, dispatch_uid="labels.activation")
post_delete.connect(_activation_changed, sender=PlanActivation, dispatch_uid="labels.act_del")
