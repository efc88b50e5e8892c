"""Template filters that show rank and bonus names in the reader's language.

``{{ rank|rank_label }}`` and ``{{ bonus|bonus_label }}`` use the active plan version;
``{{ rank|rank_label:version }}`` uses a given :class:`PlanVersion` (e.g. a run's). The
language is the active one (see :mod:`downline.compensation.labels` for the fallbacks).
"""

from __future__ import annotations

from django import template

from downline.compensation.labels import bonus_label as _bonus_label
from downline.compensation.labels import rank_label as _rank_label
from downline.compensation.models import PlanVersion

register = template.Library()


@register.filter
def rank_label(name: object, version: PlanVersion | None = None) -> str:
    """The display name of rank ``name`` (empty stays empty)."""
    return _rank_label(version or None, str(name)) if name else ""


@register.filter
def bonus_label(name: object, version: PlanVersion | None = None) -> str:
    """The display name of bonus ``name`` (empty stays empty)."""
    return _bonus_label(version or None, str(name)) if name else ""
