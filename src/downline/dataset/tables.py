"""Column tables for a network and its orders.

Row ``i`` of a :class:`Network` is one member; references between rows are row indices, ``-1``
for none. Volumes are integer hundredths (``12.50`` → ``1250``), amounts integer hundredths of
the currency's major unit, instants UTC ``datetime64[us]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

STATUSES = ("active", "suspended", "terminated")
MEMBER_KINDS = ("distributor", "customer")
ORDER_KINDS = ("product", "starter_kit", "autoship", "fee")
ACTIVE, SUSPENDED, TERMINATED = range(3)


@dataclass(frozen=True)
class PlacementShape:
    """The placement tree's shape: ``binary`` (L/R), ``matrix`` (slots 1..width) or
    ``unilevel`` (no positions, no capacity)."""

    kind: str = "binary"
    width: int = 2

    def __post_init__(self) -> None:
        if self.kind not in {"binary", "matrix", "unilevel"}:
            raise ValueError(f"unknown placement shape {self.kind!r}")
        if self.kind == "binary" and self.width != 2:
            object.__setattr__(self, "width", 2)
        if self.kind == "matrix" and self.width < 1:
            raise ValueError("a matrix needs a width of at least 1")

    @property
    def capacity(self) -> int | None:
        """Children a placement parent can hold (``None``: unlimited)."""
        return None if self.kind == "unilevel" else self.width

    def parse_position(self, text: str) -> int:
        """``"L"``/``"R"`` → 1/2 in a binary tree, ``"3"`` → 3 in a matrix; ValueError if invalid."""
        if self.kind == "binary":
            if text not in {"L", "R"}:
                raise ValueError("binary")
            return 1 if text == "L" else 2
        if self.kind == "matrix":
            if not text.isdigit() or not 1 <= int(text) <= self.width:
                raise ValueError("matrix")
            return int(text)
        raise ValueError("unilevel")

    def format_position(self, position: int) -> str:
        if position <= 0:
            return ""
        if self.kind == "binary":
            return "L" if position == 1 else "R"
        return str(position)


def _empty_int(n: int = 0) -> np.ndarray:
    return np.full(n, -1, dtype=np.int64)


@dataclass
class Network:
    """Members (distributors and retail customers) with both trees."""

    ids: list[str] = field(default_factory=list)
    sponsor: np.ndarray = field(default_factory=_empty_int)
    placement: np.ndarray = field(default_factory=_empty_int)
    position: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    joined_on: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="datetime64[D]"))
    status: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    is_customer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def index(self) -> dict[str, int]:
        return {member_id: row for row, member_id in enumerate(self.ids)}

    @staticmethod
    def concat(first: Network, second: Network) -> Network:
        """``second`` appended to ``first``; ``second``'s references must already be indices
        into the combined table."""
        return Network(
            ids=first.ids + second.ids,
            sponsor=np.concatenate((first.sponsor, second.sponsor)),
            placement=np.concatenate((first.placement, second.placement)),
            position=np.concatenate((first.position, second.position)),
            joined_on=np.concatenate((first.joined_on, second.joined_on)),
            status=np.concatenate((first.status, second.status)),
            is_customer=np.concatenate((first.is_customer, second.is_customer)),
        )


@dataclass
class Orders:
    """Orders and returns. A return (``returns[i] >= 0``) carries positive volumes that are
    taken back from the original order ``returns[i]``."""

    ids: list[str] = field(default_factory=list)
    member: np.ndarray = field(default_factory=_empty_int)
    paid_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="datetime64[us]"))
    pv: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cv: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    amount: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    currency: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="<U3"))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    returns: np.ndarray = field(default_factory=_empty_int)

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def index(self) -> dict[str, int]:
        return {order_id: row for row, order_id in enumerate(self.ids)}

    @property
    def is_return(self) -> np.ndarray:
        return self.returns >= 0

    @staticmethod
    def concat(first: Orders, second: Orders) -> Orders:
        return Orders(
            ids=first.ids + second.ids,
            member=np.concatenate((first.member, second.member)),
            paid_at=np.concatenate((first.paid_at, second.paid_at)),
            pv=np.concatenate((first.pv, second.pv)),
            cv=np.concatenate((first.cv, second.cv)),
            amount=np.concatenate((first.amount, second.amount)),
            currency=np.concatenate((first.currency, second.currency)),
            kind=np.concatenate((first.kind, second.kind)),
            returns=np.concatenate((first.returns, second.returns)),
        )
