"""Where the dashboard and the team pages get what only a commission run can tell.

The numbers a distributor sees come from the engine through one code path (DESIGN, rule 4), so
these pages never compute ranks, qualification or earnings themselves:

* ``projection_for`` reads the newest projection run of the period
  (``compensation.selectors.latest_projection``) and the member's stored result and trace:
  paid-as and highest rank, projected earnings (the run's ``earned``, with the run's time), and
  every condition of the next rank with the required and actual value from the trace and what
  is missing (required − actual for a number, "must be active" for the activity condition).
* ``activity_requirement`` is the ``activity`` rule of the plan version active for the period
  (``compensation.plans.plan_version_for``): the PV and CV minimums that decide "PV met".

Both return ``None`` while there is no projection (or no plan), and the pages then say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from downline.compensation.labels import rank_label
from downline.compensation.plans import loaded_plan, plan_version_for
from downline.compensation.reports import rank_names
from downline.compensation.selectors import latest_projection, result_of, trace_of
from downline.core.formatting import format_number
from downline.genealogy.models import Distributor
from downline.periods.models import Period


@dataclass(frozen=True)
class RankCondition:
    """One condition of the next rank: what is required, what the member has, what is missing
    (empty when the condition holds)."""

    label: str
    required: str
    actual: str
    missing: str
    met: bool = False


@dataclass(frozen=True)
class Projection:
    """A member's projected standing in a period, as the latest projection run computed it.

    Money in minor units of ``currency`` with ``minor_digits`` decimals.
    """

    computed_at: datetime
    paid_as_rank: str
    highest_rank: str
    next_rank: str | None
    conditions: list[RankCondition] = field(default_factory=list)
    projected_earnings: int = 0
    currency: str = "EUR"
    minor_digits: int = 2
    active: bool = False


@dataclass(frozen=True)
class ActivityRequirement:
    """The plan's condition for being active in a period, in hundredths of PV and CV.

    *Active* means one thing everywhere (dashboard, level filter, console count and charts): as
    the engine decides it (``engine/activity.py``), a distributor is active in a period when
    their account status is ``active`` (not suspended or terminated) and their PV and CV of
    the period reach these minimums; a minimum the plan does not write does not apply.
    ``web.selectors.active_condition_sql`` is the same rule for a query.
    """

    pv_at_least: int | None
    cv_at_least: int | None

    def minimums(self) -> list[tuple[str, int]]:
        """The volume conditions that can fail: ``("pv" | "cv", minimum)`` with minimum > 0."""
        pairs = (("pv", self.pv_at_least), ("cv", self.cv_at_least))
        return [(name, value) for name, value in pairs if value is not None and value > 0]

    def volumes_met(self, pv: int, cv: int) -> bool:
        """Both volume conditions hold for ``pv`` and ``cv`` (hundredths)."""
        have = {"pv": pv, "cv": cv}
        return all(have[name] >= value for name, value in self.minimums())


def condition_label(name: str, rank_legs: str | None = None) -> str:
    """The translated label of a rank or activity condition named as in the trace."""
    labels = {
        "pv": _("Personal volume (PV)"),
        "cv": _("Commissionable volume (CV)"),
        "gv": _("Group volume (GV)"),
        "qualifying_volume": _("Counted volume"),
        "active": _("Active this period"),
        "personally_enrolled": _("Personally enrolled distributors"),
        "personally_enrolled_active": _("Active personally enrolled distributors"),
        "customers": _("Buying retail customers"),
        "customer_share": _("Customer share of volume"),
        "certificate": _("Certificate"),
    }
    if name == "legs":
        if rank_legs:
            return _("Legs holding %(rank)s or higher") % {"rank": rank_legs}
        return _("Qualified legs")
    return labels.get(name, name)


def show_trace_value(value) -> str:
    """A trace's required or actual value in the reader's words and locale: yes/no, a count
    (``3``), or a decimal written with as many places as the trace wrote
    (``"8000.00"`` → ``8.000,00`` for a German reader)."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return format_number(value)
    text = str(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    places = len(text.partition(".")[2]) if "." in text else 0
    return format_number(number, places)


def missing_text(required, actual, met: bool) -> str:
    """What is missing of one condition: the difference of two numbers (same decimals as the
    trace wrote them), or "must be active" for a yes/no condition; empty when it holds."""
    if met:
        return ""
    if isinstance(required, bool) or isinstance(actual, bool):
        return _("must be active")
    try:
        gap = Decimal(str(required)) - Decimal(str(actual))
    except InvalidOperation:
        return _("not met")
    return show_trace_value(str(gap)) if gap > 0 else _("not met")


def rank_conditions(trace: dict, rank: str, legs_rank: str | None = None) -> list[RankCondition]:
    """Every condition of ``rank`` in a stored trace, with what is missing."""
    for entry in trace.get("ranks", []):
        if entry["name"] == rank:
            return [
                RankCondition(
                    label=condition_label(c["name"], legs_rank),
                    required=show_trace_value(c["required"]),
                    actual=show_trace_value(c["actual"]),
                    missing=missing_text(c["required"], c["actual"], c["pass"]),
                    met=bool(c["pass"]),
                )
                for c in entry["conditions"]
            ]
    return []


def projection_for(member: Distributor, period: Period | None) -> Projection | None:
    """The latest projection of ``member`` in ``period``; ``None`` while no run has computed one."""
    if period is None:
        return None
    run = latest_projection(period)
    if run is None:
        return None
    result = result_of(run, member)
    if result is None:
        return None
    names = rank_names(run)
    trace = trace_of(result)
    next_rank = (trace.get("next_rank") or {}).get("name")
    legs_rank = None
    if next_rank:
        plan = loaded_plan(run.plan_version).plan
        rank = next(r for r in plan.ranks if r.name == next_rank)
        legs_rank = rank.legs.rank if getattr(rank, "legs", None) is not None else None
    version = run.plan_version
    return Projection(
        computed_at=run.computed_at,
        paid_as_rank=rank_label(version, names[result.paid_as_rank]),
        highest_rank=rank_label(version, names[result.highest_rank]),
        next_rank=rank_label(version, next_rank) if next_rank else None,
        conditions=rank_conditions(
            trace, next_rank, rank_label(version, legs_rank) if legs_rank else None
        )
        if next_rank
        else [],
        projected_earnings=result.earned,
        currency=run.currency,
        minor_digits=run.minor_digits,
        active=result.active,
    )


def activity_requirement(period: Period | None) -> ActivityRequirement | None:
    """The active plan's activity condition for ``period``; ``None`` while no plan is connected
    or the plan has no activity rule."""
    if period is None:
        return None
    version = plan_version_for(period)
    if version is None:
        return None
    rule = loaded_plan(version).plan.activity
    if rule is None or (rule.pv_at_least is None and rule.cv_at_least is None):
        return None
    return ActivityRequirement(pv_at_least=rule.pv_at_least, cv_at_least=rule.cv_at_least)
