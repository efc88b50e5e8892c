"""Where the dashboard and the team pages get what only a commission run can tell.

The numbers a distributor sees come from the engine through one code path (DESIGN, rule 4), so
these pages never compute ranks, qualification or earnings themselves. The commission runs
(``downline.compensation``) connect here: ``projection_for`` returns the latest projection run's
result for a member, ``activity_requirement`` the plan's personal-volume condition for being
active. Until they are connected both return ``None`` and the pages say that no projection
has been computed yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from downline.genealogy.models import Distributor
from downline.periods.models import Period


@dataclass(frozen=True)
class RankCondition:
    """One condition of the next rank: what is required, what the member has, what is missing."""

    label: str
    required: str
    actual: str
    missing: str


@dataclass(frozen=True)
class Projection:
    """A member's projected standing in a period, as the latest projection run computed it.

    Money in minor units of ``currency``.
    """

    computed_at: datetime
    paid_as_rank: str
    highest_rank: str
    next_rank: str | None
    conditions: list[RankCondition] = field(default_factory=list)
    projected_earnings: int = 0
    currency: str = "EUR"


@dataclass(frozen=True)
class ActivityRequirement:
    """The plan's condition for being active in a period, in hundredths of PV and CV."""

    pv_at_least: int | None
    cv_at_least: int | None


def projection_for(member: Distributor, period: Period | None) -> Projection | None:
    """The latest projection of ``member`` in ``period``; ``None`` while no run has computed one."""
    return None


def activity_requirement(period: Period | None) -> ActivityRequirement | None:
    """The active plan's activity condition for ``period``; ``None`` while no plan is connected."""
    return None
