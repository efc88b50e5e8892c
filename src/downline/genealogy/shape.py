"""The shape of the company's placement tree, from ``settings.DOWNLINE_PLACEMENT``.

* ``binary``: every member has two slots, 1 (left) and 2 (right);
* ``matrix``: every member has ``settings.DOWNLINE_MATRIX_WIDTH`` slots, 1..width, left to right;
* ``unilevel``: no slots and no limit; ``placement_position`` stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext

BINARY = "binary"
MATRIX = "matrix"
UNILEVEL = "unilevel"
SHAPES = (BINARY, MATRIX, UNILEVEL)


@dataclass(frozen=True)
class PlacementShape:
    """``width`` is the number of slots per member, ``None`` when unlimited (unilevel)."""

    name: str
    width: int | None

    @property
    def has_slots(self) -> bool:
        return self.width is not None

    @property
    def positions(self) -> range:
        return range(1, (self.width or 0) + 1)

    def label(self, position: int | None) -> str:
        """``L``/``R`` in a binary tree, the slot number in a matrix, empty in unilevel."""
        if position is None:
            return ""
        if self.name == BINARY:
            return gettext("L") if position == 1 else gettext("R")
        return str(position)


def placement_shape() -> PlacementShape:
    """The shape configured now (read on every call, so tests can override the settings)."""
    name = settings.DOWNLINE_PLACEMENT
    if name == BINARY:
        return PlacementShape(BINARY, 2)
    if name == MATRIX:
        width = int(settings.DOWNLINE_MATRIX_WIDTH)
        if width < 1:
            raise ImproperlyConfigured(f"DOWNLINE_MATRIX_WIDTH must be at least 1, not {width}.")
        return PlacementShape(MATRIX, width)
    if name == UNILEVEL:
        return PlacementShape(UNILEVEL, None)
    raise ImproperlyConfigured(
        f"DOWNLINE_PLACEMENT must be one of {', '.join(SHAPES)}, not {name!r}."
    )
