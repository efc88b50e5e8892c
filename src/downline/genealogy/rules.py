"""The integrity rules a structure change must pass before it is written.

Each ``check_*`` raises a ``NetworkIntegrityError`` naming the members involved and the rule;
``actions`` calls them on rows it has locked, so what they read cannot change before the write.
The rules themselves are listed in the ``actions`` module docstring.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from downline.core.ids import is_valid_id

from .errors import NetworkIntegrityError, person, person_from, with_suggestion
from .models import Distributor, StructureEvent
from .placement import check_can_receive, check_slot, describe_nearest, nearest_free_slot
from .shape import placement_shape
from .tree_sql import ENROLLMENT, PLACEMENT, TABLE, is_in_subtree

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_REVERSIBLE = {
    StructureEvent.Kind.SPONSOR_CHANGED,
    StructureEvent.Kind.PLACEMENT_CHANGED,
    StructureEvent.Kind.STATUS_CHANGED,
}


def required_reason(reason: str, *, member: Distributor) -> str:
    """Moves, status changes and reversals need a reason; it is returned stripped."""
    reason = (reason or "").strip()
    if not reason:
        raise NetworkIntegrityError(
            _("A reason is required to change the network position or status of %(member)s."),
            code="reason_required",
            params={"member": person(member)},
        )
    return reason


def effective_instant(at: datetime | None, *, label: str, member_pk: int | None = None) -> datetime:
    """When the change takes effect: ``at`` or now, checked against the recorded history.

    With ``member_pk`` only that member's own latest event bounds it (status changes); without,
    the latest event of the whole network does (changes to the trees).
    """
    now = timezone.now()
    at = now if at is None else at
    if timezone.is_naive(at):
        raise NetworkIntegrityError(
            _("The effective time of the change to %(member)s needs a time zone."),
            code="naive_time",
            params={"member": label},
        )
    if at > now:
        raise NetworkIntegrityError(
            _(
                "The change to %(member)s cannot take effect in the future (%(at)s); record it "
                "when it happens."
            ),
            code="future",
            params={"member": label, "at": at.isoformat()},
        )
    events = StructureEvent.objects.order_by("-effective_at", "-id")
    if member_pk is not None:
        events = events.filter(distributor_id=member_pk)
    latest = events.values_list("effective_at", flat=True).first()
    if latest is not None and at < latest:
        raise NetworkIntegrityError(
            _(
                "The change to %(member)s cannot take effect at %(at)s: a change effective at "
                "%(latest)s is already recorded. Changes are recorded in time order so that the "
                "network as it stood on every past date stays valid."
            ),
            code="out_of_order",
            params={"member": label, "at": at.isoformat(), "latest": latest.isoformat()},
        )
    return at


def company_today() -> date:
    return timezone.localdate(timezone=ZoneInfo(settings.DOWNLINE_TIME_ZONE))


def validate_details(member: Distributor) -> None:
    """Field-level checks (lengths, choices, e-mail, country, currency, unique member id/login).

    A new member's id must be of the one id alphabet (:mod:`downline.core.ids`): letters,
    digits, ``.``, ``_`` and ``-``, starting with a letter or digit, so it is safe in every URL,
    CSV cell and file name. Ids stored before the rule keep working for every other change.
    """
    errors: dict[str, list[ValidationError]] = {}
    label = person(member) if member.member_id else "?"

    def add(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(
            ValidationError(
                _("Member %(member)s: %(error)s"), params={"member": label, "error": message}
            )
        )

    try:
        member.clean_fields(
            exclude=[
                "sponsor",
                "placement_parent",
                "placement_position",
                "enrollment_downline",
                "placement_downline",
                "placement_free_depth",
            ]
        )
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                add(field, message)
    if member.country and not _COUNTRY.match(member.country):
        errors.pop("country", None)
        add("country", _("the country must be a two-letter ISO code such as DE."))
    if not _CURRENCY.match(member.currency or ""):
        errors.pop("currency", None)
        add("currency", _("the currency must be a three-letter ISO code such as EUR."))
    if member.pk is None and member.member_id and not is_valid_id(member.member_id):
        errors.pop("member_id", None)
        add(
            "member_id",
            _(
                "the member id must be 1 to 64 characters: letters A-Z or a-z, digits, '.', '_' "
                "or '-', starting with a letter or a digit."
            ),
        )
    if (
        member.member_id
        and Distributor.objects.filter(member_id=member.member_id).exclude(pk=member.pk).exists()
    ):
        add("member_id", _("this member id is already taken."))
    if (
        member.user_id is not None
        and Distributor.objects.filter(user_id=member.user_id).exclude(pk=member.pk).exists()
    ):
        add("user", _("this login already belongs to another member."))
    if errors:
        raise NetworkIntegrityError(errors)


def check_not_inside(member: Distributor, new_parent: Distributor, *, tree: str) -> None:
    """No cycles: the new parent may not be the member or lie below them in ``tree``."""
    if is_in_subtree(tree, new_parent.pk, member.pk):
        message = (
            _(
                "%(parent)s is in the enrollment downline of %(member)s; %(member)s cannot be "
                "moved under their own downline."
            )
            if tree == ENROLLMENT
            else _(
                "%(parent)s is in the placement subtree of %(member)s; %(member)s cannot be "
                "placed under their own subtree."
            )
        )
        if new_parent.pk == member.pk:
            message = (
                _("%(member)s cannot be their own sponsor.")
                if tree == ENROLLMENT
                else _(
                    "%(member)s cannot be placed under themselves; choose a slot outside "
                    "their own placement subtree."
                )
            )
        raise NetworkIntegrityError(
            message,
            code="cycle",
            params={"parent": person(new_parent), "member": person(member)},
        )


_STRANDED_SQL = f"""
WITH RECURSIVE
  sub(id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION ALL
    SELECT c.id FROM {TABLE} c JOIN sub s ON c.placement_parent_id = s.id
  ),
  upline(id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION ALL
    SELECT d.placement_parent_id FROM {TABLE} d JOIN upline u ON d.id = u.id
    WHERE d.placement_parent_id IS NOT NULL
  )
SELECT m.member_id, m.name, s.member_id, s.name FROM sub
JOIN {TABLE} m ON m.id = sub.id
JOIN {TABLE} s ON s.id = m.sponsor_id
WHERE m.id <> %s
  AND m.sponsor_id NOT IN (SELECT id FROM sub)
  AND m.sponsor_id NOT IN (SELECT id FROM upline)
ORDER BY m.member_id
LIMIT 1
"""


def check_subtree_stays_under_sponsors(member: Distributor, new_parent: Distributor) -> None:
    """Everyone whose placement moves with ``member`` stays inside their sponsor's subtree.

    A member spilled into ``member``'s placement subtree by a sponsor above ``member`` would
    leave that sponsor's subtree if the new parent is not below the same sponsor. Such sponsors
    are ancestors of the old parent, so when the old parent is an ancestor of (or is) the new
    parent nothing can break and the subtree is not read at all.
    """
    old_parent_id = member.placement_parent_id
    if old_parent_id is not None and is_in_subtree(PLACEMENT, new_parent.pk, old_parent_id):
        return

    with connection.cursor() as cursor:
        cursor.execute(_STRANDED_SQL, [member.pk, new_parent.pk, member.pk])
        row = cursor.fetchone()
    if row is not None:
        raise NetworkIntegrityError(
            _(
                "Moving the placement of %(member)s under %(parent)s would take %(stranded)s "
                "out of the placement subtree of their sponsor %(sponsor)s; move %(stranded)s "
                "first or choose a parent below %(sponsor)s."
            ),
            code="strands_downline",
            params={
                "member": person(member),
                "parent": person(new_parent),
                "stranded": person_from(row[0], row[1]),
                "sponsor": person_from(row[2], row[3]),
            },
        )


def check_has_placement(member: Distributor) -> None:
    """Only a placed distributor (not a retail customer, not the root) has a placement to move."""
    if member.kind == Distributor.Kind.CUSTOMER:
        raise NetworkIntegrityError(
            _(
                "Retail customer %(member)s has no placement to change; change only their "
                "sponsor, or upgrade them to a distributor."
            ),
            code="customer_placed",
            params={"member": person(member)},
        )
    if member.placement_parent_id is None:
        raise NetworkIntegrityError(
            _("%(member)s is the root of the network and has no placement to change."),
            code="root_moved",
            params={"member": person(member)},
        )


def check_sponsor_change(
    member: Distributor, new_sponsor: Distributor, *, placement_moves: bool, suggest: bool = True
) -> None:
    """The new sponsor: no cycle, takes members, and (unless the placement moves too) has the
    member's placement parent in their placement subtree.

    When the placement would end up outside the new sponsor's subtree, the refusal (with
    ``suggest``) names the nearest free slot under the new sponsor, for a move of both.
    """
    label = person(member)
    if member.sponsor_id is None:
        raise NetworkIntegrityError(
            _("%(member)s is the root of the network and has no sponsor to change."),
            code="root_moved",
            params={"member": label},
        )
    check_not_inside(member, new_sponsor, tree=ENROLLMENT)
    check_can_receive(new_sponsor, member_label=label, role="enrollment")
    if (
        member.kind == Distributor.Kind.DISTRIBUTOR
        and not placement_moves
        and not is_in_subtree(PLACEMENT, member.placement_parent_id, new_sponsor.pk)
    ):
        parent_member_id, parent_name = Distributor.objects.values_list("member_id", "name").get(
            pk=member.placement_parent_id
        )
        error = NetworkIntegrityError(
            _(
                "%(member)s is placed under %(parent)s, which is not in the placement subtree "
                "of the new sponsor %(sponsor)s. Move the placement too: use a move that "
                "changes the sponsor and the placement together."
            ),
            code="outside_sponsor",
            params={
                "member": label,
                "parent": person_from(parent_member_id, parent_name),
                "sponsor": person(new_sponsor),
            },
        )
        if suggest:
            error = suggest_nearest_slot(error, member, sponsor=new_sponsor, requested=None)
        raise error


def check_placement_target(
    member: Distributor, *, sponsor: Distributor, parent: Distributor, position: int | None
) -> None:
    """The new slot: no cycle, a valid free slot under the (final) sponsor, nobody stranded."""
    check_not_inside(member, parent, tree=PLACEMENT)
    check_slot(
        member_label=person(member),
        sponsor=sponsor,
        parent=parent,
        position=position,
        shape=placement_shape(),
        moving_member_id=member.pk,
    )
    check_subtree_stays_under_sponsors(member, parent)


def check_move(
    member: Distributor,
    *,
    sponsor: Distributor,
    parent: Distributor,
    position: int | None,
    suggest: bool = True,
) -> tuple[bool, bool]:
    """Check a move of ``member`` to ``sponsor`` and slot (``parent``, ``position``).

    Returns which parts change: (sponsor changes, placement changes). Refuses a move that
    changes nothing. With ``suggest``, a refused slot comes with the nearest valid one
    (:func:`suggest_nearest_slot`); a reversal, which can only go back where it was, passes
    ``False``.
    """
    sponsor_changes = sponsor.pk != member.sponsor_id
    placement_changes = (parent.pk, position) != (
        member.placement_parent_id,
        member.placement_position,
    )
    if not sponsor_changes and not placement_changes:
        raise NetworkIntegrityError(
            _("%(member)s is already sponsored by %(sponsor)s and placed there under %(parent)s."),
            code="no_change",
            params={
                "member": person(member),
                "sponsor": person(sponsor),
                "parent": person(parent),
            },
        )
    if sponsor_changes:
        check_sponsor_change(member, sponsor, placement_moves=placement_changes, suggest=suggest)
    if placement_changes:
        try:
            check_placement_target(member, sponsor=sponsor, parent=parent, position=position)
        except NetworkIntegrityError as error:
            if not suggest:
                raise
            raise suggest_nearest_slot(error, member, sponsor=sponsor, requested=parent) from None
    return sponsor_changes, placement_changes


SLOT_REFUSALS = frozenset(
    {
        "slot_taken",
        "bad_position",
        "outside_sponsor",
        "parent_terminated",
        "parent_is_customer",
        "no_free_slot",
    }
)
"""Refusals of a placement slot; a move refused for one of them names the nearest valid slot."""


def suggest_nearest_slot(
    error: NetworkIntegrityError,
    member: Distributor,
    *,
    sponsor: Distributor,
    requested: Distributor | None,
) -> NetworkIntegrityError:
    """``error`` with the nearest slot ``member`` could move to instead, when there is one.

    The search goes breadth-first, left to right (:func:`~.placement.nearest_free_slot`) below
    the requested parent, then below the (final) sponsor; the first slot found that passes every
    rule of a placement move (no cycle, a free slot of the company's shape under a distributor
    who takes members, inside the sponsor's subtree, nobody stranded) is named. A refusal that
    is not about a slot, or one with no valid slot anywhere below the sponsor, is returned as it
    is: a suggestion is never a slot the same move would refuse.
    """
    if error.code not in SLOT_REFUSALS:
        return error
    shape = placement_shape()
    tops = [sponsor]
    if requested is not None and requested.pk != sponsor.pk and error.code != "outside_sponsor":
        tops.insert(0, requested)
    for top in tops:
        slot = nearest_free_slot(top, shape, moving=member)
        if slot is None:
            continue
        try:
            check_not_inside(member, slot.parent, tree=PLACEMENT)
            check_slot(
                member_label=person(member),
                sponsor=sponsor,
                parent=slot.parent,
                position=slot.position,
                shape=shape,
                moving_member_id=member.pk,
            )
            check_subtree_stays_under_sponsors(member, slot.parent)
        except NetworkIntegrityError:
            continue
        sentence, params = describe_nearest(slot, top=top, shape=shape)
        return with_suggestion(error, sentence, params)
    return error


def check_reversible(event: StructureEvent, label: str) -> None:
    """Only sponsor, placement and status changes reverse, each at most once."""
    if event.kind not in _REVERSIBLE:
        message = (
            _("Event #%(event)s is itself a reversal; make the change again instead.")
            if event.kind == StructureEvent.Kind.REVERSED
            else _(
                "Event #%(event)s (%(kind)s of %(member)s) cannot be reversed; only sponsor, "
                "placement and status changes can."
            )
        )
        raise NetworkIntegrityError(
            message,
            code="not_reversible",
            params={"event": event.pk, "kind": event.get_kind_display(), "member": label},
        )
    reversal = StructureEvent.objects.filter(reverses=event).first()
    if reversal is not None:
        raise NetworkIntegrityError(
            _("Event #%(event)s of %(member)s was already reversed by event #%(reversal)s."),
            code="already_reversed",
            params={"event": event.pk, "member": label, "reversal": reversal.pk},
        )
