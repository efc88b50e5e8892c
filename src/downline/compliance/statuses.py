"""An indicator's status from its value and the company's thresholds (pure).

Thresholds are integers in basis points of the value (``8000`` = 80%, ``15000`` = 1.5×). For an
indicator where more is better (``higher_is_better``) the status is **red** when the value is
below ``red``, **amber** when below ``amber``, else **green**; where less is better it is red
above ``red``, amber above ``amber``, else green. A value on a threshold takes the better side.
An undefined value (nothing to measure) has the status **unknown**.
"""

from __future__ import annotations

from fractions import Fraction

GREEN, AMBER, RED, UNKNOWN = "green", "amber", "red", "unknown"
BP = 10_000


def status_of(value: Fraction | None, amber: int, red: int, higher_is_better: bool) -> str:
    if value is None:
        return UNKNOWN
    scaled = value * BP
    if higher_is_better:
        return RED if scaled < red else AMBER if scaled < amber else GREEN
    return RED if scaled > red else AMBER if scaled > amber else GREEN


def thresholds_problem(amber: int, red: int, higher_is_better: bool) -> str | None:
    """Why ``amber``/``red`` cannot work together (English key), or ``None``."""
    if higher_is_better and red > amber:
        return "higher"
    if not higher_is_better and red < amber:
        return "lower"
    return None
