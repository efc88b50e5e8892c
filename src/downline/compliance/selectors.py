"""Reads for compliance: the facts of a period for the indicators, the company's thresholds
and the indicators with their statuses.

The network is the one the engine computed the period on (``compensation.inputs.load_period``:
as it stood at the period's end), the earnings and lines those of the period's final run. A
period without a final run still has its volume indicators; those that need earnings are
undefined (status ``unknown``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils.translation import gettext as _

from downline.calendar import PeriodBounds, bounds_for_code, code_for_day
from downline.compensation.inputs import StoredPeriod, load_period
from downline.compensation.line_blocks import unpack
from downline.compensation.models import CommissionLine, LineBlock, PlanVersion, Run, RunResult
from downline.compensation.plans import loaded_plan, plan_version_for
from downline.compensation.selectors import final_run
from downline.engine.inputs import Lines
from downline.engine.plan import Plan
from downline.engine.tree import Tree
from downline.genealogy.models import Distributor, StructureEvent
from downline.orders.models import Order, ProductKind
from downline.periods.models import Period
from downline.periods.selectors import company_time_zone
from downline.simulation.attribution import linked_amounts

from .catalogue import INDICATORS, Indicator
from .disclosure import EARLIER, NEW, RECENT, Participants
from .errors import ComplianceError
from .measures import KIND_CODES, LineFacts, Measure, OrderFacts, Parameters, PeriodFacts
from .measures import measure_all as _measure_all
from .models import IndicatorThreshold
from .statuses import status_of

EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Setting:
    """The thresholds and parameters in force for one indicator."""

    indicator: Indicator
    amber: int
    red: int
    parameter: int | None
    parameter_2: int | None


@dataclass(frozen=True)
class IndicatorRow:
    setting: Setting
    measure: Measure
    status: str


def settings_in_force() -> dict[str, Setting]:
    """Every indicator's stored thresholds, or the defaults of the catalogue."""
    stored = {row.indicator: row for row in IndicatorThreshold.objects.all()}
    out = {}
    for indicator in INDICATORS:
        row = stored.get(indicator.code)
        out[indicator.code] = Setting(
            indicator,
            row.amber if row else indicator.amber,
            row.red if row else indicator.red,
            row.parameter if row and row.parameter is not None else indicator.parameter,
            row.parameter_2 if row and row.parameter_2 is not None else indicator.parameter_2,
        )
    return out


def _day_number(day: date) -> int:
    return (day - EPOCH).days


def _shifted(bounds: PeriodBounds, periods: int, time_zone: str) -> PeriodBounds:
    """The bounds of the period ``periods`` before ``bounds``."""
    for _step in range(periods):
        code = code_for_day(bounds.first_day - timedelta(days=1), bounds.kind)
        bounds = bounds_for_code(code, time_zone)
    return bounds


def _first_own_orders(orders: Q) -> set[int]:
    """Ids of the orders in ``orders`` that are their buyer's first own order (the earliest
    paid own order that is not a return and not cancelled; ties by id)."""
    own = Order.objects.filter(returns_order__isnull=True, is_customer_order=False).exclude(
        status=Order.Status.CANCELLED
    )
    earlier = own.filter(buyer=OuterRef("buyer")).filter(
        Q(paid_at__lt=OuterRef("paid_at")) | Q(paid_at=OuterRef("paid_at"), id__lt=OuterRef("id"))
    )
    return set(
        own.filter(orders)
        .annotate(has_earlier=Exists(earlier))
        .filter(has_earlier=False)
        .values_list("id", flat=True)
    )


def _orders(period: Period, row_of: dict[int, int], currency: str, tz: ZoneInfo) -> tuple:
    """The period's orders as :class:`OrderFacts` and their database ids."""
    rows = list(
        Order.objects.filter(period=period)
        .exclude(status=Order.Status.CANCELLED)
        .order_by("paid_at", "id")
        .values_list(
            "id",
            "distributor_id",
            "buyer_id",
            "is_customer_order",
            "kind",
            "returns_order_id",
            "after_close",
            "currency",
            "paid_at",
            "pv",
            "cv",
            "amount",
            "returns_order__paid_at",
        )
    )
    originals = {r[5] for r in rows if r[5] is not None}
    first = _first_own_orders(Q(period=period) | Q(id__in=originals))
    kit = ProductKind.STARTER_KIT
    kinds = {r[0]: r[4] for r in rows}
    kinds.update(dict(Order.objects.filter(id__in=originals).values_list("id", "kind")))
    missing = [r for r in rows if r[1] not in row_of]
    if missing:
        number = Order.objects.get(pk=missing[0][0]).number
        raise ComplianceError(
            _(
                "Order %(order)s of period %(period)s is credited to a member who was not a "
                "distributor at the end of the period."
            )
            % {"order": number, "period": period.code}
        )

    def linked(order_id: int) -> bool:
        return kinds[order_id] == kit or order_id in first

    sign = np.array([-1 if r[5] is not None else 1 for r in rows], dtype=np.int64)
    facts = OrderFacts(
        member=np.array([row_of[r[1]] for r in rows], dtype=np.int64),
        buyer=np.array([r[2] for r in rows], dtype=np.int64),
        customer=np.array([r[3] for r in rows], dtype=bool),
        kind=np.array([KIND_CODES[r[4]] for r in rows], dtype=np.int8),
        is_return=sign < 0,
        after_close=np.array([r[6] for r in rows], dtype=bool),
        linked=np.array([linked(r[5] if r[5] is not None else r[0]) for r in rows], dtype=bool),
        in_currency=np.array([r[7] == currency for r in rows], dtype=bool),
        day=np.array([_day_number(r[8].astimezone(tz).date()) for r in rows], dtype=np.int64),
        pv=sign * np.array([r[9] for r in rows], dtype=np.int64),
        cv=sign * np.array([r[10] for r in rows], dtype=np.int64),
        amount=sign * np.array([r[11] for r in rows], dtype=np.int64),
        refund_days=np.array(
            [(r[8] - r[12]).days if r[12] is not None else -1 for r in rows], dtype=np.int64
        ),
    )
    return facts, np.array([r[0] for r in rows], dtype=np.int64)


class _LinesOnly:
    """What ``simulation.attribution.linked_amounts`` reads of a period result."""

    details = None

    def __init__(self, lines: Lines) -> None:
        self.lines = lines


def _rows_of(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Row of each database id in ascending ``sorted_ids`` (-1 for an id not there or -1)."""
    if not len(sorted_ids):
        return np.full(len(ids), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.where((ids >= 0) & (sorted_ids[at] == ids), at, -1).astype(np.int64)


def _lines(run: Run, plan: Plan, stored: StoredPeriod, linked_order: np.ndarray) -> LineFacts:
    """The final run's lines (its line blocks) with their recruiting-linked and
    participant-funded parts; ``linked_order`` marks the engine's order rows."""
    records, recipients = [], []
    for recipient, data in LineBlock.objects.filter(run=run).values_list("recipient_id", "data"):
        block = unpack(data)
        records.append(block)
        recipients.append(np.full(len(block), recipient, dtype=np.int64))
    if not records:
        return LineFacts.empty()
    block = np.concatenate(records)
    order = np.argsort(block["bonus"], kind="stable")  # attribution walks bonus by bonus
    block = block[order]
    recipient = _rows_of(stored.member_ids, np.concatenate(recipients)[order])
    source = _rows_of(stored.member_ids, block["source"].astype(np.int64))
    zeros = np.zeros(len(block), dtype=np.int64)
    lines = Lines(
        bonus=block["bonus"].astype(np.int16),
        recipient=recipient,
        source=source,
        source_order=_rows_of(stored.order_ids, block["source_order"].astype(np.int64)),
        level=block["level"].astype(np.int16),
        base=zeros,
        amount_before_cap=zeros,
        amount=block["amount"].astype(np.int64),
        rate_num=zeros,
        rate_den=zeros,
    )
    inputs = stored.inputs
    result = _LinesOnly(lines)
    return LineFacts(
        recipient=recipient,
        amount=lines.amount,
        linked=linked_amounts(plan, inputs, result, linked_order),
        internal=linked_amounts(plan, inputs, result, np.asarray(inputs.order_customer) < 0),
        downline=(source >= 0) & (source != recipient),
    )


def _plan_thresholds(plan: Plan) -> tuple[int, ...]:
    values = []
    if plan.activity is not None and plan.activity.pv_at_least:
        values.append(plan.activity.pv_at_least)
    values.extend(rank.pv for rank in plan.ranks if rank.pv)
    return tuple(sorted(set(values)))


def _payout_history(period: Period, currency: str, count: int) -> list[tuple[int, int]]:
    """(paid, turnover) of up to ``count`` final runs before ``period``, oldest first."""
    runs = list(
        Run.objects.filter(
            kind=Run.Kind.FINAL, period__kind=period.kind, period__starts_at__lt=period.starts_at
        ).order_by("-period__starts_at")[:count]
    )
    turnover: dict[int, int] = {}
    sums = (
        Order.objects.filter(period_id__in=[r.period_id for r in runs], currency=currency)
        .exclude(status=Order.Status.CANCELLED)
        .filter(after_close=False)
        .values("period_id")
        .annotate(
            sales=Sum("amount", filter=Q(returns_order__isnull=True), default=0),
            refunds=Sum("amount", filter=Q(returns_order__isnull=False), default=0),
        )
    )
    for row in sums:
        turnover[row["period_id"]] = row["sales"] - row["refunds"]
    return [(r.total_paid, turnover.get(r.period_id, 0)) for r in reversed(runs)]


def _previous_customer_cv(
    bounds: PeriodBounds, row_of: dict[int, int], n: int
) -> np.ndarray | None:
    period = Period.objects.filter(code=bounds.code).first()
    out = np.zeros(n, dtype=np.int64)
    if period is None:
        return out
    rows = (
        Order.objects.filter(period=period, is_customer_order=True, after_close=False)
        .exclude(status=Order.Status.CANCELLED)
        .values_list("distributor_id", "cv", "returns_order_id")
    )
    for member, cv, returned in rows:
        if member in row_of:
            out[row_of[member]] += -cv if returned else cv
    return out


@dataclass
class LoadedFacts:
    facts: PeriodFacts
    member_ids: np.ndarray  # database id of each distributor row
    version: PlanVersion
    run: Run | None


def period_facts(period: Period, settings: dict[str, Setting] | None = None) -> LoadedFacts:
    """The facts of ``period`` the indicators read (see the module rules)."""
    settings = settings or settings_in_force()
    run = final_run(period)
    version = run.plan_version if run is not None else plan_version_for(period)
    if version is None:
        raise ComplianceError(
            _("Period %(period)s has no final run and no plan is active for it.")
            % {"period": period.code}
        )
    plan = loaded_plan(version).plan
    try:
        stored = load_period(period, plan)
    except ValueError as error:
        raise ComplianceError(str(error)) from error
    member_ids = stored.member_ids
    row_of = {int(pk): k for k, pk in enumerate(member_ids.tolist())}
    n = len(member_ids)
    time_zone = company_time_zone()
    tz = ZoneInfo(time_zone)
    currency = plan.currency_code
    orders, order_ids = _orders(period, row_of, currency, tz)
    earned = lines = None
    if run is not None:
        earned = np.zeros(n, dtype=np.int64)
        for member, amount in RunResult.objects.filter(run=run).values_list(
            "distributor_id", "earned"
        ):
            if member in row_of:
                earned[row_of[member]] = amount
        linked = np.zeros(len(stored.order_ids), dtype=bool)
        rows = _rows_of(stored.order_ids, order_ids)
        linked[rows[rows >= 0]] = orders.linked[rows >= 0]
        lines = _lines(run, plan, stored, linked)
    bounds = bounds_for_code(period.code, time_zone)
    previous = _shifted(bounds, 1, time_zone)
    cohort = _shifted(bounds, settings["retention"].parameter or 0, time_zone)
    facts = PeriodFacts(
        sponsor=np.asarray(stored.inputs.sponsor, dtype=np.int64),
        joined_day=np.asarray(stored.inputs.joined_day, dtype=np.int64),
        first_day=_day_number(bounds.first_day),
        last_day=_day_number(bounds.last_day),
        orders=orders,
        earned=earned,
        lines=lines,
        pv_thresholds=_plan_thresholds(plan),
        previous_first_day=_day_number(previous.first_day),
        previous_last_day=_day_number(previous.last_day),
        previous_customer_cv=_previous_customer_cv(previous, row_of, n),
        cohort_first_day=_day_number(cohort.first_day),
        cohort_last_day=_day_number(cohort.last_day),
        payout_history=_payout_history(period, currency, settings["payout_creep"].parameter or 0)
        if run is not None
        else (),
    )
    return LoadedFacts(facts, member_ids, version, run)


def leader_scope(loaded: LoadedFacts, member_id: str) -> np.ndarray:
    """The rows of ``member_id`` and everyone below them in the enrollment tree."""
    member = Distributor.objects.filter(member_id=member_id).first()
    if member is None:
        raise ComplianceError(_("There is no member %(member)s.") % {"member": member_id})
    rows = np.flatnonzero(loaded.member_ids == member.pk)
    if not len(rows):
        raise ComplianceError(
            _("Member %(member)s was not a distributor in the network at the end of the period.")
            % {"member": member_id}
        )
    n = loaded.facts.n
    tree = Tree.build(loaded.facts.sponsor)
    return tree.contains(np.full(n, rows[0], dtype=np.int64), np.arange(n, dtype=np.int64))


def indicators(period: Period, leader: str | None = None) -> list[IndicatorRow]:
    """Every indicator of ``period`` (company-wide, or over ``leader``'s enrollment downline)
    with its value and status."""
    settings = settings_in_force()
    loaded = period_facts(period, settings)
    scope = leader_scope(loaded, leader) if leader else None
    params = Parameters({code: (s.parameter, s.parameter_2) for code, s in settings.items()})
    measures = _measure_all(loaded.facts, params, scope)
    return [
        IndicatorRow(
            setting,
            measures[code],
            status_of(
                measures[code].value,
                setting.amber,
                setting.red,
                setting.indicator.higher_is_better,
            ),
        )
        for code, setting in settings.items()
    ]


# --- the income disclosure statement ----------------------------------------------------------


@dataclass
class StatementData:
    """What the statement is computed from, and what it says about its own coverage."""

    participants: Participants
    rank_names: list[str]
    periods: list[str]
    currency: str
    minor_digits: int
    first_day: date
    last_day: date
    other_currency_orders: int  # own orders left out of the costs: paid in another currency
    rank_version: PlanVersion | None = None  # whose display names the rank rows use


def covered_periods(first: str, last: str) -> list[Period]:
    """The periods from ``first`` to ``last`` (codes, inclusive) that exist; each must have its
    final run."""
    time_zone = company_time_zone()
    try:
        start, end = bounds_for_code(first, time_zone), bounds_for_code(last, time_zone)
    except ValueError as error:
        raise ComplianceError(str(error)) from error
    if start.kind != end.kind:
        raise ComplianceError(
            _("Periods %(first)s and %(last)s are not of the same kind.")
            % {"first": first, "last": last}
        )
    if end.starts_at < start.starts_at:
        raise ComplianceError(
            _("The statement cannot run from %(first)s to %(last)s: %(last)s comes first.")
            % {"first": first, "last": last}
        )
    periods = list(
        Period.objects.filter(
            kind=start.kind, starts_at__gte=start.starts_at, starts_at__lt=end.ends_at
        ).order_by("starts_at")
    )
    finals = set(
        Run.objects.filter(kind=Run.Kind.FINAL, period__in=periods).values_list(
            "period_id", flat=True
        )
    )
    without = [p.code for p in periods if p.pk not in finals]
    if without:
        raise ComplianceError(
            _(
                "The statement uses final results only; these periods have no final run yet: "
                "%(periods)s."
            )
            % {"periods": ", ".join(without)}
        )
    if not periods:
        raise ComplianceError(
            _("No period from %(first)s to %(last)s has a final run.")
            % {"first": first, "last": last}
        )
    return periods


def _terminated_before(member_ids: list[int], instant) -> set[int]:
    """Members among ``member_ids`` whose status was ``terminated`` already before ``instant``."""
    terminated = set(
        Distributor.objects.filter(
            pk__in=member_ids, status=Distributor.Status.TERMINATED
        ).values_list("pk", flat=True)
    )
    out = set()
    for member in terminated:
        event = (
            StructureEvent.objects.filter(distributor_id=member, effective_at__lt=instant)
            .exclude(new_status="")
            .order_by("-effective_at", "-id")
            .first()
        )
        if event is not None and event.new_status == Distributor.Status.TERMINATED:
            out.add(member)
    return out


def statement_data(first: str, last: str) -> StatementData:
    """The participants of the periods ``first`` … ``last`` (docs/income-disclosure.md):

    * a participant is a distributor with a result in a final run of the covered periods, except
      one terminated before the first of them;
    * earnings: the final runs' earnings plus the clawback lines posted in the covered periods;
    * rank: the highest paid-as rank reached in the covered periods (index in its run's plan;
      named by the plan of the latest run that reached it);
    * tenure: joined in the covered periods, in the 12 months before, or earlier;
    * costs: own orders paid in the covered periods (returns refunded in them subtract), in the
      statement's currency, by kind.
    """
    periods = covered_periods(first, last)
    runs = list(
        Run.objects.filter(kind=Run.Kind.FINAL, period__in=periods)
        .select_related("period", "plan_version")
        .order_by("period__starts_at")
    )
    currencies = {run.currency for run in runs}
    if len(currencies) > 1:
        raise ComplianceError(
            _("The final runs from %(first)s to %(last)s pay in several currencies (%(list)s).")
            % {"first": first, "last": last, "list": ", ".join(sorted(currencies))}
        )
    currency = runs[0].currency
    names_of = {run.pk: [r.name for r in loaded_plan(run.plan_version).plan.ranks] for run in runs}
    rank_names = list(names_of[runs[-1].pk])
    earnings: dict[int, int] = {}
    best: dict[int, tuple[int, str]] = {}
    for run in runs:
        names = names_of[run.pk]
        for member, earned, paid_as in RunResult.objects.filter(run=run).values_list(
            "distributor_id", "earned", "paid_as_rank"
        ):
            earnings[member] = earnings.get(member, 0) + earned
            if member not in best or paid_as >= best[member][0]:
                best[member] = (paid_as, names[paid_as])
    for name in (name for _index, name in best.values()):
        if name not in rank_names:
            rank_names.append(name)
    time_zone = company_time_zone()
    start = bounds_for_code(periods[0].code, time_zone)
    end = bounds_for_code(periods[-1].code, time_zone)
    excluded = _terminated_before(list(earnings), start.starts_at)
    members = sorted(m for m in earnings if m not in excluded)
    for member, amount in (
        CommissionLine.objects.filter(clawback__isnull=False, period__in=periods)
        .values("recipient_id")
        .annotate(total=Sum("amount"))
        .values_list("recipient_id", "total")
    ):
        if member in earnings:
            earnings[member] += amount
    index = {member: k for k, member in enumerate(members)}
    p = len(members)
    spend = {kind: np.zeros(p, dtype=np.int64) for kind in ProductKind.values}
    other_currency = 0
    own = (
        Order.objects.filter(period__in=periods, is_customer_order=False, buyer_id__in=members)
        .exclude(status=Order.Status.CANCELLED)
        .values_list("buyer_id", "kind", "currency", "amount", "returns_order_id")
    )
    for buyer, kind, order_currency, amount, returned in own:
        if order_currency != currency:
            other_currency += 1
            continue
        spend[kind][index[buyer]] += -amount if returned else amount
    joined = dict(Distributor.objects.filter(pk__in=members).values_list("pk", "joined_on"))
    year_before = start.first_day.replace(year=start.first_day.year - 1)
    tenure = np.array(
        [
            NEW if joined[m] >= start.first_day else RECENT if joined[m] >= year_before else EARLIER
            for m in members
        ],
        dtype=np.int8,
    )
    return StatementData(
        participants=Participants(
            earnings=np.array([earnings[m] for m in members], dtype=np.int64),
            rank=np.array([rank_names.index(best[m][1]) for m in members], dtype=np.int64),
            tenure=tenure,
            starter_kits=spend[ProductKind.STARTER_KIT],
            autoship=spend[ProductKind.AUTOSHIP],
            products=spend[ProductKind.PRODUCT],
            fees=spend[ProductKind.FEE],
        ),
        rank_names=rank_names,
        rank_version=runs[-1].plan_version,
        periods=[period.code for period in periods],
        currency=currency,
        minor_digits=runs[0].minor_digits,
        first_day=start.first_day,
        last_day=end.last_day,
        other_currency_orders=other_currency,
    )
