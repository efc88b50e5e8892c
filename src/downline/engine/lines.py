"""Commission lines while a period is computed: one :class:`LineBatch` per bonus.

A batch is put in **canonical order** as soon as it is made (docs/plan-language.md): recipient
row, then source-order row (none first), then source row (none first), then level. Batches
follow the order of the plan's bonuses, so their concatenation is the canonical order of the
whole period, and caps can break ties by position.

Rates are kept once per period in a :class:`RateTable`; a line holds the rate's index.

Every bonus's batch goes into one :class:`LineStore`, the period's final line arrays, in plan
order; a level walk writes its lines straight into the store (no second copy of the largest
batch), other bonuses' batches are copied in, and the batches kept for caps and matching are
views of the store.

Lines of level walks (unilevel, matrix, fast start, generation) are made from three columns
only — recipient, a tag (the order row, or the source row without orders) and the level —
packed into one int64 key ``(recipient·T + tag)·V + level`` and sorted with ``np.sort``; the
other columns are looked up from the tag and the level after sorting.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .inputs import Lines
from .parallel import for_pieces, pieces, run_all
from .plan import Rate
from .rounding import mul_div_round

I64 = np.int64


def index_dtype(*sizes: int) -> type[np.integer]:
    """int32 when every row number (and -1) fits, else int64."""
    return np.int32 if max(sizes, default=0) < np.iinfo(np.int32).max else np.int64


class RateTable:
    """The distinct rates ``num/den`` of a period; id 0 is "no rate" (0/0)."""

    def __init__(self) -> None:
        self.index: dict[tuple[int, int], int] = {(0, 0): 0}
        self.num: list[int] = [0]
        self.den: list[int] = [0]

    def id(self, num: int, den: int) -> int:
        key = (int(num), int(den))
        if key not in self.index:
            self.index[key] = len(self.num)
            self.num.append(key[0])
            self.den.append(key[1])
        return self.index[key]

    def ids(self, num: np.ndarray, den: np.ndarray) -> np.ndarray:
        """The id of each (num, den) pair of two arrays."""
        num = np.asarray(num, dtype=I64)
        den = np.asarray(den, dtype=I64)
        if not num.size:
            return np.zeros(0, dtype=np.int32)
        pairs, inverse = np.unique(np.stack((num, den), axis=1), axis=0, return_inverse=True)
        table = np.array([self.id(a, b) for a, b in pairs.tolist()], dtype=np.int32)
        return table[inverse.reshape(-1)]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.num, dtype=I64), np.array(self.den, dtype=I64)

    @property
    def dtype(self) -> type[np.integer]:
        return np.int16 if len(self.num) < np.iinfo(np.int16).max else np.int32


@dataclass
class LineBatch:
    """The lines of one bonus (every array one entry per line). ``amount`` is the same array as
    ``amount_before_cap`` until a cap changes it (see :meth:`writable_amount`)."""

    recipient: np.ndarray
    source: np.ndarray
    source_order: np.ndarray
    level: np.ndarray
    base: np.ndarray
    rate_id: np.ndarray
    amount_before_cap: np.ndarray
    amount: np.ndarray

    def __len__(self) -> int:
        return len(self.recipient)

    @classmethod
    def empty(cls) -> LineBatch:
        return cls(*(np.zeros(0, dtype=I64) for _ in range(8)))

    @classmethod
    def make(
        cls,
        rates: RateTable,
        *,
        recipient,
        source,
        source_order,
        level,
        base,
        rate_num,
        rate_den,
        amount,
        rows: type[np.integer] = I64,
    ) -> LineBatch:
        """A batch from columns (scalars are broadcast); ``amount`` is also the amount before
        any cap. Not sorted: see :meth:`canonical`."""
        recipient = np.asarray(recipient, dtype=rows)
        k = recipient.size

        def column(value, dtype=I64) -> np.ndarray:
            array = np.asarray(value)
            if array.ndim == 0:
                return np.full(k, int(array), dtype=dtype)
            return array.astype(dtype, copy=False)

        if np.ndim(rate_num) == 0 and np.ndim(rate_den) == 0:
            rate_id = np.full(k, rates.id(int(rate_num), int(rate_den)), dtype=rates.dtype)
        else:
            rate_id = rates.ids(
                np.broadcast_to(np.asarray(rate_num, dtype=I64), (k,)),
                np.broadcast_to(np.asarray(rate_den, dtype=I64), (k,)),
            ).astype(rates.dtype)
        amount = column(amount)
        return cls(
            recipient=recipient,
            source=column(source, rows),
            source_order=column(source_order, rows),
            level=column(level, np.int16),
            base=column(base),
            rate_id=rate_id,
            amount_before_cap=amount,
            amount=amount,
        )

    def writable_amount(self) -> np.ndarray:
        """``amount`` to change in place (until then it may share ``amount_before_cap``)."""
        if self.amount is self.amount_before_cap:
            self.amount = self.amount.copy()
        return self.amount

    @classmethod
    def concat(cls, batches: list[LineBatch]) -> LineBatch:
        if not batches:
            return cls.empty()
        if len(batches) == 1:
            return batches[0]
        return cls(
            **{f.name: np.concatenate([getattr(b, f.name) for b in batches]) for f in fields(cls)}
        )

    def take(self, index: np.ndarray) -> LineBatch:
        return type(self)(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def canonical(self, n: int, m: int) -> LineBatch:
        """This batch sorted by (recipient, source order, source, level); the key is unique
        within a bonus, so the order is fully determined."""
        if len(self) <= 1:
            return self
        order = canonical_order(self.recipient, self.source_order, self.source, self.level, n, m)
        return self if order is None else self.take(order)


def canonical_order(
    recipient: np.ndarray,
    source_order: np.ndarray,
    source: np.ndarray,
    level: np.ndarray,
    n: int,
    m: int,
) -> np.ndarray | None:
    """The permutation that sorts lines by (recipient, source order, source, level), ``None``
    when they already are. The keys are packed into one int64 when they fit (the source is
    left out when every line has an order: it is the order's credited distributor), else
    sorted with ``np.lexsort``."""
    recipient = recipient.astype(I64)
    source_order = source_order.astype(I64)
    source = source.astype(I64)
    level = level.astype(I64)
    if int(level.min()) < 0:
        return np.lexsort((level, source, source_order, recipient))
    parts: list[tuple[np.ndarray, int]] = [(recipient, n + 1)]
    has_order = int(source_order.min()) >= 0
    no_order = int(source_order.max()) < 0
    if not no_order:
        parts.append((source_order + 1, m + 1))
    if not has_order:
        parts.append((source + 1, n + 1))
    parts.append((level, int(level.max()) + 1))
    capacity = 1
    for _, radix in parts:
        capacity *= radix
    if capacity >= 2**62:
        return np.lexsort((level, source, source_order, recipient))
    key = np.zeros(recipient.size, dtype=I64)
    for values, radix in parts:
        key *= radix
        key += values
    if np.all(key[1:] > key[:-1]):
        return None
    return np.argsort(key)


def volume_amounts(base: np.ndarray, num, den, minor: int) -> np.ndarray:
    """Lines on a volume: ``base`` hundredths × ``num/den`` currency units per unit, in minor
    units: ``round_half_up(base × num × 10^minor / (den × 100))``."""
    if np.ndim(num) == 0 and np.ndim(den) == 0:
        return mul_div_round(base, int(num) * 10**minor, int(den) * 100)
    return mul_div_round(
        base, np.asarray(num, dtype=I64) * 10**minor, np.asarray(den, dtype=I64) * 100
    )


@dataclass
class WalkLines:
    """Lines found by a level walk, before they are sorted: per block, the recipients, the
    tags (order rows, or source rows for walks without orders) and one level."""

    recipients: list[np.ndarray]
    tags: list[np.ndarray]
    levels: list[int]

    def __init__(self) -> None:
        self.recipients, self.tags, self.levels = [], [], []

    def add(self, recipients: np.ndarray, tags: np.ndarray, level: int) -> None:
        if recipients.size:
            self.recipients.append(recipients)
            self.tags.append(tags)
            self.levels.append(level)

    @property
    def total(self) -> int:
        return sum(block.size for block in self.recipients)

    def sort_into(
        self,
        n: int,
        tag_count: int,
        recipient: np.ndarray,
        tag: np.ndarray,
        level: np.ndarray,
        scratch: np.ndarray | None = None,
    ) -> None:
        """Write ``(recipient, tag, level)`` of every line in canonical order (by recipient,
        tag, level) into the given arrays.

        Each line is packed into one int64 key ``(recipient·T + tag)·V + level``. Keys are
        written straight into recipient ranges (one per thread, cut at sampled quantiles of the
        recipients), so each range sorts on its own thread and the ranges follow each other in
        order. ``scratch`` (int64, one per line) holds the keys when given."""
        total = self.total
        if not total:
            return
        level_radix = max(self.levels) + 1
        if (n + 1) * (tag_count + 1) * level_radix >= 2**62:
            recipient[:], tag[:], level[:] = self._lexsorted()
            return
        ranges = len(pieces(total))
        cuts = _quantiles(self.recipients, ranges)
        parts = []
        sizes = np.zeros(ranges, dtype=I64)
        for block in self.recipients:
            part = None
            if ranges > 1:
                part = np.searchsorted(cuts, block, side="right").astype(np.uint8)
                sizes += np.bincount(part, minlength=ranges)
            else:
                sizes += block.size
            parts.append(part)
        starts = np.concatenate(([0], np.cumsum(sizes)))
        key = np.empty(total, dtype=I64) if scratch is None else scratch
        cursor = starts[:-1].copy()
        for b, block_level in enumerate(self.levels):
            block = self.recipients[b].astype(I64)
            block *= tag_count
            block += self.tags[b]
            block *= level_radix
            block += block_level
            self.recipients[b] = self.tags[b] = None
            for r in range(ranges):
                chosen = block if ranges == 1 else block[parts[b] == r]
                key[cursor[r] : cursor[r] + chosen.size] = chosen
                cursor[r] += chosen.size
            parts[b] = None
        self.recipients, self.tags = [], []
        bounds = [slice(int(starts[r]), int(starts[r + 1])) for r in range(ranges)]
        run_all([lambda part=part: key[part].sort() for part in bounds])

        def decode(part: slice) -> None:
            piece = key[part]
            level[part] = piece % level_radix
            piece //= level_radix
            tag[part] = piece % tag_count
            piece //= tag_count
            recipient[part] = piece

        for_pieces(total, decode)

    def _lexsorted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        recipient = np.concatenate(self.recipients).astype(I64)
        tag = np.concatenate(self.tags).astype(I64)
        level = np.repeat(
            np.array(self.levels, dtype=np.int16), [block.size for block in self.recipients]
        )
        order = np.lexsort((level, tag, recipient))
        return recipient[order], tag[order], level[order]


def _quantiles(blocks: list[np.ndarray], count: int) -> np.ndarray:
    """``count - 1`` cut points that split the values of ``blocks`` into about equal ranges,
    from a regular sample."""
    if count <= 1:
        return np.zeros(0, dtype=I64)
    sample = np.concatenate([block[:: max(1, block.size // 4096)] for block in blocks]).astype(I64)
    sample.sort()
    return sample[[sample.size * k // count for k in range(1, count)]]


def walk_batch(
    walk: WalkLines,
    store: LineStore,
    bonus: int,
    rates: RateTable,
    *,
    n: int,
    level_rates: list[Rate],
    tag_count: int,
    tag_source: np.ndarray | None,
    tag_base: np.ndarray,
    minor: int,
) -> LineBatch:
    """The lines of a level walk, written in canonical order straight into ``store``.
    ``tag_source[t]`` is the source of tag ``t`` (the order's credited distributor; ``None``:
    the tag is the source and lines have no order); ``tag_base[t]`` its base volume;
    ``level_rates[k-1]`` the rate of level ``k``.

    The amount of every (tag, level) pair is computed once per tag with the level's rate (a
    scalar rate, so the division is by a constant) into a table; each line then gathers its
    amount from the table and its source and base from one int64 per tag that packs both
    (when they fit in 32 bits each)."""
    total = walk.total
    for rate in level_rates:  # every rate is in the table before the store sizes its ids
        rates.id(rate.value.numerator, rate.value.denominator)
    lines = store.reserve(bonus, total, rates)
    rows = store.rows
    tag = lines.source_order if tag_source is not None else np.empty(total, dtype=rows)
    # the keys are sorted in the amount column, which is written last
    walk.sort_into(n, tag_count, lines.recipient, tag, lines.level, scratch=lines.amount)
    levels = len(level_rates)
    limit = np.iinfo(np.int32)
    level_ids = np.zeros(levels + 1, dtype=np.int32)
    columns = []
    for k, rate in enumerate(level_rates, start=1):
        fraction = rate.value
        level_ids[k] = rates.id(fraction.numerator, fraction.denominator)
        columns.append(volume_amounts(tag_base, fraction.numerator, fraction.denominator, minor))
    narrow = all(
        not column.size or (int(column.min()) >= limit.min and int(column.max()) <= limit.max)
        for column in columns
    )
    amounts = np.empty((tag_count, levels), dtype=np.int32 if narrow else I64)
    for k, column in enumerate(columns):
        amounts[:, k] = column
    del columns
    amounts = amounts.reshape(-1)
    sources = np.arange(tag_count, dtype=I64) if tag_source is None else tag_source
    packed = None
    if not tag_base.size or (
        int(tag_base.min()) >= limit.min
        and int(tag_base.max()) <= limit.max
        and tag_count < limit.max
    ):
        pair = np.empty((tag_count, 2), dtype=np.int32)  # little-endian: base low, source high
        pair[:, 0] = tag_base
        pair[:, 1] = sources
        packed = pair.view(I64).reshape(-1)

    def gather(part: slice) -> None:
        tags = tag[part].astype(I64)
        if packed is not None:
            got = np.take(packed, tags).view(np.int32).reshape(-1, 2)
            lines.base[part] = got[:, 0]
            lines.source[part] = got[:, 1]
            del got
        else:
            lines.base[part] = np.take(tag_base, tags)
            lines.source[part] = np.take(sources, tags)
        level = lines.level[part]
        tags *= levels
        tags += level
        tags -= 1
        lines.amount_before_cap[part] = np.take(amounts, tags)
        lines.amount[part] = lines.amount_before_cap[part]
        lines.rate_id[part] = level_ids[level]

    for_pieces(total, gather)
    if tag_source is None:
        lines.source_order.fill(-1)
    return lines


class LineStore:
    """The period's line arrays, filled bonus by bonus in plan order.

    Arrays are allocated with room to spare (pages never written cost no memory), so the
    largest batch — a level walk — is written in place, and later batches are appended.
    When the room runs out the arrays are reallocated larger. Each bonus's lines are one
    segment; :meth:`batch` gives views of it."""

    def __init__(self, rows: type[np.integer], n: int) -> None:
        self.rows = rows
        self.n = n
        self.count = 0
        self.segments: list[slice] = []
        self.arrays = self._allocate(0, np.int16)

    def _allocate(self, capacity: int, rate_dtype) -> dict[str, np.ndarray]:
        dtypes = {
            "bonus": np.int16,
            "recipient": self.rows,
            "source": self.rows,
            "source_order": self.rows,
            "level": np.int16,
            "base": I64,
            "rate_id": rate_dtype,
            "amount_before_cap": I64,
            "amount": I64,
        }
        return {name: np.empty(capacity, dtype=dtype) for name, dtype in dtypes.items()}

    @property
    def capacity(self) -> int:
        return self.arrays["bonus"].size

    def _grow(self, capacity: int, rate_dtype) -> None:
        grown = self._allocate(capacity, rate_dtype)
        for name, array in grown.items():
            array[: self.count] = self.arrays[name][: self.count]
        self.arrays = grown

    def reserve(self, bonus: int, size: int, rates: RateTable) -> LineBatch:
        """Room for the ``size`` lines of ``bonus`` (each bonus once, in plan order); views."""
        if bonus != len(self.segments):
            raise ValueError("bonuses must be stored once each, in plan order")
        needed = self.count + size
        rate_dtype = np.int32 if rates.dtype == np.int32 else self.arrays["rate_id"].dtype
        if needed > self.capacity or rate_dtype != self.arrays["rate_id"].dtype:
            capacity = max(needed + needed // 8 + 4 * self.n, self.capacity * 3 // 2)
            self._grow(capacity if needed > self.capacity else self.capacity, rate_dtype)
        segment = slice(self.count, needed)
        self.count = needed
        self.segments.append(segment)
        self.arrays["bonus"][segment] = bonus
        return self.batch(bonus)

    def batch(self, bonus: int) -> LineBatch:
        """The stored lines of ``bonus`` (views of the current arrays)."""
        segment = self.segments[bonus]
        return LineBatch(**{f.name: self.arrays[f.name][segment] for f in fields(LineBatch)})

    def append(self, bonus: int, batch: LineBatch, rates: RateTable) -> LineBatch:
        """Copy ``batch`` (canonical order) in as ``bonus``'s lines; the stored views."""
        stored = self.reserve(bonus, len(batch), rates)
        for f in fields(LineBatch):
            getattr(stored, f.name)[:] = getattr(batch, f.name)
        return stored

    def lines(self, rates: RateTable) -> Lines:
        """The period's :class:`Lines` (views of the filled part)."""
        used = {name: array[: self.count] for name, array in self.arrays.items()}
        rate_id = used.pop("rate_id")
        return Lines(**used, rate_id=rate_id, rate_table=rates.arrays())
