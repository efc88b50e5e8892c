"""Every write to the network: enrollments, moves, status changes, upgrades and reversals.

Each action is atomic, checks the integrity rules against the network as it is when the change
is written, records who made the change, why and when it takes effect (a ``StructureEvent``),
keeps the downline counters and the free-slot depths current, and moves the live period volumes
of a moved subtree from the old upline to the new one (the orders app owns those: the move fires
``core.hooks.SUBTREE_MOVING`` and ``SUBTREE_MOVED`` in its transaction).

Integrity rules:

* exactly one root: the first member, a distributor without sponsor or placement;
* no cycles: a new sponsor (placement parent) is never inside the member's own enrollment
  (placement) subtree;
* placement capacity: 2 slots in a binary tree, ``DOWNLINE_MATRIX_WIDTH`` in a matrix, no limit
  in unilevel; the position must exist in that shape and be free;
* a member's placement parent is their sponsor or lies below their sponsor in the placement
  tree, for the moved member and for everyone whose placement moves along with them;
* no orphans: sponsors and placement parents exist and are distributors; terminated members take
  no new members (neither enrollments, moves nor upgrades), suspended ones do;
* retail customers have a distributor sponsor, no placement, and sponsor nobody;
* history stays consistent: a change takes effect no later than now, and a change to the trees
  no earlier than the latest change already recorded, so every past tree rebuilt from the events
  passed the same checks (a status change only has to follow the member's own latest event).

Concurrency: structure writers first lock the root row (``FOR NO KEY UPDATE`` on PostgreSQL; on
SQLite the write transaction itself is exclusive), then re-read and lock the rows they decide on.
Enrollments and moves update the counters of the root anyway, so this serialises little that
was not serialised already, and it makes every check-then-write race-free: two concurrent
enrollments can never take the same slot, and the free-slot depths never lose an update.
Writers of live volumes hold the same lock shared (``locks.hold_network_shared``), so they never
walk an upline chain that a move is rewriting. The database constraints remain the last line of
defence; their ``IntegrityError`` becomes a ``NetworkIntegrityError``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from downline.core import events as outbox
from downline.core import hooks
from downline.core.phrases import Phrase
from downline.periods.locks import lock_period_for_writing
from downline.periods.models import Period
from downline.periods.selectors import open_periods

from .counters import add_to_upline_counts, recount_all, refresh_free_depth
from .errors import NetworkIntegrityError, person
from .events import MemberState, record_event, state_after, state_before
from .locks import hold_network_exclusive
from .models import Distributor, StructureEvent
from .placement import PlacementMode, check_can_receive, check_slot, find_slot
from .rules import (
    check_has_placement,
    check_move,
    check_not_inside,
    check_reversible,
    check_sponsor_change,
    company_today,
    effective_instant,
    required_reason,
    suggest_nearest_slot,
    validate_details,
)
from .shape import PlacementShape, placement_shape
from .sponsor_path import child_path, rebuild_all, rewrite_subtree
from .tree_sql import ENROLLMENT, PLACEMENT

MemberRef = Distributor | str
"""A member given as a ``Distributor`` or by ``member_id``."""


# --------------------------------------------------------------------------- helpers


def _locked(ref: MemberRef | int, *, role: Any) -> Distributor:
    """The member, re-read and locked; a clear error when it does not exist."""
    rows = Distributor.objects.select_for_update(no_key=True)
    if isinstance(ref, Distributor):
        found = rows.filter(pk=ref.pk).first()
        label = ref.member_id
    elif isinstance(ref, int):
        found = rows.filter(pk=ref).first()
        label = f"#{ref}"
    else:
        found = rows.filter(member_id=str(ref).strip()).first()
        label = str(ref)
    if found is None:
        raise NetworkIntegrityError(
            _("There is no member %(member)s (given as %(role)s)."),
            code="unknown_member",
            params={"member": label, "role": role},
        )
    return found


def _open_period_ids() -> list[int]:
    """The open periods whose live volumes a move shifts, each locked against a close."""
    ids = []
    for period in open_periods():
        locked = lock_period_for_writing(period.pk)
        if locked.status == Period.Status.OPEN:
            ids.append(locked.pk)
    return ids


def _find_slot(
    *,
    top: Distributor,
    member_label: str,
    mode: str | None,
    parent: MemberRef | None,
    position: int | None,
    shape: PlacementShape,
) -> tuple[Distributor, int | None]:
    """The slot ``mode`` finds under ``top`` (or the given parent/position), parent locked.

    Finding is not checking: callers check the slot with ``check_slot`` or ``check_move``.
    """
    locked_parent = None if parent is None else _locked(parent, role=_("placement parent"))
    if mode is None:
        mode = PlacementMode.EXPLICIT if locked_parent is not None else PlacementMode.SPILLOVER
    slot = find_slot(
        top,
        mode,
        member_label=member_label,
        parent=locked_parent,
        position=position,
        shape=shape,
    )
    if locked_parent is None or locked_parent.pk != slot.parent_id:
        locked_parent = _locked(slot.parent_id, role=_("placement parent"))
    return locked_parent, slot.position


def _integrity_error(error: IntegrityError, member: Distributor) -> NetworkIntegrityError:
    """The database refused the write: say which rule, as far as it can be told."""
    if Distributor.objects.filter(member_id=member.member_id).exclude(pk=member.pk).exists():
        return NetworkIntegrityError(
            _("Member id %(member)s is already taken."),
            code="member_id_taken",
            params={"member": member.member_id},
        )
    if member.sponsor_id is None and Distributor.objects.filter(sponsor__isnull=True).exists():
        return NetworkIntegrityError(
            _("The network already has a root; %(member)s needs a sponsor."),
            code="second_root",
            params={"member": person(member)},
        )
    if (
        member.placement_position is not None
        and Distributor.objects.filter(
            placement_parent_id=member.placement_parent_id,
            placement_position=member.placement_position,
        )
        .exclude(pk=member.pk)
        .exists()
    ):
        return NetworkIntegrityError(
            _("The placement slot chosen for %(member)s was taken at the same moment; try again."),
            code="slot_taken",
            params={"member": person(member)},
        )
    return NetworkIntegrityError(
        _("The database refused the change to %(member)s: %(error)s"),
        code="database",
        params={"member": person(member), "error": str(error)},
    )


def _save(member: Distributor, **fields: Any) -> None:
    """Write ``fields`` (or insert the member) inside a savepoint, translating refusals."""
    try:
        with transaction.atomic():
            if member.pk is None:
                member.save(force_insert=True)
            else:
                Distributor.objects.filter(pk=member.pk).update(**fields)
    except IntegrityError as error:
        for name, value in fields.items():
            setattr(member, name, value)
        raise _integrity_error(error, member) from error
    for name, value in fields.items():
        setattr(member, name, value)


# --------------------------------------------------------------------------- enrollment


def _slot_for_new_distributor(
    sponsor: Distributor,
    *,
    member_label: str,
    mode: str | None,
    parent: MemberRef | None,
    position: int | None,
    shape: PlacementShape,
) -> tuple[Distributor, int | None]:
    """The checked slot for a distributor joining (or upgraded) under ``sponsor``."""
    slot_parent, slot_position = _find_slot(
        top=sponsor,
        member_label=member_label,
        mode=mode,
        parent=parent,
        position=position,
        shape=shape,
    )
    check_slot(
        member_label=member_label,
        sponsor=sponsor,
        parent=slot_parent,
        position=slot_position,
        shape=shape,
    )
    return slot_parent, slot_position


def do_enroll(
    *,
    member_id: str,
    sponsor: MemberRef | None,
    joined_on: date,
    kind: str = Distributor.Kind.DISTRIBUTOR,
    status: str = Distributor.Status.ACTIVE,
    name: str = "",
    email: str = "",
    country: str = "",
    language: str = "en",
    currency: str | None = None,
    user: Any = None,
    placement_mode: str | None = None,
    placement_parent: MemberRef | None = None,
    position: int | None = None,
    actor: Any = None,
    reason: str | Phrase = "",
    effective_at: datetime | None = None,
) -> Distributor:
    """Enroll a distributor or a retail customer and record an ``ENROLLED`` event.

    The first member is the root: a distributor without sponsor. Everyone else has a sponsor,
    a non-terminated distributor who joined no later than them. A distributor is placed by
    ``placement_mode`` under the sponsor (default: ``explicit`` when ``placement_parent`` is
    given, else ``spillover``); a retail customer is not placed. The new distributor is counted
    in the downline of every enrollment and placement ancestor. ``effective_at`` (default now)
    is when the member enters the network's history; it may not precede ``joined_on``.
    """
    with transaction.atomic():
        hold_network_exclusive()
        shape = placement_shape()
        member = Distributor(
            member_id=(member_id or "").strip(),
            kind=kind,
            status=status,
            name=name,
            email=email,
            country=(country or "").upper(),
            language=language,
            currency=(currency or settings.DOWNLINE_CURRENCY).upper(),
            user=user,
            joined_on=joined_on,
        )
        validate_details(member)
        label = person(member)
        if joined_on > company_today():
            raise NetworkIntegrityError(
                _("%(member)s cannot join on %(date)s, a date in the future."),
                code="joins_in_future",
                params={"member": label, "date": joined_on.isoformat()},
            )
        is_customer = kind == Distributor.Kind.CUSTOMER
        slot_given = placement_parent is not None or position is not None
        if sponsor is None:
            if is_customer:
                raise NetworkIntegrityError(
                    _("Retail customer %(member)s needs a sponsor who is a distributor."),
                    code="customer_without_sponsor",
                    params={"member": label},
                )
            root = Distributor.objects.filter(sponsor__isnull=True).first()
            if root is not None:
                raise NetworkIntegrityError(
                    _(
                        "%(member)s needs a sponsor: the network already has its root, "
                        "%(root)s, and there is only one."
                    ),
                    code="second_root",
                    params={"member": label, "root": person(root)},
                )
            if slot_given or placement_mode not in (None, PlacementMode.SPILLOVER):
                raise NetworkIntegrityError(
                    _("%(member)s is the root of the network and has no placement."),
                    code="root_placed",
                    params={"member": label},
                )
            parent, slot_position, locked_sponsor = None, None, None
        else:
            locked_sponsor = _locked(sponsor, role=_("sponsor"))
            check_can_receive(locked_sponsor, member_label=label, role="enrollment")
            if joined_on < locked_sponsor.joined_on:
                raise NetworkIntegrityError(
                    _(
                        "%(member)s cannot join on %(date)s, before their sponsor %(sponsor)s "
                        "joined on %(sponsor_date)s."
                    ),
                    code="joins_before_sponsor",
                    params={
                        "member": label,
                        "date": joined_on.isoformat(),
                        "sponsor": person(locked_sponsor),
                        "sponsor_date": locked_sponsor.joined_on.isoformat(),
                    },
                )
            if is_customer:
                if slot_given or placement_mode is not None:
                    raise NetworkIntegrityError(
                        _(
                            "Retail customer %(member)s is not placed in the placement tree; "
                            "give no placement for them."
                        ),
                        code="customer_placed",
                        params={"member": label},
                    )
                parent, slot_position = None, None
            else:
                parent, slot_position = _slot_for_new_distributor(
                    locked_sponsor,
                    member_label=label,
                    mode=placement_mode,
                    parent=placement_parent,
                    position=position,
                    shape=shape,
                )
        at = effective_instant(effective_at, label=label)
        local_day = timezone.localtime(at, ZoneInfo(settings.DOWNLINE_TIME_ZONE)).date()
        if local_day < joined_on:
            raise NetworkIntegrityError(
                _("%(member)s cannot enter the network on %(day)s, before joining on %(date)s."),
                code="effective_before_joining",
                params={
                    "member": label,
                    "day": local_day.isoformat(),
                    "date": joined_on.isoformat(),
                },
            )
        member.sponsor = locked_sponsor
        member.placement_parent = parent
        member.placement_position = slot_position
        member.placement_free_depth = None if is_customer else 0
        _save(member)
        if not is_customer:
            add_to_upline_counts(ENROLLMENT, member.sponsor_id, 1)
            add_to_upline_counts(PLACEMENT, member.placement_parent_id, 1)
            refresh_free_depth(member.pk, member.placement_parent_id)
            member.refresh_from_db(fields=["placement_free_depth"])
        record_event(
            member,
            StructureEvent.Kind.ENROLLED,
            None,
            MemberState.of(member),
            at=at,
            actor=actor,
            reason=reason or "",
            change_id=uuid.uuid4(),
        )
        outbox.record_event(
            outbox.MEMBER_JOINED,
            {
                "member": member.member_id,
                "kind": member.kind,
                "sponsor": locked_sponsor.member_id if locked_sponsor else None,
                "joined_on": joined_on.isoformat(),
                "country": member.country,
                "language": member.language,
            },
            member_id=member.pk,
            occurred_at=at,
        )
        return member


def do_upgrade_customer(
    customer: MemberRef,
    *,
    placement_mode: str | None = None,
    placement_parent: MemberRef | None = None,
    position: int | None = None,
    actor: Any = None,
    reason: str = "",
    effective_at: datetime | None = None,
) -> StructureEvent:
    """A retail customer becomes a distributor, placed under their sponsor like a new enrollment.

    The sponsor must still take new members (a non-terminated distributor); the customer must
    not be terminated. The new distributor is counted in both uplines from now on. Upgrades are
    not reversible (change the status instead).
    """
    with transaction.atomic():
        hold_network_exclusive()
        member = _locked(customer, role=_("customer"))
        label = person(member)
        if member.kind != Distributor.Kind.CUSTOMER:
            raise NetworkIntegrityError(
                _("%(member)s is already a distributor."),
                code="not_a_customer",
                params={"member": label},
            )
        if member.status == Distributor.Status.TERMINATED:
            raise NetworkIntegrityError(
                _("%(member)s is terminated; reinstate them before upgrading them."),
                code="terminated",
                params={"member": label},
            )
        sponsor = _locked(member.sponsor_id, role=_("sponsor"))
        check_can_receive(sponsor, member_label=label, role="enrollment")
        parent, slot_position = _slot_for_new_distributor(
            sponsor,
            member_label=label,
            mode=placement_mode,
            parent=placement_parent,
            position=position,
            shape=placement_shape(),
        )
        at = effective_instant(effective_at, label=label)
        before = MemberState.of(member)
        _save(
            member,
            kind=Distributor.Kind.DISTRIBUTOR,
            placement_parent_id=parent.pk,
            placement_position=slot_position,
        )
        add_to_upline_counts(ENROLLMENT, member.sponsor_id, 1)
        add_to_upline_counts(PLACEMENT, parent.pk, 1)
        refresh_free_depth(member.pk, parent.pk)
        return record_event(
            member,
            StructureEvent.Kind.UPGRADED,
            before,
            MemberState.of(member),
            at=at,
            actor=actor,
            reason=(reason or "").strip(),
            change_id=uuid.uuid4(),
        )


# --------------------------------------------------------------------------- moves


def _apply_sponsor(member: Distributor, new_sponsor_id: int, period_ids: list[int]) -> None:
    old_sponsor_id = member.sponsor_id
    size = member.enrollment_downline + (member.kind == Distributor.Kind.DISTRIBUTOR)
    hooks.SUBTREE_MOVING.fire(
        period_ids=period_ids, tree=ENROLLMENT, starts=[member.pk, new_sponsor_id]
    )
    _save(member, sponsor_id=new_sponsor_id)
    new_path = child_path(
        Distributor.objects.filter(pk=new_sponsor_id).values_list("sponsor_path", flat=True).get(),
        member.pk,
    )
    rewrite_subtree(member.sponsor_path, new_path)
    member.sponsor_path = new_path
    add_to_upline_counts(ENROLLMENT, old_sponsor_id, -size)
    add_to_upline_counts(ENROLLMENT, new_sponsor_id, size)
    hooks.SUBTREE_MOVED.fire(
        period_ids=period_ids,
        member_id=member.pk,
        tree=ENROLLMENT,
        old_parent_id=old_sponsor_id,
        new_parent_id=new_sponsor_id,
    )


def _apply_placement(
    member: Distributor, parent_id: int, position: int | None, period_ids: list[int]
) -> None:
    old_parent_id = member.placement_parent_id
    size = member.placement_downline + 1
    hooks.SUBTREE_MOVING.fire(period_ids=period_ids, tree=PLACEMENT, starts=[member.pk, parent_id])
    _save(member, placement_parent_id=parent_id, placement_position=position)
    add_to_upline_counts(PLACEMENT, old_parent_id, -size)
    add_to_upline_counts(PLACEMENT, parent_id, size)
    refresh_free_depth(old_parent_id, parent_id)
    hooks.SUBTREE_MOVED.fire(
        period_ids=period_ids,
        member_id=member.pk,
        tree=PLACEMENT,
        old_parent_id=old_parent_id,
        new_parent_id=parent_id,
    )


def _move(
    member: Distributor,
    *,
    sponsor: Distributor | None,
    parent: Distributor | None,
    position: int | None,
    at: datetime,
    actor: Any,
    reason: str,
    reverses: dict[str, StructureEvent] | None = None,
) -> list[StructureEvent]:
    """Apply a checked placement move and/or sponsor move (``None``: that part stays).

    One event per part, placement first, sharing one ``change_id``; with ``reverses`` the events
    are ``REVERSED`` events pointing at the events they undo.
    """
    period_ids = _open_period_ids()
    change_id = uuid.uuid4()
    reverses = reverses or {}
    events = []
    parts = [
        (
            "placement",
            StructureEvent.Kind.PLACEMENT_CHANGED,
            parent,
            lambda: _apply_placement(member, parent.pk, position, period_ids),
        ),
        (
            "sponsor",
            StructureEvent.Kind.SPONSOR_CHANGED,
            sponsor,
            lambda: _apply_sponsor(member, sponsor.pk, period_ids),
        ),
    ]
    for part, kind, target, apply in parts:
        if target is None:
            continue
        before = MemberState.of(member)
        apply()
        events.append(
            record_event(
                member,
                StructureEvent.Kind.REVERSED if part in reverses else kind,
                before,
                MemberState.of(member),
                at=at,
                actor=actor,
                reason=reason,
                change_id=change_id,
                reverses=reverses.get(part),
            )
        )
    return events


def _resolve_move_slot(
    moving: Distributor,
    *,
    sponsor: Distributor,
    target: Distributor,
    position: int | None,
    mode: str | None,
) -> tuple[Distributor, int | None]:
    """The slot for a moved member: explicit under ``target``, or found by ``mode`` below it
    in the tree as it stands before the move.

    When no slot can be found there (every slot under ``target`` taken, no free slot below it),
    the refusal names the nearest valid slot below ``target`` or below ``sponsor``, the member's
    sponsor after the move.
    """
    explicit = mode in (None, PlacementMode.EXPLICIT)
    try:
        return _find_slot(
            top=target,
            member_label=person(moving),
            mode=PlacementMode.EXPLICIT if explicit else mode,
            parent=target if explicit else None,
            position=position,
            shape=placement_shape(),
        )
    except NetworkIntegrityError as error:
        raise suggest_nearest_slot(error, moving, sponsor=sponsor, requested=target) from None


def do_change_sponsor(
    member: MemberRef,
    new_sponsor: MemberRef,
    *,
    actor: Any = None,
    reason: str,
    effective_at: datetime | None = None,
) -> StructureEvent:
    """Give ``member`` (with their whole enrollment subtree) a new sponsor.

    Refused when the new sponsor is inside the member's enrollment subtree (a cycle), takes no
    new members, or (for a distributor) does not have the member's placement in their placement
    subtree: then move the placement too, with ``do_move``. Retail customers can change sponsor
    freely among distributors. The enrollment downline counts and the live group volumes leave
    the old sponsor's upline and join the new one's.
    """
    with transaction.atomic():
        hold_network_exclusive()
        moving = _locked(member, role=_("member"))
        sponsor = _locked(new_sponsor, role=_("new sponsor"))
        reason = required_reason(reason, member=moving)
        if sponsor.pk == moving.sponsor_id:
            raise NetworkIntegrityError(
                _("%(sponsor)s is already the sponsor of %(member)s."),
                code="no_change",
                params={"sponsor": person(sponsor), "member": person(moving)},
            )
        check_sponsor_change(moving, sponsor, placement_moves=False)
        at = effective_instant(effective_at, label=person(moving))
        (event,) = _move(
            moving,
            sponsor=sponsor,
            parent=None,
            position=None,
            at=at,
            actor=actor,
            reason=reason,
        )
        return event


def do_change_placement(
    member: MemberRef,
    new_parent: MemberRef,
    *,
    position: int | None = None,
    placement_mode: str | None = None,
    actor: Any = None,
    reason: str,
    effective_at: datetime | None = None,
) -> StructureEvent:
    """Move ``member``'s whole placement subtree under ``new_parent``.

    The slot is ``position`` under ``new_parent`` (the lowest free one when not given), or the
    one ``placement_mode`` finds below ``new_parent`` in the tree as it stands before the move.
    Refused when the parent is inside the member's placement subtree (a cycle), the slot is
    full or does not exist, the parent is outside the placement subtree of the member's sponsor,
    or the move would take anyone in the subtree out of their own sponsor's placement subtree.
    The placement downline counts and the live placement group volumes follow the subtree.
    """
    with transaction.atomic():
        hold_network_exclusive()
        moving = _locked(member, role=_("member"))
        reason = required_reason(reason, member=moving)
        check_has_placement(moving)
        target = _locked(new_parent, role=_("new placement parent"))
        sponsor = _locked(moving.sponsor_id, role=_("sponsor"))
        check_not_inside(moving, target, tree=PLACEMENT)
        parent, slot_position = _resolve_move_slot(
            moving,
            sponsor=sponsor,
            target=target,
            position=position,
            mode=placement_mode,
        )
        check_move(moving, sponsor=sponsor, parent=parent, position=slot_position)
        at = effective_instant(effective_at, label=person(moving))
        (event,) = _move(
            moving,
            sponsor=None,
            parent=parent,
            position=slot_position,
            at=at,
            actor=actor,
            reason=reason,
        )
        return event


def do_move(
    member: MemberRef,
    *,
    sponsor: MemberRef,
    placement_parent: MemberRef | None = None,
    position: int | None = None,
    placement_mode: str | None = None,
    actor: Any = None,
    reason: str,
    effective_at: datetime | None = None,
) -> list[StructureEvent]:
    """Change sponsor and placement together, in one transaction, with one event for each.

    The new slot is ``position`` under ``placement_parent``, or the slot ``placement_mode``
    finds under ``placement_parent`` or, when no parent is given, under the new sponsor (default
    mode ``spillover``). Every rule of ``do_change_sponsor`` and ``do_change_placement`` holds
    for the result, with the new sponsor. Events: ``PLACEMENT_CHANGED`` then
    ``SPONSOR_CHANGED`` (a part that does not change records no event), sharing a
    ``change_id``, so ``do_reverse_event`` undoes both.
    """
    with transaction.atomic():
        hold_network_exclusive()
        moving = _locked(member, role=_("member"))
        new_sponsor = _locked(sponsor, role=_("new sponsor"))
        reason = required_reason(reason, member=moving)
        check_has_placement(moving)
        if placement_parent is None:
            target = new_sponsor
            mode = placement_mode or PlacementMode.SPILLOVER
        else:
            target = _locked(placement_parent, role=_("new placement parent"))
            mode = placement_mode
        check_not_inside(moving, new_sponsor, tree=ENROLLMENT)
        check_not_inside(moving, target, tree=PLACEMENT)
        parent, slot_position = _resolve_move_slot(
            moving,
            sponsor=new_sponsor,
            target=target,
            position=position,
            mode=mode,
        )
        sponsor_changes, placement_changes = check_move(
            moving, sponsor=new_sponsor, parent=parent, position=slot_position
        )
        at = effective_instant(effective_at, label=person(moving))
        return _move(
            moving,
            sponsor=new_sponsor if sponsor_changes else None,
            parent=parent if placement_changes else None,
            position=slot_position,
            at=at,
            actor=actor,
            reason=reason,
        )


# --------------------------------------------------------------------------- status


def _set_status(member: Distributor, status: str) -> None:
    _save(member, status=status)
    if member.kind == Distributor.Kind.DISTRIBUTOR:
        refresh_free_depth(member.pk)


def do_change_status(
    member: MemberRef,
    status: str,
    *,
    actor: Any = None,
    reason: str,
    effective_at: datetime | None = None,
) -> StructureEvent:
    """Set a member's status (active, suspended, terminated) and record a ``STATUS_CHANGED`` event.

    A terminated member keeps their place and their downline but takes no new members; the
    change may take effect at any instant after the member's own latest recorded change.
    """
    if status not in Distributor.Status.values:
        raise NetworkIntegrityError(
            _("%(status)s is not a member status; use one of %(statuses)s."),
            code="unknown_status",
            params={"status": status, "statuses": ", ".join(Distributor.Status.values)},
        )
    with transaction.atomic():
        hold_network_exclusive()
        target = _locked(member, role=_("member"))
        reason = required_reason(reason, member=target)
        if target.status == status:
            raise NetworkIntegrityError(
                _("%(member)s is already %(status)s."),
                code="no_change",
                params={"member": person(target), "status": target.get_status_display()},
            )
        at = effective_instant(effective_at, label=person(target), member_pk=target.pk)
        before = MemberState.of(target)
        _set_status(target, status)
        return record_event(
            target,
            StructureEvent.Kind.STATUS_CHANGED,
            before,
            MemberState.of(target),
            at=at,
            actor=actor,
            reason=reason,
            change_id=uuid.uuid4(),
        )


# --------------------------------------------------------------------------- reversal


def do_reverse_event(
    event: StructureEvent | int,
    *,
    actor: Any = None,
    reason: str,
    effective_at: datetime | None = None,
) -> list[StructureEvent]:
    """Undo a sponsor, placement or status change: apply the inverse and record ``REVERSED``.

    All events of the same change (a ``do_move`` writes two) are reversed together, each by
    one ``REVERSED`` event pointing at it. The inverse is checked like any new change against
    the network as it is now: it is refused when the member has changed since (reverse the
    later change first), when the old slot is taken, when the old sponsor no longer takes
    members, and so on. Enrollments, upgrades and reversals are not reversible, and an event is
    reversed at most once.
    """
    with transaction.atomic():
        hold_network_exclusive()
        pk = event.pk if isinstance(event, StructureEvent) else event
        original = StructureEvent.objects.select_related("distributor").filter(pk=pk).first()
        if original is None:
            raise NetworkIntegrityError(
                _("There is no structure event #%(event)s."),
                code="unknown_event",
                params={"event": pk},
            )
        change = list(
            StructureEvent.objects.select_for_update()
            .filter(change_id=original.change_id)
            .order_by("id")
        )
        member = _locked(original.distributor_id, role=_("member"))
        label = person(member)
        for item in change:
            check_reversible(item, label)
        reason = required_reason(reason, member=member)
        first, last = change[0], change[-1]
        current = MemberState.of(member)
        after = state_after(last)
        target = state_before(first)
        changed = [name for name in vars(after) if getattr(after, name) != getattr(target, name)]
        for name in changed:
            if getattr(current, name) != getattr(after, name):
                raise NetworkIntegrityError(
                    _(
                        "%(member)s has changed since event #%(event)s; reverse the later "
                        "change first."
                    ),
                    code="changed_since",
                    params={"member": label, "event": original.pk},
                )
        status_only = set(changed) <= {"status"}
        at = effective_instant(
            effective_at, label=label, member_pk=member.pk if status_only else None
        )
        by_kind = {item.kind: item for item in change}
        if status_only:
            before = MemberState.of(member)
            _set_status(member, target.status)
            return [
                record_event(
                    member,
                    StructureEvent.Kind.REVERSED,
                    before,
                    MemberState.of(member),
                    at=at,
                    actor=actor,
                    reason=reason,
                    change_id=uuid.uuid4(),
                    reverses=by_kind[StructureEvent.Kind.STATUS_CHANGED],
                )
            ]
        return _reverse_move(member, target, by_kind, at=at, actor=actor, reason=reason)


def _reverse_move(
    member: Distributor,
    target: MemberState,
    by_kind: dict[str, StructureEvent],
    *,
    at: datetime,
    actor: Any,
    reason: str,
) -> list[StructureEvent]:
    """Move ``member`` back to the sponsor and slot of ``target``, checked like a new move."""
    reverses = {}
    if StructureEvent.Kind.PLACEMENT_CHANGED in by_kind:
        reverses["placement"] = by_kind[StructureEvent.Kind.PLACEMENT_CHANGED]
    if StructureEvent.Kind.SPONSOR_CHANGED in by_kind:
        reverses["sponsor"] = by_kind[StructureEvent.Kind.SPONSOR_CHANGED]
    sponsor = _locked(target.sponsor_id, role=_("old sponsor"))
    if member.kind == Distributor.Kind.CUSTOMER:
        check_sponsor_change(member, sponsor, placement_moves=False, suggest=False)
        return _move(
            member,
            sponsor=sponsor,
            parent=None,
            position=None,
            at=at,
            actor=actor,
            reason=reason,
            reverses=reverses,
        )
    parent = _locked(target.placement_parent_id, role=_("old placement parent"))
    sponsor_changes, placement_changes = check_move(
        member,
        sponsor=sponsor,
        parent=parent,
        position=target.placement_position,
        suggest=False,
    )
    return _move(
        member,
        sponsor=sponsor if sponsor_changes else None,
        parent=parent if placement_changes else None,
        position=target.placement_position,
        at=at,
        actor=actor,
        reason=reason,
        reverses=reverses,
    )


# --------------------------------------------------------------------------- details


def do_update_details(
    member: MemberRef,
    *,
    actor: Any = None,
    name: str | None = None,
    email: str | None = None,
    country: str | None = None,
    language: str | None = None,
    currency: str | None = None,
    user: Any = ...,
) -> Distributor:
    """Change a member's contact details and login (not their place in the network).

    ``None`` (or, for ``user``, leaving it out) keeps a field as it is; ``user=None`` unlinks
    the login. These are not structure changes and record no ``StructureEvent``.
    """
    del actor  # details changes are audited by the caller (admin log), not as structure events
    with transaction.atomic():
        target = _locked(member, role=_("member"))
        changes: dict[str, Any] = {}
        for field, value in (
            ("name", name),
            ("email", email),
            ("language", language),
            ("country", None if country is None else country.upper()),
            ("currency", None if currency is None else currency.upper()),
        ):
            if value is not None:
                changes[field] = value
        if user is not ...:
            changes["user_id"] = None if user is None else user.pk
        for field, value in changes.items():
            setattr(target, field, value)
        validate_details(target)
        _save(target, **changes)
        return target


# --------------------------------------------------------------------------- maintenance


def do_recount_network() -> int:
    """Recompute every downline count, free-slot depth and sponsor path from the trees; the
    rows corrected.

    Needed only after rows were written around the actions (a bulk load straight into the
    table, a repair); refused, writing nothing, when some members are in a cycle or under a
    missing parent.
    """
    with transaction.atomic():
        hold_network_exclusive()
        corrected, broken = recount_all()
        if broken:
            raise NetworkIntegrityError(
                _(
                    "These members cannot be reached from the root of the network (a cycle or "
                    "a missing parent): %(members)s. Nothing was recounted."
                ),
                code="unreachable",
                params={"members": ", ".join(broken)},
            )
        return corrected + rebuild_all()


__all__ = [
    "MemberRef",
    "MemberState",
    "do_change_placement",
    "do_change_sponsor",
    "do_change_status",
    "do_enroll",
    "do_move",
    "do_recount_network",
    "do_reverse_event",
    "do_update_details",
    "do_upgrade_customer",
]
