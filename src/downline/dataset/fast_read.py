"""The columnar reading of ``distributors.csv`` and ``orders.csv`` (the fast path of
:mod:`downline.dataset.csv_io`).

Arrow parses the file into string columns and every rule of the format is checked with array
operations (regular expressions, hash look-ups, vectorised comparisons and the same tree checks
as the row-by-row reader). The fast path accepts a subset of the valid files, those written the
canonical way (no spaces around values, ASCII digits, ``YYYY-MM-DD`` dates, ISO 8601 instants
``YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM]`` with years 1900–2999, and no formula-escaped cells),
and returns exactly the tables the row-by-row reader returns for them. For anything else, a
problem or merely an unusual spelling, it returns ``None`` and the caller reads the file again
row by row: that exact pass names each problem as ``file:line: column: why`` and also accepts
every other valid spelling. So a good file never pays for the slow pass, and every message and
rule stays that of the row-by-row reader.

Decimals become integer hundredths with :func:`columnar.parse_decimal_column` (no float);
instants are parsed by Arrow from the text (offsets applied exactly), or, for instants without
an offset in a company time zone other than UTC, by :func:`datetime.fromisoformat` once per
distinct text.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from downline.core.ids import ID_PATTERN, MAX_ID_LENGTH
from downline.money import minor_units

from . import csv_io
from .columnar import byte_class, parse_decimal_column, remember_text, text_bytes
from .tables import MEMBER_KINDS, ORDER_KINDS, STATUSES, Network, Orders, PlacementShape

_BOM = b"\xef\xbb\xbf"
_YEAR = "(?:19|2[0-9])[0-9]{2}"
_DATE = rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}$"
_INSTANT = rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?:\.[0-9]{{1,6}})?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
_TIME_FIELDS = r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_CANONICAL_INSTANT = (
    rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}{_TIME_FIELDS}(?:\.[0-9]{{1,6}})?(?:{_OFFSET[:-1]})?$"
)
"""``_INSTANT``, an optional ``_OFFSET`` and the time fields' ranges, in one expression."""
_ID = rf"^{ID_PATTERN}$"
_ID_FIRST = byte_class("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_ID_BYTES = byte_class("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


_AHEAD: dict[str, Future[tuple[bytes, tuple[int, int]] | None]] = {}
"""Files being read ahead (:func:`read_ahead`), by path, until :func:`take_ahead` takes them:
their bytes and the (modification time, size) they were read at."""
_PARSED: dict[int, tuple[bytes, tuple[str, ...], pa.Table | None]] = {}
"""Tables parsed ahead, by the identity of the bytes they were parsed from."""
_LOCK = threading.Lock()


def read_ahead(
    path: str | Path,
    columns: tuple[str, ...],
    *,
    then: Callable[[bytes, pa.Table | None], None] | None = None,
) -> None:
    """Start reading ``path`` and parsing it (:func:`read_table`) on a thread, so that a later
    :func:`csv_io.read_network` / :func:`csv_io.read_orders` of the same path finds the work
    done (Arrow parses without holding the interpreter: the caller imports and loads the
    plan meanwhile). The result is exactly what reading then would give (a file changed since
    is read again); a file that cannot be read, or is not a regular file, is left to the
    reader."""
    key = os.fspath(path)
    if not os.path.isfile(key):  # a pipe is read once, by the reader
        return
    future: Future[tuple[bytes, tuple[int, int]] | None] = Future()
    with _LOCK:
        _AHEAD[key] = future

    def work() -> None:
        read: tuple[bytes, tuple[int, int]] | None = None
        try:
            stamp = _stamp(key)
            data = Path(key).read_bytes()
            read = (data, stamp)
            table = read_table(data, columns)
            with _LOCK:
                _PARSED[id(data)] = (data, columns, table)
            if then is not None:
                then(data, table)
        except Exception:  # read, parsed and reported again by the reader
            pass
        finally:
            future.set_result(read)

    threading.Thread(target=work, name="downline-read-ahead", daemon=True).start()


def _stamp(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_mtime_ns, status.st_size


def take_ahead(path: str | Path) -> bytes | None:
    """The bytes of ``path`` read ahead by :func:`read_ahead` (waiting for them), or ``None``
    when it was not read ahead, could not be read, or has changed since."""
    with _LOCK:
        future = _AHEAD.pop(os.fspath(path), None)
    done = None if future is None else future.result()
    if done is None:
        return None
    data, stamp = done
    try:
        if _stamp(os.fspath(path)) != stamp:
            return None
    except OSError:
        return None
    return data


def forget_ahead() -> None:
    """Drop whatever was read ahead and not taken (a run that stopped early)."""
    with _LOCK:
        _AHEAD.clear()
        _PARSED.clear()
        _NETWORK_AHEAD.clear()
        _ORDERS_AHEAD.clear()


def read_table(data: bytes, columns: tuple[str, ...]) -> pa.Table | None:
    """The file as string columns named ``columns`` (in that order), or ``None`` when it is not
    plainly readable: not UTF-8, a NUL byte or carriage return, a row of the wrong width, a
    header that differs from the columns (other than their order), an oversized field."""
    with _LOCK:
        parsed = _PARSED.pop(id(data), None)
    if parsed is not None and parsed[0] is data and parsed[1] == columns:
        return parsed[2]
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not data or b"\x00" in data or b"\r" in data:
        return None
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    if sorted(table.column_names) != sorted(columns) or len(set(table.column_names)) != len(
        columns
    ):
        return None
    if any(not pa.types.is_string(table[name].type) for name in columns):
        return None
    return table.select(list(columns)).combine_chunks()


def _column(table: pa.Table, name: str) -> pa.Array:
    return table[name].chunk(0) if table[name].num_chunks else pa.array([], type=pa.string())


def _all(mask: pa.Array) -> bool:
    return len(mask) == 0 or bool(pc.all(pc.fill_null(mask, False)).as_py())


def _any(mask: pa.Array | np.ndarray) -> bool:
    if isinstance(mask, np.ndarray):
        return bool(mask.any())
    return len(mask) > 0 and bool(pc.any(pc.fill_null(mask, False)).as_py())


def _matches(text: pa.Array, pattern: str) -> bool:
    return _all(pc.match_substring_regex(text, pattern))


def _positions(index: pa.Array) -> np.ndarray:
    """``pc.index_in`` results as int64 with ``-1`` for "not found"."""
    return pc.fill_null(index, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _valid_ids(ids: pa.Array) -> bool:
    """Every id matches ``_ID`` (:data:`ID_PATTERN`: 1 to ``MAX_ID_LENGTH`` characters, the
    first a letter or digit, the others also ``_ . -``), checked on the bytes."""
    if not len(ids):
        return True
    data, offsets = text_bytes(ids)
    length = np.diff(offsets)
    if length.min() < 1 or length.max() > MAX_ID_LENGTH:
        return False
    return bool(_ID_FIRST[data[offsets[:-1]]].all()) and bool(
        _ID_BYTES[data[offsets[0] : offsets[-1]]].all()
    )


def _distinct(ids: pa.Array) -> bool:
    """No id twice: ids in strictly increasing order are (one comparison per row), else a
    hash count decides."""
    if len(ids) < 2:
        return True
    if _all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))):
        return True
    return len(pc.unique(ids)) == len(ids)


def _unique_new_ids(ids: pa.Array, base_ids: list[str]) -> bool:
    if not _valid_ids(ids) or not _distinct(ids):
        return False
    return not (base_ids and _any(pc.is_in(ids, value_set=pa.array(base_ids, pa.string()))))


def _dates(text: pa.Array) -> np.ndarray | None:
    if not _matches(text, _DATE):
        return None
    try:
        return pc.cast(text, pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    except pa.ArrowInvalid:
        return None


def _no_errors(check, *args) -> bool:
    """Run one of csv_io's array checks with a scratch collector; True when it found nothing."""
    errors = csv_io._Collector("")
    check(*args, errors)
    return errors.total == 0


class DenseIds:
    """Distinct ids of one width whose every character position holds few distinct bytes
    (``D0001234``: ``D`` or ``C``, then digits) get a dense number: the mixed-radix value
    of their bytes, each position counted from its smallest byte. Looking text up is then
    an array index instead of a hash probe, with exactly the answer of
    ``pc.index_in(text, value_set=ids)``: a text equals an id exactly when it has the width
    and, position by position, the same bytes, i.e. the same number."""

    LIMIT = 1 << 20
    """Numbers up to ``4 × ids + LIMIT`` (the table holds one row number per number)."""

    def __init__(self, width: int, low: np.ndarray, high: np.ndarray, rows: np.ndarray) -> None:
        self.width, self.low, self.high, self.rows = width, low, high, rows
        self.radix = np.ones(width, dtype=np.int64)
        for column in range(width - 2, -1, -1):
            self.radix[column] = self.radix[column + 1] * (
                int(high[column + 1]) - int(low[column + 1]) + 1
            )

    @classmethod
    def build(cls, ids: pa.Array) -> DenseIds | None:
        """The dense numbering of ``ids``, or ``None`` when they have several widths, span too
        many numbers, or are not distinct."""
        data, offsets = text_bytes(ids)
        n = len(ids)
        if n == 0:
            return None
        width = int(offsets[1] - offsets[0])
        if width == 0 or offsets[-1] - offsets[0] != n * width or np.any(np.diff(offsets) != width):
            return None
        cells = data[offsets[0] : offsets[-1]].reshape(n, width)
        low, high = cells.min(axis=0), cells.max(axis=0)
        size = 1
        for column in range(width):
            size *= int(high[column]) - int(low[column]) + 1
        if size > 4 * n + cls.LIMIT:
            return None
        dense = cls(width, low, high, np.full(size, -1, dtype=np.int64))
        numbers = dense._numbers(cells)
        everyone = np.arange(n, dtype=np.int64)
        dense.rows[numbers] = everyone
        if not np.array_equal(dense.rows[numbers], everyone):
            return None  # an id twice
        return dense

    def _numbers(self, cells: np.ndarray) -> np.ndarray:
        numbers = np.zeros(len(cells), dtype=np.int64)
        for column in range(self.width):
            numbers += (cells[:, column].astype(np.int64) - int(self.low[column])) * int(
                self.radix[column]
            )
        return numbers

    def find(self, text: pa.Array) -> np.ndarray:
        """The row of each text among the ids, ``-1`` where none is equal."""
        data, offsets = text_bytes(text)
        found = np.full(len(text), -1, dtype=np.int64)
        if not len(text):
            return found
        length = np.diff(offsets)
        if offsets[-1] - offsets[0] == len(text) * self.width and np.all(length == self.width):
            candidates = np.arange(len(text))
            cells = data[offsets[0] : offsets[-1]].reshape(len(text), self.width)
        else:
            candidates = np.flatnonzero(length == self.width)
            cells = data[offsets[candidates][:, None] + np.arange(self.width)]
        fits = np.ones(len(candidates), dtype=bool)
        numbers = np.zeros(len(candidates), dtype=np.int64)
        for column in range(self.width):
            # bytes below the position's smallest wrap around to large values
            shifted = cells[:, column] - self.low[column]
            fits &= shifted <= self.high[column] - self.low[column]
            numbers += shifted.astype(np.int64) * int(self.radix[column])
        if fits.all():
            found[candidates] = self.rows[numbers]
        else:
            found[candidates[fits]] = self.rows[numbers[fits]]
        return found


def _find(text: pa.Array, ids: pa.Array, dense: DenseIds | None) -> np.ndarray:
    """``pc.index_in(text, value_set=ids)`` as row numbers (``-1``: not found)."""
    if dense is not None:
        return dense.find(text)
    return _positions(pc.index_in(text, value_set=ids))


# --------------------------------------------------------------------------------------------
# distributors.csv


@dataclass
class _NetworkColumns:
    """The columns of ``distributors.csv`` checked before the placement shape is known
    (everything but ``placement_position`` and the checks of the trees)."""

    table: pa.Table
    ids: pa.Array
    all_ids: pa.Array
    dense: DenseIds | None
    id_list: list[str]
    joined: np.ndarray
    status: np.ndarray
    customer: np.ndarray
    roots: np.ndarray
    placed: np.ndarray
    sponsor: np.ndarray  # -1: none
    placement: np.ndarray  # -1: none


def _network_columns(data: bytes, base: Network) -> _NetworkColumns | None:
    table = read_table(data, csv_io.DISTRIBUTOR_COLUMNS)
    if table is None:
        return None
    ids = _column(table, "id")
    n, offset = len(ids), len(base)
    dense = DenseIds.build(ids) if not offset and _valid_ids(ids) else None
    if dense is None and not _unique_new_ids(ids, base.ids):
        return None
    joined = _dates(_column(table, "joined_on"))
    status = _positions(pc.index_in(_column(table, "status"), value_set=pa.array(STATUSES)))
    kind = _positions(pc.index_in(_column(table, "kind"), value_set=pa.array(MEMBER_KINDS)))
    if joined is None or _any(status < 0) or _any(kind < 0):
        return None
    customer = kind == 1
    sponsor_text = _column(table, "sponsor_id")
    placement_text = _column(table, "placement_id")
    has_sponsor = pc.not_equal(sponsor_text, "").to_numpy(zero_copy_only=False)
    has_placement = pc.not_equal(placement_text, "").to_numpy(zero_copy_only=False)
    if _any(customer & (has_placement | ~has_sponsor)):
        return None
    all_ids = pa.concat_arrays([pa.array(base.ids, pa.string()), ids]) if offset else ids
    is_customer = np.concatenate((base.is_customer, customer))
    rows = np.arange(offset, offset + n, dtype=np.int64)
    # the root: exactly one distributor without sponsor (in base and file together)
    roots = np.flatnonzero(~has_sponsor)
    base_roots = np.flatnonzero((base.sponsor < 0) & ~base.is_customer)
    if len(roots) + len(base_roots) != 1 and (n or offset):
        return None
    if _any(has_placement[roots]):
        return None
    sponsor = _find(sponsor_text, all_ids, dense)
    linked = has_sponsor
    if _any(linked & ((sponsor < 0) | (sponsor == rows))):
        return None
    if _any(linked & is_customer[np.maximum(sponsor, 0)]):
        return None
    placed = linked & ~customer
    placement = np.where(has_placement, _find(placement_text, all_ids, dense), sponsor)
    if _any(placed & ((placement < 0) | (placement == rows))):
        return None
    if _any(placed & is_customer[np.maximum(placement, 0)]):
        return None
    id_list = ids.to_numpy(zero_copy_only=False).tolist()
    sponsor = np.where(linked, sponsor, -1).astype(np.int64)
    placement = np.where(placed, placement, -1).astype(np.int64)
    if not _links_hold(base, id_list, sponsor, placement, customer):
        return None
    return _NetworkColumns(
        table=table,
        ids=ids,
        all_ids=all_ids,
        dense=dense,
        id_list=id_list,
        joined=joined,
        status=status,
        customer=customer,
        roots=roots,
        placed=placed,
        sponsor=sponsor,
        placement=placement,
    )


_NETWORK_AHEAD: dict[int, tuple[bytes, _NetworkColumns | None]] = {}
""":func:`_network_columns` done ahead (:func:`read_network_ahead`), by the bytes' identity."""


def read_network_ahead(path: str | Path) -> None:
    """:func:`read_ahead` for ``distributors.csv``, and on the same thread every check that
    does not need the placement shape (ids, dates, statuses, kinds, sponsors, placement
    parents), so that they run while the caller imports and loads the plan;
    :func:`read_network` of the same bytes (with no ``base``) then checks positions and the
    trees."""

    def more(data: bytes, table: pa.Table | None) -> None:
        if table is None:
            return
        try:
            columns = _network_columns(data, Network())
        except Exception:  # left to read_network, which fails the same way
            return
        with _LOCK:
            _NETWORK_AHEAD[id(data)] = (data, columns)

    read_ahead(path, csv_io.DISTRIBUTOR_COLUMNS, then=more)


def read_network(data: bytes, *, shape: PlacementShape, base: Network) -> Network | None:
    """``distributors.csv`` checked column by column; ``None`` unless every rule holds."""
    with _LOCK:
        ahead = _NETWORK_AHEAD.pop(id(data), None)
    if ahead is not None and ahead[0] is data and not len(base):
        columns = ahead[1]
    else:
        columns = _network_columns(data, base)
    if columns is None:
        return None
    table, customer = columns.table, columns.customer
    position = _placement_positions(_column(table, "placement_position"), customer, shape)
    if position is None or _any(position[columns.roots] != 0):
        return None
    placed = columns.placed
    if shape.kind != "unilevel" and _any(placed & (position == 0)):
        return None
    new = Network(
        ids=columns.id_list,
        sponsor=columns.sponsor,
        placement=columns.placement,
        position=position.astype(np.int16),
        joined_on=columns.joined,
        status=columns.status.astype(np.int8),
        is_customer=customer,
    )
    if not _slots_hold(base, new, shape):  # the trees' other checks were made with the links
        return None
    network = Network.concat(base, new)
    with _LOCK:
        _NETWORK_IDS[:] = [(network.ids, columns.all_ids, columns.dense)]
    remember_text(network.ids, columns.all_ids)
    return network


_NETWORK_IDS: list[tuple[list[str], pa.Array, DenseIds | None]] = []
"""The ids of the network :func:`read_network` returned last: the list it holds, as Arrow
text and densely numbered (for looking orders' members up without converting a million ids
again)."""


def network_id_array(network: Network) -> tuple[pa.Array, DenseIds | None]:
    """``network.ids`` as an Arrow string array, and their dense numbering if known."""
    with _LOCK:
        for ids, array, dense in _NETWORK_IDS:
            if ids is network.ids and len(ids) == len(array):
                return array, dense
    return pa.array(network.ids, pa.string()), None


def _placement_positions(
    text: pa.Array, customer: np.ndarray, shape: PlacementShape
) -> np.ndarray | None:
    """Slot numbers (0 = none) as :meth:`PlacementShape.parse_position` reads them; ``None``
    when a value is not a position of the shape, or a retail customer has one."""
    given = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    if _any(given & customer):
        return None
    if not _any(given):
        return np.zeros(len(text), dtype=np.int64)
    if shape.kind == "unilevel":
        return None
    if shape.kind == "binary":
        slot = _positions(pc.index_in(text, value_set=pa.array(["", "L", "R"])))
        return None if _any(slot < 0) else slot
    if not _matches(pc.if_else(pa.array(given), text, "1"), r"^[0-9]{1,9}$"):
        return None
    slot = pc.cast(pc.if_else(pa.array(given), text, "0"), pa.int64()).to_numpy()
    if _any(given & ((slot < 1) | (slot > shape.width))):
        return None
    return slot


def _slots_hold(base: Network, new: Network, shape: PlacementShape) -> bool:
    """csv_io's check that no slot of the placement tree holds two members."""
    offset = len(base)
    placement = np.concatenate((base.placement, new.placement))
    position = np.concatenate((base.position, new.position))
    errors = csv_io._Collector("")
    lines = list(range(2, len(new) + 2))
    csv_io._check_slots(placement, position, offset, lines, base.ids + new.ids, shape, errors)
    return errors.total == 0


def _links_hold(
    base: Network,
    ids: list[str],
    sponsor: np.ndarray,
    placement: np.ndarray,
    is_customer: np.ndarray,
) -> bool:
    """csv_io's checks that neither tree has a cycle and that each placement lies inside the
    sponsor's own placement subtree, on ``base`` followed by new rows (``-1``: no link)."""
    offset = len(base)
    lines = list(range(2, len(ids) + 2))
    all_ids = base.ids + ids
    sponsor = np.concatenate((base.sponsor, sponsor))
    placement = np.concatenate((base.placement, placement))
    is_customer = np.concatenate((base.is_customer, is_customer))
    errors = csv_io._Collector("")
    if not csv_io._check_cycles(sponsor, "sponsor_id", "", offset, lines, all_ids, errors):
        return False
    if not csv_io._check_cycles(placement, "placement_id", "", offset, lines, all_ids, errors):
        return False
    csv_io._check_placement_under_sponsor(
        sponsor, placement, is_customer, offset, lines, all_ids, errors
    )
    return errors.total == 0


# --------------------------------------------------------------------------------------------
# orders.csv


@dataclass
class _OrderColumns:
    """The columns of ``orders.csv`` checked before its members are looked up in the network
    (everything but ``distributor_id`` and ``returns_order_id``)."""

    table: pa.Table
    ids: pa.Array
    id_list: list[str]
    kind: np.ndarray
    paid: np.ndarray
    pv: np.ndarray
    cv: np.ndarray
    amount: np.ndarray
    currency: np.ndarray


def _order_columns(data: bytes, time_zone: str, base: Orders) -> _OrderColumns | None:
    table = read_table(data, csv_io.ORDER_COLUMNS)
    if table is None:
        return None
    ids = _column(table, "id")
    if not _unique_new_ids(ids, base.ids):
        return None
    kind = _positions(pc.index_in(_column(table, "kind"), value_set=pa.array(ORDER_KINDS)))
    if _any(kind < 0):
        return None
    paid = _instants(_column(table, "paid_at"), ZoneInfo(time_zone))
    currency = pc.dictionary_encode(_column(table, "currency"))
    if paid is None or not _matches(currency.dictionary, r"^[A-Z]{3}$"):
        return None
    volumes = _volumes(table, currency)
    if volumes is None:
        return None
    pv, cv, amount = volumes
    return _OrderColumns(
        table=table,
        ids=ids,
        id_list=ids.to_numpy(zero_copy_only=False).tolist(),
        kind=kind.astype(np.int8),
        paid=paid,
        pv=pv,
        cv=cv,
        amount=amount,
        currency=currency.dictionary.to_numpy(zero_copy_only=False).astype("<U3")[
            currency.indices.to_numpy(zero_copy_only=False)
        ],
    )


_ORDERS_AHEAD: dict[int, tuple[bytes, str, _OrderColumns | None]] = {}
""":func:`_order_columns` done ahead (:func:`read_orders_ahead`), by the identity of the bytes."""


def read_orders_ahead(path: str | Path, time_zone: str) -> None:
    """:func:`read_ahead` for ``orders.csv``, and on the same thread the checks of every
    column that does not need the network (ids, instants, volumes, currencies, kinds), so
    that they run while the caller reads the network; :func:`read_orders` of the same bytes
    and time zone (with no ``base``) then only looks up the members and checks returns."""

    def more(data: bytes, table: pa.Table | None) -> None:
        if table is None:
            return
        try:
            columns = _order_columns(data, time_zone, Orders())
        except Exception:  # left to read_orders, which fails the same way
            return
        with _LOCK:
            _ORDERS_AHEAD[id(data)] = (data, time_zone, columns)

    read_ahead(path, csv_io.ORDER_COLUMNS, then=more)


_NOT_AHEAD = object()


def _orders_done_ahead(data: bytes, time_zone: str, base: Orders) -> object:
    with _LOCK:
        ahead = _ORDERS_AHEAD.pop(id(data), None)
    if ahead is None or ahead[0] is not data or ahead[1] != time_zone or len(base):
        return _NOT_AHEAD
    return ahead[2]


def read_orders(data: bytes, *, network: Network, time_zone: str, base: Orders) -> Orders | None:
    """``orders.csv`` checked column by column; ``None`` unless every rule holds."""
    columns = _orders_done_ahead(data, time_zone, base)
    if columns is _NOT_AHEAD:
        columns = _order_columns(data, time_zone, base)
    if not isinstance(columns, _OrderColumns):
        return None
    table, ids = columns.table, columns.ids
    n, offset = len(ids), len(base)
    network_ids, dense = network_id_array(network)
    member = _find(_column(table, "distributor_id"), network_ids, dense)
    if _any(member < 0):
        return None
    new = Orders(
        ids=columns.id_list,
        member=member,
        paid_at=columns.paid,
        pv=columns.pv,
        cv=columns.cv,
        amount=columns.amount,
        currency=columns.currency,
        kind=columns.kind,
        returns=np.full(n, -1, dtype=np.int64),
    )
    tz = ZoneInfo(time_zone)
    lines = range(2, n + 2)  # line numbers, read only for messages
    if not _no_errors(csv_io._check_paid_after_joining, new, lines, network, tz):
        return None
    if not _returns_hold(new, ids, _column(table, "returns_order_id"), base, offset):
        return None
    orders = new if not offset and _same_types(base, new) else Orders.concat(base, new)
    if not offset:
        remember_text(orders.ids, ids)
    return orders


def _same_types(empty: Orders, new: Orders) -> bool:
    """Whether ``Orders.concat(empty, new)`` would hold ``new``'s arrays as they are."""
    return all(
        getattr(empty, name).dtype == getattr(new, name).dtype
        for name in ("member", "paid_at", "pv", "cv", "amount", "currency", "kind", "returns")
    )


def _instants(text: pa.Array, tz: ZoneInfo) -> np.ndarray | None:
    """UTC ``datetime64[us]`` of each canonical ISO 8601 instant; ``None`` if one is not."""
    utc = _utc_seconds(text)
    if not utc and not _matches(text, _CANONICAL_INSTANT):
        return None
    if utc:
        offset = np.ones(len(text), dtype=bool)
    else:
        offset = pc.match_substring_regex(text, _OFFSET).to_numpy(zero_copy_only=False)
    if not offset.all() and tz.key != "UTC":
        try:  # the shape is checked: the cast checks the day exists
            pc.cast(pc.utf8_slice_codeunits(text, 0, 10), pa.date32())
        except pa.ArrowInvalid:
            return None
        rows = np.flatnonzero(~offset)
        naive = pc.take(text, pa.array(rows))
        encoded = pc.dictionary_encode(naive)
        local = [
            csv_io.epoch_us(datetime.fromisoformat(value).replace(tzinfo=tz))
            for value in encoded.dictionary.to_pylist()
        ]
        micros = np.zeros(len(text), dtype=np.int64)
        micros[rows] = np.asarray(local, dtype=np.int64)[encoded.indices.to_numpy()]
        if offset.any():
            with_offset = np.flatnonzero(offset)
            parsed = pc.cast(pc.take(text, pa.array(with_offset)), pa.timestamp("us", "UTC"))
            micros[with_offset] = parsed.cast(pa.int64()).to_numpy()
        return csv_io.EPOCH_US + micros.astype("timedelta64[us]")
    if offset.all():
        suffixed = text
    else:
        suffixed = pc.if_else(pa.array(offset), text, pc.binary_join_element_wise(text, "Z", ""))
    try:  # a day that does not exist (2026-02-30) is refused here
        parsed = pc.cast(suffixed, pa.timestamp("us", "UTC"))
    except pa.ArrowInvalid:
        return None
    micros = parsed.cast(pa.int64()).to_numpy(zero_copy_only=False)
    return csv_io.EPOCH_US + micros.astype("timedelta64[us]")


_UTC_SECONDS = "YYYY-MM-DDTHH:MM:SSZ"


def _utc_seconds(text: pa.Array) -> bool:
    """True when every instant is ``YYYY-MM-DDTHH:MM:SSZ`` as :data:`_CANONICAL_INSTANT`
    reads it (year 1900-2999, hours 00-23, minutes and seconds 00-59), the way instants are
    written, checked on the bytes (else the regular expression decides)."""
    data, offsets = text_bytes(text)
    n, width = len(text), len(_UTC_SECONDS)
    if n == 0 or offsets[-1] - offsets[0] != n * width or np.any(np.diff(offsets) != width):
        return False
    cells = data[offsets[0] : offsets[-1]].reshape(n, width)

    def digit(column: int, high: int = 9) -> np.ndarray:
        return (cells[:, column] >= 48) & (cells[:, column] <= 48 + high)

    def byte(column: int, character: str) -> np.ndarray:
        return cells[:, column] == ord(character)

    ok = (byte(0, "1") & byte(1, "9")) | (byte(0, "2") & digit(1))
    for column in (2, 3, 5, 6, 8, 9, 15, 18):
        ok &= digit(column)
    for column, character in ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "Z")):
        ok &= byte(column, character)
    ok &= (digit(11, 1) & digit(12)) | (byte(11, "2") & digit(12, 3))
    ok &= digit(14, 5) & digit(17, 5)
    return bool(ok.all())


def _volumes(
    table: pa.Table, currency: pa.DictionaryArray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """PV, CV and amount in hundredths; ``None`` if one is not canonical or over its limit."""
    out = []
    for name in ("pv", "cv"):
        values, ok = parse_decimal_column(_column(table, name), csv_io.VOLUME_PLACES)
        if not ok.all() or _any(values > csv_io.MAX_VOLUME):
            return None
        out.append(values)
    amount_text = _column(table, "amount")
    amount = np.zeros(len(amount_text), dtype=np.int64)
    codes = currency.indices.to_numpy(zero_copy_only=False)
    names = currency.dictionary.to_pylist()
    for code, name in enumerate(names):
        places = min(csv_io.VOLUME_PLACES, minor_units(name))
        if len(names) == 1:
            rows, text = np.arange(len(codes)), amount_text
        else:
            rows = np.flatnonzero(codes == code)
            text = pc.take(amount_text, pa.array(rows))
        values, ok = parse_decimal_column(text, places)
        values = values * 10 ** (csv_io.VOLUME_PLACES - places)
        if not ok.all() or _any(values > csv_io.MAX_AMOUNT):
            return None
        amount[rows] = values
    return out[0], out[1], amount


def _rows_of(wanted: pa.Array, ids: pa.Array) -> np.ndarray:
    """The row of each of a few ``wanted`` values in ``ids`` (distinct), ``-1`` if absent:
    ``pc.index_in(wanted, value_set=ids)``, with the hash table built over the few wanted
    values instead of over every id."""
    distinct = pc.unique(wanted)
    where = _positions(pc.index_in(ids, value_set=distinct))
    hits = np.flatnonzero(where >= 0)
    row_of = np.full(len(distinct), -1, dtype=np.int64)
    row_of[where[hits]] = hits
    return row_of[_positions(pc.index_in(wanted, value_set=distinct))]


def _after(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``first`` followed by ``second`` (``second`` itself when ``first`` is empty and of the
    same type: only read)."""
    if not len(first) and first.dtype == second.dtype:
        return second
    return np.concatenate((first, second))


def _returns_hold(new: Orders, ids: pa.Array, text: pa.Array, base: Orders, offset: int) -> bool:
    """Resolve ``returns_order_id`` into ``new.returns``; False when a return breaks a rule."""
    given = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    if not given.any():
        return True
    rows = np.flatnonzero(given)
    all_ids = pa.concat_arrays([pa.array(base.ids, pa.string()), ids]) if offset else ids
    original = _rows_of(pc.take(text, pa.array(rows)), all_ids)
    me = offset + rows
    is_return = _after(base.returns >= 0, given)
    if _any((original < 0) | (original == me)) or _any(is_return[original]):
        return False
    member = _after(base.member, new.member)
    currency = _after(base.currency, new.currency)
    paid = _after(base.paid_at, new.paid_at)
    if _any(member[original] != new.member[rows]) or _any(currency[original] != currency[me]):
        return False
    if _any(paid[me] < paid[original]):
        return False
    new.returns[rows] = original
    returns = _after(base.returns, new.returns)
    taken = np.flatnonzero(returns >= 0)
    touched = np.zeros(len(returns), dtype=bool)
    touched[original] = True
    for name in ("pv", "cv", "amount"):
        values = _after(getattr(base, name), getattr(new, name))
        back = np.zeros(len(values), dtype=np.int64)
        np.add.at(back, returns[taken], values[taken])
        if _any(touched & (back > values)):
            return False
    return True
