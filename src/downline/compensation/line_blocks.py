"""Packing a final run's commission lines into one block per recipient, and reading them back.

A block holds its recipient's lines in the engine's canonical order (plan bonus order, then the
bonus's own order) as little-endian records of :data:`LINE`: ``bonus`` (index into the plan
version's bonuses), ``level``, ``source`` and ``source_order`` (database ids, ``-1`` for
none), ``base``, the exact rate ``rate_num / rate_den``, ``amount_before_cap`` and ``amount``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from downline.engine.inputs import Lines

LINE = np.dtype(
    [
        ("bonus", "<i2"),
        ("level", "<i2"),
        ("source", "<i8"),
        ("source_order", "<i8"),
        ("base", "<i8"),
        ("rate_num", "<i8"),
        ("rate_den", "<i8"),
        ("amount_before_cap", "<i8"),
        ("amount", "<i8"),
    ]
)


@dataclass
class PackedBlocks:
    """One entry per recipient: database id, number of lines, Σ amount; ``data`` holds every
    block end to end (``lines × LINE.itemsize`` bytes each)."""

    recipients: np.ndarray
    counts: np.ndarray
    amounts: np.ndarray
    data: np.ndarray  # uint8

    @property
    def byte_lengths(self) -> np.ndarray:
        return self.counts.astype(np.int64) * LINE.itemsize


def pack(lines: Lines, member_ids: np.ndarray, order_ids: np.ndarray) -> PackedBlocks:
    """The blocks of ``lines`` (rows → database ids through ``member_ids``/``order_ids``)."""
    k = len(lines)
    if not k:
        empty = np.zeros(0, dtype=np.int64)
        return PackedBlocks(empty, empty, empty, np.zeros(0, dtype=np.uint8))
    recipient = np.asarray(lines.recipient, dtype=np.int64)
    order = np.argsort(recipient, kind="stable")  # keeps plan and bonus order per recipient
    records = np.empty(k, dtype=LINE)
    records["bonus"] = lines.bonus[order]
    records["level"] = lines.level[order]
    source = np.asarray(lines.source, dtype=np.int64)[order]
    records["source"] = np.where(source >= 0, member_ids[np.maximum(source, 0)], -1)
    source_order = np.asarray(lines.source_order, dtype=np.int64)[order]
    if len(order_ids):
        records["source_order"] = np.where(
            source_order >= 0, order_ids[np.maximum(source_order, 0)], -1
        )
    else:
        records["source_order"] = -1
    records["base"] = lines.base[order]
    records["rate_num"] = lines.rate_num[order]
    records["rate_den"] = lines.rate_den[order]
    records["amount_before_cap"] = lines.amount_before_cap[order]
    records["amount"] = lines.amount[order]
    sorted_recipient = recipient[order]
    starts = np.flatnonzero(np.r_[True, sorted_recipient[1:] != sorted_recipient[:-1]])
    counts = np.diff(np.r_[starts, k])
    return PackedBlocks(
        recipients=member_ids[sorted_recipient[starts]],
        counts=counts,
        amounts=np.add.reduceat(records["amount"], starts),
        data=records.view(np.uint8),
    )


def unpack(data: bytes | memoryview) -> np.ndarray:
    """The lines of one block as a structured array of :data:`LINE`."""
    return np.frombuffer(bytes(data), dtype=LINE)
