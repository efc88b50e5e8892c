"""Reads of the orders app: order history, period volumes, binary legs, and the from-scratch
recomputation of a period's volumes that checks the live numbers.

Every read of live volumes first folds the period's pending changes
(``volumes.settle_live_volumes``), so it shows every order committed before it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from django.db.models import Case, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from downline.engine.tree import Tree
from downline.genealogy.models import Distributor
from downline.periods.models import Period

from .models import Order, OrderLine, PeriodVolume
from .volumes import VOLUME_FIELDS, settle_live_volumes


class VolumeRow(NamedTuple):
    """One member's volumes in one period, in hundredths (the columns of ``PeriodVolume``)."""

    pv: int = 0
    cv: int = 0
    customer_pv: int = 0
    customer_cv: int = 0
    group_pv: int = 0
    group_cv: int = 0
    placement_group_pv: int = 0
    placement_group_cv: int = 0

    @property
    def is_zero(self) -> bool:
        return not any(self)


ZERO = VolumeRow()


@dataclass(frozen=True)
class VolumeDifference:
    """A member whose live volumes differ from the ones recomputed from the orders."""

    distributor_id: int
    member_id: str
    live: VolumeRow
    expected: VolumeRow

    def fields(self) -> list[str]:
        return [
            name
            for name, live, expected in zip(VOLUME_FIELDS, self.live, self.expected, strict=True)
            if live != expected
        ]


class LegVolume(NamedTuple):
    """A child in one tree with the group volume of the leg it heads."""

    position: int | None
    distributor_id: int
    member_id: str
    pv: int
    cv: int


class BinaryLegs(NamedTuple):
    """Placement group volumes of a binary member's left (position 1) and right (2) legs."""

    left_pv: int
    left_cv: int
    right_pv: int
    right_cv: int


# --- orders -------------------------------------------------------------------------------


def order_history(member: Distributor, *, period: Period | None = None) -> QuerySet[Order]:
    """Orders and returns that ``member`` bought or was credited with, newest first."""
    orders = Order.objects.filter(Q(buyer=member) | Q(distributor=member))
    if period is not None:
        orders = orders.filter(period=period)
    return orders.select_related("buyer", "distributor", "period").order_by("-paid_at", "-id")


def returned_quantities(order: Order) -> dict[int, int]:
    """For each line id of ``order``, how many units have been returned so far."""
    rows = (
        OrderLine.objects.filter(returns_line__order=order)
        .values("returns_line_id")
        .annotate(quantity=Sum("quantity"))
    )
    return {row["returns_line_id"]: row["quantity"] for row in rows}


def returnable_quantities(order: Order) -> dict[int, int]:
    """For each line id of ``order``, how many units can still be returned."""
    returned = returned_quantities(order)
    return {
        line_id: quantity - returned.get(line_id, 0)
        for line_id, quantity in order.lines.values_list("id", "quantity")
    }


# --- live volumes -------------------------------------------------------------------------


def member_period_volumes(member: Distributor, period: Period) -> VolumeRow:
    """The live volumes of ``member`` in ``period`` (zeros when nothing moved them), with every
    order committed before the call folded in (``volumes.settle_live_volumes``)."""
    settle_live_volumes(period.pk)
    row = (
        PeriodVolume.objects.filter(period=period, distributor=member)
        .values_list(*VOLUME_FIELDS)
        .first()
    )
    return VolumeRow(*row) if row else ZERO


def live_period_volumes(period: Period) -> dict[int, VolumeRow]:
    """Every non-zero live ``PeriodVolume`` row of ``period``, by distributor id, with every
    order committed before the call folded in."""
    settle_live_volumes(period.pk)
    rows = PeriodVolume.objects.filter(period=period).values_list("distributor_id", *VOLUME_FIELDS)
    volumes = {row[0]: VolumeRow(*row[1:]) for row in rows}
    return {member: row for member, row in volumes.items() if not row.is_zero}


def placement_leg_volumes(member: Distributor, period: Period) -> list[LegVolume]:
    """Each placement child of ``member`` with the placement group PV/CV of its leg, by position."""
    children = Distributor.objects.filter(placement_parent=member).order_by(
        "placement_position", "id"
    )
    return _leg_volumes(children, period, "placement_group_pv", "placement_group_cv")


def frontline_volumes(member: Distributor, period: Period) -> list[LegVolume]:
    """Each personally enrolled distributor of ``member`` with their enrollment group PV/CV."""
    children = Distributor.objects.filter(
        sponsor=member, kind=Distributor.Kind.DISTRIBUTOR
    ).order_by("member_id")
    return _leg_volumes(children, period, "group_pv", "group_cv")


def binary_leg_volumes(member: Distributor, period: Period) -> BinaryLegs:
    """Left and right leg volumes of a binary member: the placement group volumes of the
    children in positions 1 and 2 (zero for an empty leg)."""
    legs = {leg.position: leg for leg in placement_leg_volumes(member, period)}
    left, right = legs.get(1), legs.get(2)
    return BinaryLegs(
        left_pv=left.pv if left else 0,
        left_cv=left.cv if left else 0,
        right_pv=right.pv if right else 0,
        right_cv=right.cv if right else 0,
    )


def _leg_volumes(
    children: QuerySet[Distributor], period: Period, pv_field: str, cv_field: str
) -> list[LegVolume]:
    settle_live_volumes(period.pk)
    children = list(children.values_list("id", "member_id", "placement_position"))
    volumes = {
        row[0]: row[1:]
        for row in PeriodVolume.objects.filter(
            period=period, distributor_id__in=[child[0] for child in children]
        ).values_list("distributor_id", pv_field, cv_field)
    }
    return [
        LegVolume(position, child_id, member_id, *volumes.get(child_id, (0, 0)))
        for child_id, member_id, position in children
    ]


# --- from scratch -------------------------------------------------------------------------


def own_period_volumes(period: Period) -> dict[int, tuple[int, int, int, int]]:
    """PV, CV, customer PV, customer CV credited to each distributor by the orders of ``period``.

    Orders count positively and returns negatively in the period they were paid or refunded in;
    cancelled orders count nothing (their volume was reversed in their own period), nor do returns
    after the close (their volume stays with the closed period; their commissions are clawed back).
    """
    signed_pv = Case(When(returns_order__isnull=True, then=F("pv")), default=-F("pv"))
    signed_cv = Case(When(returns_order__isnull=True, then=F("cv")), default=-F("cv"))
    rows = (
        Order.objects.filter(period=period, after_close=False)
        .exclude(status=Order.Status.CANCELLED)
        .values("distributor_id")
        .annotate(
            own_pv=Sum(signed_pv),
            own_cv=Sum(signed_cv),
            own_customer_pv=Sum(signed_pv, filter=Q(is_customer_order=True), default=0),
            own_customer_cv=Sum(signed_cv, filter=Q(is_customer_order=True), default=0),
        )
        .values_list("distributor_id", "own_pv", "own_cv", "own_customer_pv", "own_customer_cv")
    )
    return {row[0]: row[1:] for row in rows}


def recompute_period_volumes(period: Period) -> dict[int, VolumeRow]:
    """Every member's volumes of ``period`` computed from the orders, ignoring ``PeriodVolume``.

    Own volumes come from ``own_period_volumes``; ``group_*`` are subtree sums of own PV/CV over
    the enrollment tree (``sponsor``) and ``placement_group_*`` over the placement tree, both as
    they stand now. Only members with a non-zero number are returned.
    """
    own = own_period_volumes(period)
    if not own:
        return {}
    network = np.array(
        list(
            Distributor.objects.order_by("id").values_list(
                "id",
                Coalesce("sponsor_id", Value(-1)),
                Coalesce("placement_parent_id", Value(-1)),
            )
        ),
        dtype=np.int64,
    ).reshape(-1, 3)
    ids, sponsors, placements = network[:, 0], network[:, 1], network[:, 2]
    values = np.zeros((ids.size, 4), dtype=np.int64)
    positions = np.searchsorted(ids, np.fromiter(own, dtype=np.int64, count=len(own)))
    values[positions] = np.array(list(own.values()), dtype=np.int64)
    group = _group_sums(Tree.build(_positions(ids, sponsors)), values[:, :2])
    placement_group = _group_sums(Tree.build(_positions(ids, placements)), values[:, :2])
    table = np.concatenate([values, group, placement_group], axis=1)
    nonzero = np.nonzero(table.any(axis=1))[0]
    return {int(ids[i]): VolumeRow(*(int(v) for v in table[i])) for i in nonzero}


def _group_sums(tree: Tree, own: np.ndarray) -> np.ndarray:
    """Each column of ``own`` summed over every member's subtree of ``tree``."""
    return np.stack([tree.subtree_sum(own[:, k]) for k in range(own.shape[1])], axis=1)


def _positions(ids: np.ndarray, parent_ids: np.ndarray) -> np.ndarray:
    """Each parent id (-1: none) as a position in the ascending ``ids`` (-1: none)."""
    positions = np.full(parent_ids.shape, -1, dtype=np.int64)
    has_parent = parent_ids >= 0
    positions[has_parent] = np.searchsorted(ids, parent_ids[has_parent])
    return positions


def compare_period_volumes(period: Period) -> list[VolumeDifference]:
    """Members whose live volumes in ``period`` differ from ``recompute_period_volumes``."""
    live = live_period_volumes(period)
    expected = recompute_period_volumes(period)
    members = sorted(
        member
        for member in live.keys() | expected.keys()
        if live.get(member, ZERO) != expected.get(member, ZERO)
    )
    member_ids = dict(Distributor.objects.filter(id__in=members).values_list("id", "member_id"))
    return [
        VolumeDifference(
            distributor_id=member,
            member_id=member_ids.get(member, str(member)),
            live=live.get(member, ZERO),
            expected=expected.get(member, ZERO),
        )
        for member in members
    ]
