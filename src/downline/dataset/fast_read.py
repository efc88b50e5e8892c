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

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from downline.core.ids import ID_PATTERN
from downline.money import minor_units

from . import csv_io
from .columnar import parse_decimal_column
from .tables import MEMBER_KINDS, ORDER_KINDS, STATUSES, Network, Orders, PlacementShape

_BOM = b"\xef\xbb\xbf"
_YEAR = "(?:19|2[0-9])[0-9]{2}"
_DATE = rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}$"
_INSTANT = rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?:\.[0-9]{{1,6}})?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
_TIME_FIELDS = r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_ID = rf"^{ID_PATTERN}$"


def read_table(data: bytes, columns: tuple[str, ...]) -> pa.Table | None:
    """The file as string columns named ``columns`` (in that order), or ``None`` when it is not
    plainly readable: not UTF-8, a NUL byte or carriage return, a row of the wrong width, a
    header that differs from the columns (other than their order), an oversized field."""
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


def _unique_new_ids(ids: pa.Array, base_ids: list[str]) -> bool:
    if not _matches(ids, _ID) or len(pc.unique(ids)) != len(ids):
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


# --------------------------------------------------------------------------------------------
# distributors.csv


def read_network(data: bytes, *, shape: PlacementShape, base: Network) -> Network | None:
    """``distributors.csv`` checked column by column; ``None`` unless every rule holds."""
    table = read_table(data, csv_io.DISTRIBUTOR_COLUMNS)
    if table is None:
        return None
    ids = _column(table, "id")
    n, offset = len(ids), len(base)
    if not _unique_new_ids(ids, base.ids):
        return None
    joined = _dates(_column(table, "joined_on"))
    status = _positions(pc.index_in(_column(table, "status"), value_set=pa.array(STATUSES)))
    kind = _positions(pc.index_in(_column(table, "kind"), value_set=pa.array(MEMBER_KINDS)))
    if joined is None or _any(status < 0) or _any(kind < 0):
        return None
    customer = kind == 1
    sponsor_text = _column(table, "sponsor_id")
    placement_text = _column(table, "placement_id")
    position = _placement_positions(_column(table, "placement_position"), customer, shape)
    if position is None:
        return None
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
    if _any(has_placement[roots] | (position[roots] != 0)):
        return None
    sponsor = _positions(pc.index_in(sponsor_text, value_set=all_ids))
    linked = has_sponsor
    if _any(linked & ((sponsor < 0) | (sponsor == rows))):
        return None
    if _any(linked & is_customer[np.maximum(sponsor, 0)]):
        return None
    placed = linked & ~customer
    placement = np.where(
        has_placement, _positions(pc.index_in(placement_text, value_set=all_ids)), sponsor
    )
    if _any(placed & ((placement < 0) | (placement == rows))):
        return None
    if _any(placed & is_customer[np.maximum(placement, 0)]):
        return None
    if shape.kind != "unilevel" and _any(placed & (position == 0)):
        return None
    new = Network(
        ids=ids.to_numpy(zero_copy_only=False).tolist(),
        sponsor=np.where(linked, sponsor, -1).astype(np.int64),
        placement=np.where(placed, placement, -1).astype(np.int64),
        position=position.astype(np.int16),
        joined_on=joined,
        status=status.astype(np.int8),
        is_customer=customer,
    )
    if not _trees_hold(base, new, shape):
        return None
    return Network.concat(base, new)


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


def _trees_hold(base: Network, new: Network, shape: PlacementShape) -> bool:
    """The slot, cycle and placement-under-sponsor checks of csv_io on the combined network."""
    offset = len(base)
    lines = list(range(2, len(new) + 2))
    ids = base.ids + new.ids
    sponsor = np.concatenate((base.sponsor, new.sponsor))
    placement = np.concatenate((base.placement, new.placement))
    position = np.concatenate((base.position, new.position))
    is_customer = np.concatenate((base.is_customer, new.is_customer))
    errors = csv_io._Collector("")
    csv_io._check_slots(placement, position, offset, lines, ids, shape, errors)
    if errors.total:
        return False
    if not csv_io._check_cycles(sponsor, "sponsor_id", "", offset, lines, ids, errors):
        return False
    if not csv_io._check_cycles(placement, "placement_id", "", offset, lines, ids, errors):
        return False
    csv_io._check_placement_under_sponsor(
        sponsor, placement, is_customer, offset, lines, ids, errors
    )
    return errors.total == 0


# --------------------------------------------------------------------------------------------
# orders.csv


def read_orders(data: bytes, *, network: Network, time_zone: str, base: Orders) -> Orders | None:
    """``orders.csv`` checked column by column; ``None`` unless every rule holds."""
    table = read_table(data, csv_io.ORDER_COLUMNS)
    if table is None:
        return None
    ids = _column(table, "id")
    n, offset = len(ids), len(base)
    if not _unique_new_ids(ids, base.ids):
        return None
    network_ids = pa.array(network.ids, pa.string())
    member = _positions(pc.index_in(_column(table, "distributor_id"), value_set=network_ids))
    kind = _positions(pc.index_in(_column(table, "kind"), value_set=pa.array(ORDER_KINDS)))
    if _any(member < 0) or _any(kind < 0):
        return None
    paid = _instants(_column(table, "paid_at"), ZoneInfo(time_zone))
    currency = _column(table, "currency")
    if paid is None or not _matches(currency, r"^[A-Z]{3}$"):
        return None
    volumes = _volumes(table, currency)
    if volumes is None:
        return None
    pv, cv, amount = volumes
    new = Orders(
        ids=ids.to_numpy(zero_copy_only=False).tolist(),
        member=member,
        paid_at=paid,
        pv=pv,
        cv=cv,
        amount=amount,
        currency=currency.to_numpy(zero_copy_only=False).astype("<U3"),
        kind=kind.astype(np.int8),
        returns=np.full(n, -1, dtype=np.int64),
    )
    tz = ZoneInfo(time_zone)
    if not _no_errors(csv_io._check_paid_after_joining, new, list(range(2, n + 2)), network, tz):
        return None
    if not _returns_hold(new, ids, _column(table, "returns_order_id"), base, offset):
        return None
    return Orders.concat(base, new)


def _instants(text: pa.Array, tz: ZoneInfo) -> np.ndarray | None:
    """UTC ``datetime64[us]`` of each canonical ISO 8601 instant; ``None`` if one is not."""
    if not _matches(text, _INSTANT + r"(?:" + _OFFSET[:-1] + r")?$"):
        return None
    if (
        not _matches(text, r"^.{10}" + _TIME_FIELDS)
        or _dates(pc.utf8_slice_codeunits(text, 0, 10)) is None
    ):
        return None
    offset = pc.match_substring_regex(text, _OFFSET).to_numpy(zero_copy_only=False)
    if not offset.all() and tz.key != "UTC":
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
    suffixed = pc.if_else(pa.array(offset), text, pc.binary_join_element_wise(text, "Z", ""))
    try:
        parsed = pc.cast(suffixed, pa.timestamp("us", "UTC"))
    except pa.ArrowInvalid:
        return None
    micros = parsed.cast(pa.int64()).to_numpy(zero_copy_only=False)
    return csv_io.EPOCH_US + micros.astype("timedelta64[us]")


def _volumes(
    table: pa.Table, currency: pa.Array
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
    encoded = pc.dictionary_encode(currency)
    codes = encoded.indices.to_numpy()
    for code, name in enumerate(encoded.dictionary.to_pylist()):
        places = min(csv_io.VOLUME_PLACES, minor_units(name))
        rows = np.flatnonzero(codes == code)
        values, ok = parse_decimal_column(pc.take(amount_text, pa.array(rows)), places)
        values = values * 10 ** (csv_io.VOLUME_PLACES - places)
        if not ok.all() or _any(values > csv_io.MAX_AMOUNT):
            return None
        amount[rows] = values
    return out[0], out[1], amount


def _returns_hold(new: Orders, ids: pa.Array, text: pa.Array, base: Orders, offset: int) -> bool:
    """Resolve ``returns_order_id`` into ``new.returns``; False when a return breaks a rule."""
    given = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    if not given.any():
        return True
    rows = np.flatnonzero(given)
    all_ids = pa.concat_arrays([pa.array(base.ids, pa.string()), ids]) if offset else ids
    original = _positions(pc.index_in(pc.take(text, pa.array(rows)), value_set=all_ids))
    me = offset + rows
    is_return = np.concatenate((base.returns >= 0, given))
    if _any((original < 0) | (original == me)) or _any(is_return[original]):
        return False
    member = np.concatenate((base.member, new.member))
    currency = np.concatenate((base.currency, new.currency))
    paid = np.concatenate((base.paid_at, new.paid_at))
    if _any(member[original] != new.member[rows]) or _any(currency[original] != currency[me]):
        return False
    if _any(paid[me] < paid[original]):
        return False
    new.returns[rows] = original
    returns = np.concatenate((base.returns, new.returns))
    taken = np.flatnonzero(returns >= 0)
    touched = np.zeros(len(returns), dtype=bool)
    touched[original] = True
    for name in ("pv", "cv", "amount"):
        values = np.concatenate((getattr(base, name), getattr(new, name)))
        back = np.zeros(len(values), dtype=np.int64)
        np.add.at(back, returns[taken], values[taken])
        if _any(touched & (back > values)):
            return False
    return True
