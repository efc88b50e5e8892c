"""Bulk reads and writes of the network tables, for imports and exports of whole networks.

``read_stored_network`` reads every member into column arrays (row ``i`` is the ``i``-th member
by primary key). ``do_bulk_load_members`` appends members that an importer has already
validated, in one transaction, with column-wise writes (``COPY`` on PostgreSQL):

* each new member gets its row, with the maintained counters computed over the whole network
  (existing members included) by :func:`network_counters` and its ``sponsor_path`` by
  :func:`paths_for_new_rows`;
* each new member gets an ``ENROLLED`` ``StructureEvent`` effective at the instant the caller
  gives (an import uses local midnight of the join date); all events of one load share one
  ``change_id``, so a load can be found as one change;
* existing members whose counters change (the uplines of the new members) are updated.

It does not check the integrity rules itself: the caller validates the rows first
(``downline.dataset.csv_io`` checks every rule of the network) while holding
``lock_network_for_bulk_load``, so nothing changes between the check and the write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from downline.core.bulk_sql import (
    Const,
    indexes_rebuilt_after,
    insert_rows,
    lock_tables,
    phase_done,
    read_columns,
    reserve_ids,
    update_rows,
)
from downline.core.phrases import Phrase, split
from downline.dataset.tables import MEMBER_KINDS, STATUSES, TERMINATED, Network
from downline.engine.tree import Tree

from .models import Distributor, StructureEvent
from .shape import placement_shape
from .sponsor_path import child_path, stored_paths

EPOCH_DAY = np.datetime64("1970-01-01", "D")
_UNREACHABLE = np.iinfo(np.int64).max


@dataclass
class StoredNetwork:
    """Every member as stored: ``network`` (row references are row indices), the primary key
    of each row, and the maintained counters as they are now."""

    network: Network
    db_ids: np.ndarray
    enrollment_downline: np.ndarray
    placement_downline: np.ndarray
    free_depth: np.ma.MaskedArray
    row_of_db_id: dict[int, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.db_ids)


@dataclass
class MemberDetails:
    """Optional contact details of new members, one entry per new row."""

    name: list[str]
    email: list[str]
    country: list[str]
    language: list[str]
    currency: list[str]


def lock_network_for_bulk_load() -> None:
    """Keep every other network writer out until the transaction ends (reads go on)."""
    lock_tables(Distributor, StructureEvent)


def read_stored_network() -> StoredNetwork:
    """Every member, in primary-key order, as column arrays."""
    status_codes = {name: number for number, name in enumerate(STATUSES)}
    columns = read_columns(
        f"""SELECT id, member_id, sponsor_id, placement_parent_id, placement_position,
                   joined_on, status, kind, enrollment_downline, placement_downline,
                   placement_free_depth
            FROM {Distributor._meta.db_table} ORDER BY id"""
    )
    if not columns:
        return StoredNetwork(
            network=Network(),
            db_ids=np.zeros(0, dtype=np.int64),
            enrollment_downline=np.zeros(0, dtype=np.int64),
            placement_downline=np.zeros(0, dtype=np.int64),
            free_depth=np.ma.masked_array(np.zeros(0, dtype=np.int64)),
        )
    db_ids = np.array(columns[0], dtype=np.int64)
    row_of = {int(pk): row for row, pk in enumerate(columns[0])}

    def rows_of(references: tuple) -> np.ndarray:
        return np.array([-1 if ref is None else row_of[ref] for ref in references], dtype=np.int64)

    free = columns[10]
    network = Network(
        ids=list(columns[1]),
        sponsor=rows_of(columns[2]),
        placement=rows_of(columns[3]),
        position=np.array([p or 0 for p in columns[4]], dtype=np.int16),
        joined_on=np.array(columns[5], dtype="datetime64[D]"),
        status=np.array([status_codes[s] for s in columns[6]], dtype=np.int8),
        is_customer=np.array([k == Distributor.Kind.CUSTOMER for k in columns[7]], dtype=bool),
    )
    return StoredNetwork(
        network=network,
        db_ids=db_ids,
        enrollment_downline=np.array(columns[8], dtype=np.int64),
        placement_downline=np.array(columns[9], dtype=np.int64),
        free_depth=np.ma.masked_array(
            np.array([0 if f is None else f for f in free], dtype=np.int64),
            mask=np.array([f is None for f in free], dtype=bool),
        ),
        row_of_db_id=row_of,
    )


def entry_instants(db_ids: list[int]) -> dict[int, datetime]:
    """When each member entered the network's history: the instant of their first event."""
    if not db_ids:
        return {}
    rows = (
        StructureEvent.objects.filter(distributor_id__in=db_ids)
        .order_by("distributor_id", "effective_at", "id")
        .values_list("distributor_id", "effective_at")
    )
    first: dict[int, datetime] = {}
    for member, at in rows:
        first.setdefault(member, at)
    return first


def network_counters(
    network: Network, width: int | None
) -> tuple[np.ndarray, np.ndarray, np.ma.MaskedArray]:
    """``enrollment_downline``, ``placement_downline`` and ``placement_free_depth`` of every row.

    * enrollment downline: distributors strictly below the member in the sponsor tree
      (``subtree_sum(is_distributor) - is_distributor``; retail customers are not counted);
    * placement downline: members strictly below in the placement tree (``size - 1``);
    * free depth: ``0`` when the member takes new members itself (a distributor, not
      terminated, with fewer than ``width`` placement children; any number when ``width`` is
      ``None``), else ``1 + min`` over its placement children, masked (NULL) when no member of
      its placement subtree takes new members, and for retail customers.
    """
    count = len(network)
    is_distributor = ~network.is_customer
    enrollment = Tree.build(network.sponsor)
    enrollment_downline = enrollment.subtree_sum(is_distributor.astype(np.int64)) - is_distributor
    placement = Tree.build(network.placement)
    placement_downline = placement.size - 1
    has_parent = network.placement >= 0
    children = np.bincount(network.placement[has_parent], minlength=count)
    takes = is_distributor & (network.status != TERMINATED)
    if width is not None:
        takes &= children < width
    nearest = np.full(count, _UNREACHABLE, dtype=np.int64)
    depth = np.full(count, _UNREACHABLE, dtype=np.int64)
    for level in range(placement.levels - 1, -1, -1):
        nodes = placement.level(level)
        below = nearest[nodes]
        depth[nodes] = np.where(
            takes[nodes], 0, np.where(below == _UNREACHABLE, _UNREACHABLE, below + 1)
        )
        if level:
            np.minimum.at(nearest, network.placement[nodes], depth[nodes])
    unknown = (depth == _UNREACHABLE) | network.is_customer
    free_depth = np.ma.masked_array(np.where(unknown, 0, depth), mask=unknown)
    return enrollment_downline.astype(np.int64), placement_downline.astype(np.int64), free_depth


def do_bulk_load_members(
    network: Network,
    stored: StoredNetwork,
    *,
    effective_at: np.ndarray,
    details: MemberDetails | None = None,
    actor: Any = None,
    reason: str | Phrase = "",
) -> np.ndarray:
    """Write the rows of ``network`` after the first ``len(stored)`` (the new members).

    ``network`` is the stored network followed by the new rows, references as row indices, as
    ``csv_io.read_network(..., base=stored.network)`` returns it; ``effective_at`` holds the
    instant (``datetime64[us]``, UTC) each new member's ``ENROLLED`` event takes effect.
    Returns the primary key of every row of ``network``. Must run while the caller holds
    ``lock_network_for_bulk_load``.
    """
    offset = len(stored)
    new_count = len(network) - offset
    reason_text, reason_key, reason_params = split(reason)
    if len(effective_at) != new_count:
        raise ValueError("effective_at needs one instant per new member")
    with transaction.atomic():
        new_ids = reserve_ids(Distributor, new_count)
        db_ids = np.concatenate((stored.db_ids, new_ids))
        enrollment, placement, free_depth = network_counters(network, placement_shape().width)
        phase_done("downline counters computed")
        now = timezone.now()
        new = slice(offset, len(network))

        def references(rows: np.ndarray) -> np.ma.MaskedArray:
            return np.ma.masked_array(db_ids[np.maximum(rows, 0)], mask=rows < 0)

        sponsor = references(network.sponsor[new])
        parent = references(network.placement[new])
        position = np.ma.masked_array(
            network.position[new].astype(np.int64), mask=network.position[new] <= 0
        )
        statuses = np.array(STATUSES)[network.status[new]].tolist()
        kinds = np.array(MEMBER_KINDS)[network.is_customer[new].astype(np.int64)].tolist()
        detail_columns: dict[str, Any] = {
            "name": Const(""),
            "email": Const(""),
            "country": Const(""),
            "language": Const("en"),
            "currency": Const(settings.DOWNLINE_CURRENCY),
        }
        if details is not None:
            detail_columns = {
                "name": details.name,
                "email": details.email,
                "country": details.country,
                "language": details.language,
                "currency": details.currency,
            }
        sponsor_paths = paths_for_new_rows(network.sponsor, offset, db_ids)
        phase_done("sponsor paths computed")
        member_columns = {
            "id": new_ids,
            "member_id": network.ids[offset:],
            "kind": kinds,
            **detail_columns,
            "sponsor_id": sponsor,
            "placement_parent_id": parent,
            "placement_position": position,
            "joined_on": network.joined_on[new],
            "status": statuses,
            "enrollment_downline": enrollment[new],
            "placement_downline": placement[new],
            "placement_free_depth": free_depth[new],
            "created_at": Const(now),
            "sponsor_path": sponsor_paths,
        }
        event_columns = {
            "distributor_id": new_ids,
            "kind": Const(StructureEvent.Kind.ENROLLED),
            "change_id": Const(uuid.uuid4()),
            "effective_at": effective_at.astype("datetime64[us]"),
            "recorded_at": Const(now),
            "actor_id": Const(getattr(actor, "pk", None)),
            "reason": Const(reason_text),
            "reason_key": Const(reason_key),
            "reason_params": Const(reason_params),
            "new_sponsor_id": sponsor,
            "new_placement_parent_id": parent,
            "new_placement_position": position,
            "old_status": Const(""),
            "new_status": statuses,
            "old_kind": Const(""),
            "new_kind": kinds,
        }
        with indexes_rebuilt_after(Distributor, new_count):
            insert_rows(Distributor, member_columns, new_count)
        phase_done("members written")
        with indexes_rebuilt_after(StructureEvent, new_count):
            insert_rows(StructureEvent, event_columns, new_count)
        phase_done("enrollment events written")
        _update_changed_counters(stored, enrollment, placement, free_depth)
    return db_ids


def paths_for_new_rows(sponsor: np.ndarray, offset: int, db_ids: np.ndarray) -> list[str]:
    """The ``sponsor_path`` of rows ``offset…`` (``sponsor`` holds row indices, -1 for the
    root): the sponsor's path (stored, for an existing sponsor) followed by the row's own id,
    computed level by level from the top so that a new sponsor's path is ready before its
    enrollees'."""
    count = len(sponsor)
    new_sponsors = sponsor[offset:]
    existing = np.unique(new_sponsors[(new_sponsors >= 0) & (new_sponsors < offset)])
    stored = stored_paths([int(pk) for pk in db_ids[existing]])
    path_of_row: dict[int, str] = {int(row): stored.get(int(db_ids[row]), "") for row in existing}
    paths: list[str] = [""] * (count - offset)
    tree = Tree.build(sponsor)
    for level in range(tree.levels):
        nodes = tree.level(level)
        for node in nodes[nodes >= offset].tolist():
            parent = int(sponsor[node])
            path = child_path(path_of_row[parent] if parent >= 0 else None, int(db_ids[node]))
            path_of_row[node] = path
            paths[node - offset] = path
    return paths


def _update_changed_counters(
    stored: StoredNetwork,
    enrollment: np.ndarray,
    placement: np.ndarray,
    free_depth: np.ma.MaskedArray,
) -> None:
    """Write the counters of existing members whose values differ from the recomputation."""
    count = len(stored)
    if not count:
        return
    new_free = free_depth[:count]
    new_mask = np.ma.getmaskarray(new_free)
    old_mask = np.ma.getmaskarray(stored.free_depth)
    changed = (
        (enrollment[:count] != stored.enrollment_downline)
        | (placement[:count] != stored.placement_downline)
        | (new_mask != old_mask)
        | (~new_mask & (new_free.filled(0) != stored.free_depth.filled(0)))
    )
    rows = np.flatnonzero(changed)
    update_rows(
        Distributor,
        "id",
        stored.db_ids[rows],
        {
            "enrollment_downline": enrollment[rows],
            "placement_downline": placement[rows],
            "placement_free_depth": new_free[rows],
        },
    )
