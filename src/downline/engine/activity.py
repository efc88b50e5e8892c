"""Presence, eligibility and activity (docs/plan-language.md, "Inputs" and "Activity").

* ``present(d)`` ⇔ ``d`` joined on or before the period's last day;
* ``eligible(d)`` ⇔ present and of status ``active``;
* ``active(d)`` ⇔ eligible and ``PV(d) ≥ activity.pv_at_least`` and
  ``CV(d) ≥ activity.cv_at_least`` (conditions not written do not apply);
* a bonus's earner rule: ``active`` (default) or ``eligible``.
"""

from __future__ import annotations

import numpy as np

from .inputs import ACTIVE, PeriodInputs
from .plan import Plan


def presence(inputs: PeriodInputs) -> tuple[np.ndarray, np.ndarray]:
    """``(present, eligible)`` of every distributor."""
    present = np.asarray(inputs.joined_day) <= inputs.last_day
    eligible = present & (np.asarray(inputs.status) == ACTIVE)
    return present, eligible


def activity(plan: Plan, eligible: np.ndarray, pv: np.ndarray, cv: np.ndarray) -> np.ndarray:
    active = eligible.copy()
    rule = plan.activity
    if rule is not None and rule.pv_at_least is not None:
        active &= pv >= rule.pv_at_least
    if rule is not None and rule.cv_at_least is not None:
        active &= cv >= rule.cv_at_least
    return active


def earners(earner: str, active: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Who passes a bonus's earner rule."""
    return active if earner == "active" else eligible
