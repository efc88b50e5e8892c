"""Where a member goes in the placement tree: the placement modes and the rules of a valid slot.

A slot is a (parent, position) pair. Modes, for a member sponsored by ``S``:

* ``explicit``: the given parent and position (the lowest free position when none is given);
* ``spillover``: breadth-first under ``S``, left to right, the first free slot;
* ``extreme_left`` / ``extreme_right``: from ``S`` follow the child in slot 1 (or in the last
  slot) down to the first member whose outer slot is free;
* ``weaker_leg``: ``S``'s leg with the fewest members (``placement_downline + 1`` of the child in
  that slot, 0 for an empty slot; ties go to the lower slot), then breadth-first inside that leg.

In a ``unilevel`` placement tree every member has room, so every automatic mode places directly
under ``S``. Every mode reads one row per level it descends (``placement_free_depth`` guides
breadth-first search), so the cost does not grow with the size of the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import NetworkIntegrityError, person, person_from
from .models import Distributor
from .shape import BINARY, MATRIX, PlacementShape, placement_shape
from .tree_sql import PLACEMENT, TABLE, is_in_subtree, upline_ids


class PlacementMode(models.TextChoices):
    SPILLOVER = "spillover", _("spillover: first free slot, breadth-first, left to right")
    EXTREME_LEFT = "extreme_left", _("extreme left leg")
    EXTREME_RIGHT = "extreme_right", _("extreme right leg")
    WEAKER_LEG = "weaker_leg", _("weaker leg")
    EXPLICIT = "explicit", _("explicit parent and position")


@dataclass(frozen=True)
class Slot:
    parent_id: int
    position: int | None


def find_slot(
    sponsor: Distributor,
    mode: str,
    *,
    member_label: str,
    parent: Distributor | None = None,
    position: int | None = None,
    shape: PlacementShape | None = None,
) -> Slot:
    """The slot ``mode`` chooses for a member (``member_label``) sponsored by ``sponsor``.

    Only finds the slot; ``check_slot`` decides whether the member may take it.
    """
    shape = shape or placement_shape()
    if mode not in PlacementMode.values:
        raise NetworkIntegrityError(
            _("%(mode)s is not a placement mode; use one of %(modes)s."),
            code="unknown_mode",
            params={"mode": mode, "modes": ", ".join(PlacementMode.values)},
        )
    if mode == PlacementMode.EXPLICIT:
        return _explicit(parent, position, member_label=member_label, shape=shape)
    if parent is not None or position is not None:
        raise NetworkIntegrityError(
            _(
                "A placement parent or position was given for %(member)s together with the "
                "automatic placement mode %(mode)s; give either a mode or a parent and position."
            ),
            code="mode_and_slot",
            params={"member": member_label, "mode": mode},
        )
    if not shape.has_slots:
        return Slot(sponsor.pk, None)
    if mode == PlacementMode.SPILLOVER:
        slot = first_free_slot_below(sponsor.pk, shape)
    elif mode == PlacementMode.WEAKER_LEG:
        slot = _weaker_leg(sponsor, shape)
    else:
        outer = 1 if mode == PlacementMode.EXTREME_LEFT else shape.width
        slot = _extreme(sponsor, outer, shape, member_label=member_label)
    if slot is None:
        raise NetworkIntegrityError(
            _(
                "There is no free placement slot under %(sponsor)s for %(member)s: every member "
                "of their placement subtree is full or terminated."
            ),
            code="no_free_slot",
            params={"sponsor": person(sponsor), "member": member_label},
        )
    return slot


def _explicit(
    parent: Distributor | None,
    position: int | None,
    *,
    member_label: str,
    shape: PlacementShape,
) -> Slot:
    if parent is None:
        raise NetworkIntegrityError(
            _("Explicit placement of %(member)s needs a placement parent."),
            code="parent_required",
            params={"member": member_label},
        )
    if position is None and shape.has_slots:
        free = free_positions(parent.pk, shape)
        if not free:
            raise NetworkIntegrityError(
                _("Every slot under %(parent)s is taken; %(member)s cannot be placed there."),
                code="slot_taken",
                params={"parent": person(parent), "member": member_label},
            )
        position = free[0]
    return Slot(parent.pk, position)


def free_positions(parent_id: int, shape: PlacementShape) -> list[int]:
    """The parent's free positions, lowest first (one indexed read of at most ``width`` rows)."""
    taken = set(
        Distributor.objects.filter(placement_parent_id=parent_id).values_list(
            "placement_position", flat=True
        )
    )
    return [position for position in shape.positions if position not in taken]


_DESCEND_SQL = f"""
WITH RECURSIVE walk(id, depth) AS (
    SELECT d.id, d.placement_free_depth FROM {TABLE} d
    WHERE d.id = %s AND d.placement_free_depth IS NOT NULL
    UNION ALL
    SELECT (SELECT c.id FROM {TABLE} c
            WHERE c.placement_parent_id = w.id AND c.placement_free_depth = w.depth - 1
            ORDER BY c.placement_position LIMIT 1),
           w.depth - 1
    FROM walk w WHERE w.depth > 0 AND w.id IS NOT NULL
)
SELECT id FROM walk WHERE depth = 0
"""


def first_free_slot_below(top_id: int, shape: PlacementShape) -> Slot | None:
    """Breadth-first, left to right, the first free slot in the placement subtree of ``top_id``.

    ``placement_free_depth`` of ``top_id`` is the level ``d`` of the shallowest member with a
    free slot; the leftmost such member is reached by stepping, ``d`` times, into the
    lowest-positioned child whose free depth is one less. ``None`` when there is no free slot.
    """
    with connection.cursor() as cursor:
        cursor.execute(_DESCEND_SQL, [top_id])
        row = cursor.fetchone()
    if row is None:
        return None
    if row[0] is None:
        raise NetworkIntegrityError(
            _(
                "The free-slot counters of the placement tree are out of date; run "
                "'downline manage recount_network' and try again."
            ),
            code="counters_out_of_date",
        )
    free = free_positions(row[0], shape)
    if not free:
        raise NetworkIntegrityError(
            _(
                "The free-slot counters of the placement tree are out of date; run "
                "'downline manage recount_network' and try again."
            ),
            code="counters_out_of_date",
        )
    return Slot(row[0], free[0])


_EXTREME_SQL = f"""
WITH RECURSIVE walk(id, lvl) AS (
    SELECT CAST(%s AS BIGINT), 0
    UNION ALL
    SELECT c.id, w.lvl + 1 FROM {TABLE} c JOIN walk w ON c.placement_parent_id = w.id
    WHERE c.placement_position = %s
)
SELECT d.id, d.member_id, d.name, d.status FROM walk w JOIN {TABLE} d ON d.id = w.id
ORDER BY w.lvl DESC LIMIT 1
"""


def _extreme(sponsor: Distributor, outer: int, shape: PlacementShape, *, member_label: str) -> Slot:
    with connection.cursor() as cursor:
        cursor.execute(_EXTREME_SQL, [sponsor.pk, outer])
        bottom_id, bottom_member_id, bottom_name, bottom_status = cursor.fetchone()
    if bottom_status == Distributor.Status.TERMINATED:
        raise NetworkIntegrityError(
            _(
                "The outermost slot of %(sponsor)s's outer leg is under %(parent)s, who is "
                "terminated; place %(member)s with another mode or explicitly."
            ),
            code="parent_terminated",
            params={
                "sponsor": person(sponsor),
                "parent": person_from(bottom_member_id, bottom_name),
                "member": member_label,
            },
        )
    return Slot(bottom_id, outer)


def _weaker_leg(sponsor: Distributor, shape: PlacementShape) -> Slot | None:
    legs = {
        position: (downline + 1, child_id, depth)
        for position, downline, child_id, depth in Distributor.objects.filter(
            placement_parent_id=sponsor.pk
        ).values_list("placement_position", "placement_downline", "id", "placement_free_depth")
    }
    by_size = sorted(shape.positions, key=lambda p: (legs[p][0] if p in legs else 0, p))
    for position in by_size:
        if position not in legs:
            return Slot(sponsor.pk, position)
        _size, child_id, depth = legs[position]
        if depth is not None:
            return first_free_slot_below(child_id, shape)
    return None


def check_slot(
    *,
    member_label: str,
    sponsor: Distributor,
    parent: Distributor | None,
    position: int | None,
    shape: PlacementShape,
    moving_member_id: int | None = None,
) -> None:
    """Refuse a slot that breaks a placement rule, naming the members involved.

    The parent exists, is a distributor (not a retail customer) and is not terminated; the
    position exists in the tree's shape and is free; and the parent is the sponsor or lies
    below the sponsor in the placement tree. ``moving_member_id`` is the member being moved, whose
    own current slot does not count as taken.
    """
    if parent is None:
        raise NetworkIntegrityError(
            _("%(member)s needs a placement parent: only the root of the network has none."),
            code="parent_required",
            params={"member": member_label},
        )
    check_can_receive(parent, member_label=member_label, role="placement")
    if shape.has_slots:
        if position is None or position not in shape.positions:
            raise NetworkIntegrityError(
                _(
                    "Position %(position)s does not exist under %(parent)s in a %(shape)s "
                    "placement tree; use %(positions)s."
                ),
                code="bad_position",
                params={
                    "position": position if position is not None else "(none)",
                    "parent": person(parent),
                    "shape": shape.name,
                    "positions": describe_positions(shape),
                },
            )
        holder = (
            Distributor.objects.filter(placement_parent_id=parent.pk, placement_position=position)
            .exclude(pk=moving_member_id)
            .values_list("member_id", "name")
            .first()
        )
        if holder is not None:
            raise NetworkIntegrityError(
                _(
                    "Slot %(slot)s under %(parent)s is already taken by %(holder)s; "
                    "%(member)s cannot be placed there."
                ),
                code="slot_taken",
                params={
                    "slot": shape.label(position),
                    "parent": person(parent),
                    "holder": person_from(*holder),
                    "member": member_label,
                },
            )
    elif position is not None:
        raise NetworkIntegrityError(
            _(
                "A unilevel placement tree has no positions; place %(member)s under "
                "%(parent)s without a position."
            ),
            code="bad_position",
            params={"member": member_label, "parent": person(parent)},
        )
    if not is_in_subtree(PLACEMENT, parent.pk, sponsor.pk):
        raise NetworkIntegrityError(
            _(
                "%(parent)s is not in the placement subtree of %(sponsor)s, the sponsor of "
                "%(member)s; a member is placed under their sponsor or below them."
            ),
            code="outside_sponsor",
            params={
                "parent": person(parent),
                "sponsor": person(sponsor),
                "member": member_label,
            },
        )


def check_can_receive(parent: Distributor, *, member_label: str, role: str) -> None:
    """A sponsor (``role="enrollment"``) or placement parent must be a non-terminated distributor.

    Decision: suspended members keep building (a suspension is temporary, their upline's
    spillover keeps flowing); terminated members take no new members, neither as sponsor nor as
    placement parent, and automatic placement never chooses a slot under them.
    """
    if parent.kind == Distributor.Kind.CUSTOMER:
        message = (
            _(
                "%(parent)s is a retail customer and cannot sponsor %(member)s; only "
                "distributors sponsor members."
            )
            if role == "enrollment"
            else _(
                "%(parent)s is a retail customer and has no place in the placement tree; "
                "%(member)s cannot be placed under them."
            )
        )
        raise NetworkIntegrityError(
            message,
            code="parent_is_customer",
            params={"parent": person(parent), "member": member_label},
        )
    if parent.status == Distributor.Status.TERMINATED:
        message = (
            _("%(parent)s is terminated and cannot sponsor %(member)s.")
            if role == "enrollment"
            else _("%(parent)s is terminated; %(member)s cannot be placed under them.")
        )
        raise NetworkIntegrityError(
            message,
            code="parent_terminated",
            params={"parent": person(parent), "member": member_label},
        )


def describe_positions(shape: PlacementShape) -> str:
    """The valid positions in words: ``1 (left) or 2 (right)``, ``1 to 3``."""
    if shape.name == BINARY:
        return gettext("1 (left) or 2 (right)")
    return gettext("1 to %(width)s") % {"width": shape.width}


# --------------------------------------------------------------------------- nearest free slot


@dataclass(frozen=True)
class NearestSlot:
    """A free slot found for a refusal's suggestion.

    ``level`` is how many levels below the search's top member the placed member would sit:
    1 directly under the top, 2 under one of the top's placement children, and so on.
    """

    parent: Distributor
    position: int | None
    level: int


def _depths_without(top: Distributor, moving: Distributor | None) -> dict[int, int | None]:
    """Free depths, counted as if ``moving``'s placement subtree were gone, of the members on the
    path from ``top`` down to ``moving``'s placement parent (empty when ``moving`` is not below
    ``top``).

    A moved member cannot be placed inside their own subtree, so a free slot there is no
    suggestion; only the ancestors of ``moving`` count it in their stored depth. Bottom-up:
    ``depth(a) = 0`` when ``a`` itself takes members and has a free slot, otherwise
    ``1 + min(depth(child))`` over the children other than ``moving``. One read per level.
    """
    if moving is None or moving.pk == top.pk or moving.placement_parent_id is None:
        return {}
    if not is_in_subtree(PLACEMENT, moving.pk, top.pk):
        return {}
    chain = upline_ids(PLACEMENT, moving.pk)
    chain = chain[1 : chain.index(top.pk) + 1]
    depths: dict[int, int | None] = {}
    for ancestor in chain:
        own: int | None = None
        below: list[int] = []
        for row_id, parent_id, depth in Distributor.objects.filter(
            models.Q(pk=ancestor) | models.Q(placement_parent_id=ancestor)
        ).values_list("id", "placement_parent_id", "placement_free_depth"):
            if row_id == ancestor:
                own = depth
            elif row_id != moving.pk and parent_id == ancestor:
                child_depth = depths.get(row_id, depth)
                if child_depth is not None:
                    below.append(child_depth)
        depths[ancestor] = 0 if own == 0 else (1 + min(below) if below else None)
    return depths


def nearest_free_slot(
    top: Distributor, shape: PlacementShape, *, moving: Distributor | None = None
) -> NearestSlot | None:
    """The first free slot breadth-first, left to right, in the placement subtree of ``top``.

    The slot is under a distributor who takes new members (not terminated), outside the
    placement subtree of ``moving`` (the member being moved, who cannot go under themselves).
    Breadth-first left-to-right order is the order of the position paths from ``top``, so the
    leftmost free slot on the shallowest level is reached by stepping, level by level, into the
    lowest-positioned child whose free depth is one less: one read per level. ``None`` when
    there is no such slot (or the free-slot counters are out of date).
    """
    if moving is not None and moving.pk == top.pk:
        return None
    depths = _depths_without(top, moving)
    depth = depths.get(top.pk, top.placement_free_depth)
    if depth is None:
        return None
    node, level = top, 1
    while depth > 0:
        children = Distributor.objects.filter(placement_parent_id=node.pk).order_by(
            "placement_position", "id"
        )
        if moving is not None:
            children = children.exclude(pk=moving.pk)
        step = next(
            (
                child
                for child in children
                if depths.get(child.pk, child.placement_free_depth) == depth - 1
            ),
            None,
        )
        if step is None:
            return None
        node, depth, level = step, depth - 1, level + 1
    if not shape.has_slots:
        return NearestSlot(node, None, level)
    free = free_positions(node.pk, shape)
    return NearestSlot(node, free[0], level) if free else None


def describe_nearest(
    slot: NearestSlot, *, top: Distributor, shape: PlacementShape
) -> tuple[Any, dict[str, Any]]:
    """The sentence that points at ``slot`` and its placeholders (``slot_*``), both translatable.

    Binary: "the left/right slot under X"; matrix: "position N under X"; unilevel: "under X".
    A slot deeper than directly under ``top`` also says on which level below ``top`` it is.
    """
    params: dict[str, Any] = {
        "slot_parent": person(slot.parent),
        "slot_position": slot.position,
        "slot_level": slot.level,
        "slot_top": person(top),
    }
    direct = slot.level == 1
    if shape.name == BINARY:
        if slot.position == 1:
            sentence = (
                _("The nearest free slot is the left slot under %(slot_parent)s.")
                if direct
                else _(
                    "The nearest free slot is the left slot under %(slot_parent)s, on level "
                    "%(slot_level)s below %(slot_top)s."
                )
            )
        else:
            sentence = (
                _("The nearest free slot is the right slot under %(slot_parent)s.")
                if direct
                else _(
                    "The nearest free slot is the right slot under %(slot_parent)s, on level "
                    "%(slot_level)s below %(slot_top)s."
                )
            )
    elif shape.name == MATRIX:
        sentence = (
            _("The nearest free slot is position %(slot_position)s under %(slot_parent)s.")
            if direct
            else _(
                "The nearest free slot is position %(slot_position)s under %(slot_parent)s, on "
                "level %(slot_level)s below %(slot_top)s."
            )
        )
    else:
        sentence = (
            _("The nearest free slot is under %(slot_parent)s.")
            if direct
            else _(
                "The nearest free slot is under %(slot_parent)s, on level %(slot_level)s below "
                "%(slot_top)s."
            )
        )
    return sentence, params
