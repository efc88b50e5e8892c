"""Recording structure events: the whole state of a member before and after each change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from downline.core.phrases import Phrase, split

from .models import Distributor, StructureEvent


@dataclass(frozen=True)
class MemberState:
    """What a structure event records before and after: sponsor, placement, status and kind."""

    sponsor_id: int | None
    placement_parent_id: int | None
    placement_position: int | None
    status: str
    kind: str

    @classmethod
    def of(cls, member: Distributor) -> MemberState:
        return cls(
            member.sponsor_id,
            member.placement_parent_id,
            member.placement_position,
            member.status,
            member.kind,
        )


def record_event(
    member: Distributor,
    kind: str,
    before: MemberState | None,
    after: MemberState,
    *,
    at: datetime,
    actor: Any,
    reason: str | Phrase,
    change_id: uuid.UUID,
    reverses: StructureEvent | None = None,
) -> StructureEvent:
    old = before or MemberState(None, None, None, "", "")
    text, reason_key, reason_params = split(reason)
    return StructureEvent.objects.create(
        distributor=member,
        kind=kind,
        change_id=change_id,
        effective_at=at,
        actor=actor,
        reason=text.strip(),
        reason_key=reason_key,
        reason_params=reason_params,
        old_sponsor_id=old.sponsor_id,
        new_sponsor_id=after.sponsor_id,
        old_placement_parent_id=old.placement_parent_id,
        new_placement_parent_id=after.placement_parent_id,
        old_placement_position=old.placement_position,
        new_placement_position=after.placement_position,
        old_status=old.status,
        new_status=after.status,
        old_kind=old.kind,
        new_kind=after.kind,
        reverses=reverses,
    )


def state_before(event: StructureEvent) -> MemberState:
    return MemberState(
        event.old_sponsor_id,
        event.old_placement_parent_id,
        event.old_placement_position,
        event.old_status,
        event.old_kind,
    )


def state_after(event: StructureEvent) -> MemberState:
    return MemberState(
        event.new_sponsor_id,
        event.new_placement_parent_id,
        event.new_placement_position,
        event.new_status,
        event.new_kind,
    )
