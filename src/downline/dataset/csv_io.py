"""Reading, validating and writing ``distributors.csv`` and ``orders.csv``.

Reading never returns half a file: every row is checked, every problem is collected as a
:class:`RowError` naming the file, line and column and saying why, and if there is any problem
:class:`DatasetError` is raised with all of them. Rows may reference rows later in the same file
and, through ``base``, members and orders that already exist (an import into a live database).

Writing produces the canonical form, which reads back to the same tables: decimals with exactly
two places, instants in UTC as ``2026-10-05T12:00:00Z``, dates as ``YYYY-MM-DD``; ids go through
``escape_formula`` (a spreadsheet never runs a cell as a formula) and reading undoes it.

Hostile files end in problems, never in a traceback: bytes that are not UTF-8 (a UTF-16 or
Latin-1 file) are reported at their line and character column; a field longer than the csv
module's limit (128 KiB), a NUL byte, ids outside the alphabet of :mod:`downline.core.ids`, and
numbers beyond :data:`MAX_AMOUNT` / :data:`MAX_VOLUME` are reported at their line and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import numpy as np

from downline.core.csv_safety import escape_formula, unescape_formula
from downline.core.ids import MAX_ID_LENGTH, is_valid_id
from downline.engine.tree import CycleError, Tree, depth_of, find_cycle
from downline.i18n import gettext as _
from downline.money import (
    MAX_MONEY_MAJOR_UNITS,
    MAX_VOLUME,
    format_decimal,
    is_currency_code,
    minor_units,
    parse_decimal,
)

from .tables import MEMBER_KINDS, ORDER_KINDS, STATUSES, Network, Orders, PlacementShape

DISTRIBUTOR_COLUMNS = (
    "id",
    "sponsor_id",
    "placement_id",
    "placement_position",
    "joined_on",
    "status",
    "kind",
)
ORDER_COLUMNS = (
    "id",
    "distributor_id",
    "paid_at",
    "pv",
    "cv",
    "amount",
    "currency",
    "kind",
    "returns_order_id",
)
MAX_REPORTED_ERRORS = 200
MAX_AMOUNT = MAX_MONEY_MAJOR_UNITS * 100  # amounts are read in hundredths
"""The largest ``amount`` of one row, in hundredths of the currency: 10,000,000,000.00 (the
platform's limit of one operation, ``downline.money.MAX_MONEY_MAJOR_UNITS``)."""
SHOWN_VALUE_LENGTH = 40
"""How much of a bad value a problem quotes; longer values are cut with an ellipsis."""
VOLUME_PLACES = 2
EPOCH_US = np.datetime64("1970-01-01T00:00:00", "us")


@dataclass(frozen=True)
class RowError:
    """One problem in one cell (or row, when ``column`` is empty) of a CSV file."""

    file: str
    line: int
    column: str
    message: str
    character: int | None = None
    """The character position in the line (1 = first), for problems below the CSV level (bytes
    that are not UTF-8); then the problem reads ``file:line:character: why``."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        if self.character is not None:
            where += f":{self.character}"
        if self.column:
            where += f": {self.column}"
        return f"{where}: {self.message}"


class DatasetError(ValueError):
    """A file with one or more problems; nothing from it should be used."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        self.errors = errors
        self.total = len(errors) if total is None else total
        super().__init__(self.summary())

    def summary(self) -> str:
        lines = [str(error) for error in self.errors]
        if self.total > len(self.errors):
            lines.append(
                _("… and %(count)d more problems") % {"count": self.total - len(self.errors)}
            )
        return "\n".join(lines)


class _Collector:
    """Collects errors for one file, keeping the first ``MAX_REPORTED_ERRORS``."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[RowError] = []
        self.total = 0
        self.bad_lines: set[int] = set()

    def add(self, line: int, column: str, message: str, *, character: int | None = None) -> None:
        self.total += 1
        self.bad_lines.add(line)
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(self.file, line, column, message, character))

    def raise_if_any(self) -> None:
        if self.total:
            self.errors.sort(key=lambda error: error.line)
            raise DatasetError(self.errors, self.total)


def _open_text(source: str | Path | IO[str]) -> tuple[IO[str], str, bool]:
    if isinstance(source, str | Path):
        path = Path(source)
        return path.open(newline="", encoding="utf-8-sig"), path.name, True
    return source, getattr(source, "name", "<input>"), False


def _columnar_bytes(source: str | Path | IO[str]) -> bytes | None:
    """The bytes of ``source`` for the columnar reader: a file's contents, or the text of an
    unread ``StringIO``; ``None`` for anything else (then the file is read row by row)."""
    if isinstance(source, str | Path):
        from . import fast_read

        ahead = fast_read.take_ahead(source)
        if ahead is not None:
            return ahead
        try:
            return Path(source).read_bytes()
        except OSError:
            return None  # the row-by-row reader reports it
    if isinstance(source, io.StringIO) and source.tell() == 0:
        try:
            return source.getvalue().encode("utf-8")
        except UnicodeEncodeError:
            return None
    return None


def cut(value: str) -> str:
    """``value`` for a problem message, cut to :data:`SHOWN_VALUE_LENGTH` characters."""
    if len(value) > SHOWN_VALUE_LENGTH:
        return value[:SHOWN_VALUE_LENGTH] + "…"
    return value


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def _first_undecodable(handle: IO[str]) -> tuple[int, int, str]:
    """Where a file stops being UTF-8: (line, character column, what was found there).

    Reads the raw bytes again from the start, one physical line at a time; only called after
    decoding failed, so files that are fine pay nothing for it.
    """
    buffer = getattr(handle, "buffer", None)
    if buffer is None or not buffer.seekable():
        return 1, 1, _("bytes that are not UTF-8")
    buffer.seek(0)
    for number, raw in enumerate(buffer, start=1):
        if number == 1 and raw.startswith(_UTF16_MARKS):
            return 1, 1, _("it starts with a UTF-16 byte-order mark")
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            column = len(raw[: error.start].decode("utf-8", errors="replace")) + 1
            found = _("byte 0x%(byte)02X; the file may be Latin-1 or Windows-1252") % {
                "byte": raw[error.start]
            }
            return number, column, found
    return 1, 1, _("bytes that are not UTF-8")


def _rows(
    handle: IO[str], columns: tuple[str, ...], errors: _Collector
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, values in the order of columns)``; header problems stop the file.

    Values are stripped and un-escaped (``unescape_formula``: ``'=X`` reads as ``=X``). Bytes
    that are not UTF-8, a NUL byte or a field over the csv module's size limit stop the file
    with one problem naming the line: what follows cannot be read reliably.
    """
    reader = csv.reader(handle)
    try:
        yield from _read_rows(reader, columns, errors)
    except UnicodeDecodeError:
        line, character, found = _first_undecodable(handle)
        errors.add(
            line,
            "",
            _("not UTF-8 (%(found)s); save the file as UTF-8 and import it again")
            % {"found": found},
            character=character,
        )
    except csv.Error as error:
        errors.add(max(reader.line_num, 1), "", _csv_problem(error))


def _nul_problem() -> str:
    return _(
        "the line contains a NUL byte; is the file UTF-16? save it as UTF-8 and import it again"
    )


def _csv_problem(error: csv.Error) -> str:
    """The csv module's complaint in the words of the format."""
    text = str(error)
    if "field larger than field limit" in text:
        return _(
            "a field is longer than %(limit)d characters; no value of the format is that long"
        ) % {"limit": csv.field_size_limit()}
    if "NUL" in text:
        return _nul_problem()
    return _("the line is not valid CSV (%(reason)s)") % {"reason": text}


def _read_rows(
    reader: Any, columns: tuple[str, ...], errors: _Collector
) -> Iterator[tuple[int, list[str]]]:
    header = next(reader, None)
    if header is None:
        errors.add(1, "", _("the file is empty; the first line must name the columns"))
        return
    header = [name.strip().lstrip("\ufeff") for name in header]
    if any("\x00" in name for name in header):
        errors.add(1, "", _nul_problem())
        return
    missing = [name for name in columns if name not in header]
    unknown = [name for name in header if name not in columns]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    for name in missing:
        errors.add(1, name, _("the column is missing"))
    for name in unknown:
        errors.add(
            1, name, _("unknown column; expected %(columns)s") % {"columns": ",".join(columns)}
        )
    for name in duplicated:
        errors.add(1, name, _("the column appears more than once"))
    if missing or unknown or duplicated:
        return
    width = len(header)
    positions = [header.index(name) for name in columns]
    in_order = positions == list(range(width))
    for record in reader:
        line = reader.line_num
        if len(record) != width:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            errors.add(
                line,
                "",
                _("the row has %(found)d values, the header has %(expected)d")
                % {"found": len(record), "expected": width},
            )
            continue
        values = record if in_order else [record[i] for i in positions]
        stripped = [value.strip() for value in values]
        if "'" in "".join(stripped):  # rare: only then look for an escaped formula
            stripped = [unescape_formula(value) for value in stripped]
        yield line, stripped


def _check_id(value: str, line: int, column: str, errors: _Collector) -> bool:
    if not value:
        errors.add(line, column, _("the id is empty"))
        return False
    if not is_valid_id(value):
        errors.add(
            line,
            column,
            _(
                "%(value)r is not a valid id: 1 to %(max)d characters, letters A-Z or a-z, "
                "digits, '.', '_' or '-', starting with a letter or a digit"
            )
            % {"value": cut(value), "max": MAX_ID_LENGTH},
        )
        return False
    return True


# --------------------------------------------------------------------------------------------
# distributors.csv


def read_network(
    source: str | Path | IO[str],
    *,
    shape: PlacementShape,
    base: Network | None = None,
    columnar: bool = True,
) -> Network:
    """Read and validate ``distributors.csv``; the result is ``base`` followed by the new rows.

    Checks, each reported with file, line and column: the header; ids (present, valid, unique,
    not already in ``base``); dates; statuses and kinds; that sponsors and placement parents
    exist and are distributors; exactly one root (a distributor without sponsor), with no
    placement; retail customers have a sponsor and no placement; positions fit the placement
    shape (``L``/``R``, a slot ``1..width``, or empty) and no slot holds two members; no cycle in
    either tree; and each placement lies inside the sponsor's own placement subtree.

    A file is first read column by column (:mod:`downline.dataset.fast_read`); only a file
    with a problem, or spelled other than canonically, is read again row by row, which names
    every problem (``columnar=False`` reads row by row only).
    """
    base = base or Network()
    data = _columnar_bytes(source) if columnar else None
    if data is not None:
        from . import fast_read

        network = fast_read.read_network(data, shape=shape, base=base)
        if network is not None:
            return network
    handle, file_name, owned = _open_text(source)
    errors = _Collector(file_name)
    try:
        parsed = _parse_distributor_rows(handle, errors, shape, base)
    finally:
        if owned:
            handle.close()
    lines, new, sponsor_ids, placement_ids = parsed
    _resolve_and_check_network(new, lines, sponsor_ids, placement_ids, base, shape, errors)
    errors.raise_if_any()
    return Network.concat(base, new)


def _parse_distributor_rows(
    handle: IO[str], errors: _Collector, shape: PlacementShape, base: Network
) -> tuple[list[int], Network, list[str], list[str]]:
    ids: list[str] = []
    lines: list[int] = []
    sponsor_ids: list[str] = []
    placement_ids: list[str] = []
    positions: list[int] = []
    joined: list[date] = []
    statuses: list[int] = []
    customers: list[bool] = []
    first_line: dict[str, int] = {}
    base_index = base.index
    for line, values in _rows(handle, DISTRIBUTOR_COLUMNS, errors):
        row = dict(zip(DISTRIBUTOR_COLUMNS, values, strict=True))
        member_id = row["id"]
        if _check_id(member_id, line, "id", errors):
            if member_id in first_line:
                errors.add(
                    line,
                    "id",
                    _("duplicate id %(id)s (first on line %(line)d)")
                    % {"id": member_id, "line": first_line[member_id]},
                )
            elif member_id in base_index:
                errors.add(line, "id", _("member %(id)s already exists") % {"id": member_id})
            else:
                first_line[member_id] = line
        try:
            joined_on = date.fromisoformat(row["joined_on"])
            if len(row["joined_on"]) != 10:
                raise ValueError
        except ValueError:
            errors.add(
                line,
                "joined_on",
                _("%(value)r is not a date written YYYY-MM-DD") % {"value": row["joined_on"]},
            )
            joined_on = date(1970, 1, 1)
        status = row["status"]
        if status not in STATUSES:
            errors.add(
                line,
                "status",
                _("%(value)r is not one of %(choices)s")
                % {"value": cut(status), "choices": "|".join(STATUSES)},
            )
        kind = row["kind"]
        if kind not in MEMBER_KINDS:
            errors.add(
                line,
                "kind",
                _("%(value)r is not one of %(choices)s")
                % {"value": cut(kind), "choices": "|".join(MEMBER_KINDS)},
            )
        is_customer = kind == "customer"
        position = 0
        text = row["placement_position"]
        if text:
            if is_customer:
                errors.add(
                    line,
                    "placement_position",
                    _("a retail customer has no placement; leave it empty"),
                )
            else:
                try:
                    position = shape.parse_position(text)
                except ValueError:
                    errors.add(line, "placement_position", _position_hint(shape, text))
        if is_customer and row["placement_id"]:
            errors.add(
                line, "placement_id", _("a retail customer has no placement; leave it empty")
            )
        ids.append(member_id)
        lines.append(line)
        sponsor_ids.append(row["sponsor_id"])
        placement_ids.append(row["placement_id"])
        positions.append(position)
        joined.append(joined_on)
        statuses.append(STATUSES.index(status) if status in STATUSES else 0)
        customers.append(is_customer)
    new = Network(
        ids=ids,
        sponsor=np.full(len(ids), -1, dtype=np.int64),
        placement=np.full(len(ids), -1, dtype=np.int64),
        position=np.array(positions, dtype=np.int16),
        joined_on=np.array(joined, dtype="datetime64[D]"),
        status=np.array(statuses, dtype=np.int8),
        is_customer=np.array(customers, dtype=bool),
    )
    return lines, new, sponsor_ids, placement_ids


def _position_hint(shape: PlacementShape, text: str) -> str:
    if shape.kind == "binary":
        return _("%(value)r is not a binary position; write L or R") % {"value": cut(text)}
    if shape.kind == "matrix":
        return _("%(value)r is not a matrix slot; write a number from 1 to %(width)d") % {
            "value": cut(text),
            "width": shape.width,
        }
    return _("the placement tree has no positions; leave it empty (got %(value)r)") % {
        "value": cut(text)
    }


def _resolve_and_check_network(
    new: Network,
    lines: list[int],
    sponsor_ids: list[str],
    placement_ids: list[str],
    base: Network,
    shape: PlacementShape,
    errors: _Collector,
) -> None:
    """Turn id references into row indices (of ``base`` + ``new``) and check the trees."""
    offset = len(base)
    index = dict(base.index)
    for row, member_id in enumerate(new.ids):
        index.setdefault(member_id, offset + row)
    is_customer = np.concatenate((base.is_customer, new.is_customer))
    all_ids = base.ids + new.ids

    def line_of(row: int) -> str:
        return str(lines[row - offset]) if row >= offset else _("(existing)")

    base_roots = [int(r) for r in np.flatnonzero((base.sponsor < 0) & ~base.is_customer)]
    root_row: int | None = base_roots[0] if base_roots else None
    for row, (sponsor_text, placement_text) in enumerate(
        zip(sponsor_ids, placement_ids, strict=True)
    ):
        line = lines[row]
        me = offset + row
        customer = bool(new.is_customer[row])
        if not sponsor_text:
            if customer:
                errors.add(
                    line,
                    "sponsor_id",
                    _("a retail customer needs the distributor who enrolled them"),
                )
            elif root_row is not None and root_row != me:
                errors.add(
                    line,
                    "sponsor_id",
                    _(
                        "only one member can be the root (no sponsor); %(root)s on line %(line)s already is"
                    )
                    % {"root": all_ids[root_row], "line": line_of(root_row)},
                )
            else:
                root_row = me
                if placement_text or new.position[row]:
                    errors.add(
                        line,
                        "placement_id",
                        _(
                            "the root has no placement; leave placement_id and placement_position empty"
                        ),
                    )
            continue
        sponsor = index.get(sponsor_text)
        if sponsor is None:
            errors.add(line, "sponsor_id", _("unknown sponsor %(id)s") % {"id": sponsor_text})
        elif sponsor == me:
            errors.add(line, "sponsor_id", _("a member cannot sponsor themselves"))
        elif is_customer[sponsor]:
            errors.add(
                line,
                "sponsor_id",
                _("sponsor %(id)s is a retail customer; only distributors can enroll")
                % {"id": sponsor_text},
            )
        else:
            new.sponsor[row] = sponsor
        if customer:
            continue
        parent_text = placement_text or sponsor_text
        parent = index.get(parent_text)
        if parent is None:
            if placement_text:
                errors.add(
                    line,
                    "placement_id",
                    _("unknown placement parent %(id)s") % {"id": cut(parent_text)},
                )
        elif parent == me:
            errors.add(line, "placement_id", _("a member cannot be placed under themselves"))
        elif is_customer[parent]:
            errors.add(
                line,
                "placement_id",
                _("placement parent %(id)s is a retail customer") % {"id": parent_text},
            )
        else:
            new.placement[row] = parent
        if shape.kind != "unilevel" and not new.position[row]:
            errors.add(line, "placement_position", _position_hint(shape, ""))
    if root_row is None and (len(base) or len(new)):
        errors.add(
            1,
            "sponsor_id",
            _("there is no root: exactly one distributor must have an empty sponsor_id"),
        )

    sponsor = np.concatenate((base.sponsor, new.sponsor))
    placement = np.concatenate((base.placement, new.placement))
    position = np.concatenate((base.position, new.position))
    _check_slots(placement, position, offset, lines, all_ids, shape, errors)
    sponsor_ok = _check_cycles(sponsor, "sponsor_id", _("sponsor"), offset, lines, all_ids, errors)
    placement_ok = _check_cycles(
        placement, "placement_id", _("placement"), offset, lines, all_ids, errors
    )
    if sponsor_ok and placement_ok and errors.total == 0:
        _check_placement_under_sponsor(
            sponsor, placement, is_customer, offset, lines, all_ids, errors
        )


def _check_slots(
    placement: np.ndarray,
    position: np.ndarray,
    offset: int,
    lines: list[int],
    ids: list[str],
    shape: PlacementShape,
    errors: _Collector,
) -> None:
    """No two members in the same (parent, position) slot."""
    if shape.kind == "unilevel":
        return
    rows = np.flatnonzero((placement >= 0) & (position > 0))
    order = rows[np.lexsort((rows, position[rows], placement[rows]))]
    same = (placement[order][1:] == placement[order][:-1]) & (
        position[order][1:] == position[order][:-1]
    )
    for k in np.flatnonzero(same):
        first, second = int(order[k]), int(order[k + 1])
        row = second if second >= offset else first
        if row < offset:
            continue
        errors.add(
            lines[row - offset],
            "placement_position",
            _("slot %(slot)s under %(parent)s is already taken by %(other)s")
            % {
                "slot": shape.format_position(int(position[row])),
                "parent": ids[int(placement[row])],
                "other": ids[first if row == second else second],
            },
        )


def _check_cycles(
    parent: np.ndarray,
    column: str,
    tree_name: str,
    offset: int,
    lines: list[int],
    ids: list[str],
    errors: _Collector,
) -> bool:
    try:
        depth_of(parent)
    except CycleError as error:
        reported: set[int] = set()
        for node in error.nodes:
            cycle = find_cycle(parent, int(node))
            if not cycle or reported.intersection(cycle):
                continue
            reported.update(cycle)
            row = max(cycle)
            loop = " → ".join(ids[member] for member in [*cycle, cycle[0]])
            errors.add(
                lines[row - offset] if row >= offset else 1,
                column,
                _("the %(tree)s tree has a cycle: %(loop)s") % {"tree": tree_name, "loop": loop},
            )
        return False
    return True


def _check_placement_under_sponsor(
    sponsor: np.ndarray,
    placement: np.ndarray,
    is_customer: np.ndarray,
    offset: int,
    lines: list[int],
    ids: list[str],
    errors: _Collector,
) -> None:
    """A placement parent must be the sponsor or lie below the sponsor in the placement tree."""
    rows = np.arange(offset, len(sponsor))
    rows = rows[(~is_customer[rows]) & (sponsor[rows] >= 0) & (placement[rows] >= 0)]
    if not len(rows):
        return
    distributors = np.flatnonzero(~is_customer)
    compact = np.full(len(sponsor), -1, dtype=np.int64)
    compact[distributors] = np.arange(len(distributors))
    tree_parent = np.where(
        placement[distributors] >= 0, compact[np.maximum(placement[distributors], 0)], -1
    )
    tree = Tree.build(tree_parent)
    inside = tree.contains(compact[sponsor[rows]], compact[placement[rows]])
    for row in rows[~inside]:
        errors.add(
            lines[row - offset],
            "placement_id",
            _("%(parent)s is outside the placement subtree of sponsor %(sponsor)s")
            % {"parent": ids[int(placement[row])], "sponsor": ids[int(sponsor[row])]},
        )


def write_network(network: Network, target: str | Path | IO[str], *, shape: PlacementShape) -> None:
    """Write ``distributors.csv`` in canonical form, rows in table order.

    ``placement_id`` is left empty when it equals the sponsor (the format's default). Ids go
    through ``escape_formula`` (ids of the documented alphabet never change).
    """
    handle, _name, owned = _open_for_writing(target)
    try:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(DISTRIBUTOR_COLUMNS)
        ids = _escaped_ids(network.ids)
        sponsors = network.sponsor.tolist()
        placements = network.placement.tolist()
        customers = network.is_customer.tolist()
        writer.writerows(
            zip(
                ids,
                [ids[sponsor] if sponsor >= 0 else "" for sponsor in sponsors],
                [
                    "" if customer or placement < 0 or placement == sponsor else ids[placement]
                    for placement, sponsor, customer in zip(
                        placements, sponsors, customers, strict=True
                    )
                ],
                [
                    "" if customer else shape.format_position(position)
                    for position, customer in zip(network.position.tolist(), customers, strict=True)
                ],
                np.datetime_as_string(network.joined_on, unit="D").tolist(),
                [STATUSES[status] for status in network.status.tolist()],
                [MEMBER_KINDS[int(customer)] for customer in customers],
                strict=True,
            )
        )
    finally:
        if owned:
            handle.close()


def _escaped_ids(ids: list[str]) -> list[str]:
    """Ids as CSV cells: ``escape_formula`` of each (a copy only when one changes)."""
    escaped = [escape_formula(value) for value in ids]
    return escaped if escaped != ids else ids


def _open_for_writing(target: str | Path | IO[str]) -> tuple[IO[str], str, bool]:
    if isinstance(target, str | Path):
        path = Path(target)
        return path.open("w", newline="", encoding="utf-8"), path.name, True
    return target, getattr(target, "name", "<output>"), False


# --------------------------------------------------------------------------------------------
# orders.csv


def read_orders(
    source: str | Path | IO[str],
    *,
    network: Network,
    time_zone: str = "UTC",
    base: Orders | None = None,
    columnar: bool = True,
) -> Orders:
    """Read and validate ``orders.csv`` against ``network``; the result is ``base`` followed by
    the new rows.

    Checks: the header; ids (valid, unique, not already in ``base``); the member exists;
    ``paid_at`` is ISO 8601 (without an offset it is read in ``time_zone``) and not before the
    member joined; ``pv``, ``cv`` and ``amount`` are decimals with at most two places (and no
    more than the currency has), never negative; the currency is a three-letter code; the kind;
    and for a return: the original exists, is not itself a return, has the same member and
    currency, was paid no later than the return, and all its returns together take back no more
    PV, CV or amount than it had.

    A file is first read column by column (:mod:`downline.dataset.fast_read`); only a file
    with a problem, or spelled other than canonically, is read again row by row.
    """
    data = _columnar_bytes(source) if columnar else None
    if data is not None:
        from . import fast_read

        orders = fast_read.read_orders(
            data, network=network, time_zone=time_zone, base=base or Orders()
        )
        if orders is not None:
            return orders
    handle, file_name, owned = _open_text(source)
    errors = _Collector(file_name)
    base = base or Orders()
    tz = ZoneInfo(time_zone)
    try:
        new, lines, return_ids = _parse_order_rows(handle, errors, network, tz, base)
    finally:
        if owned:
            handle.close()
    _resolve_returns(new, lines, return_ids, base, network, tz, errors)
    errors.raise_if_any()
    return Orders.concat(base, new)


class _DecimalReader:
    """Parses decimal text to integer hundredths, remembering values already seen (order files
    repeat the same catalogue prices and volumes over and over)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int], int] = {}

    def __call__(self, text: str, places: int) -> int:
        key = (text, places)
        value = self.seen.get(key)
        if value is None:
            value = parse_decimal(text, places)
            if len(self.seen) < 100_000:
                self.seen[key] = value
        return value


def _currency_places(currency: str) -> int | None:
    """Decimal places allowed in ``amount`` for ``currency``; ``None`` for an invalid code."""
    if not is_currency_code(currency):
        return None
    return min(VOLUME_PLACES, minor_units(currency))


def _parse_order_rows(
    handle: IO[str], errors: _Collector, network: Network, tz: ZoneInfo, base: Orders
) -> tuple[Orders, list[int], list[str]]:
    ids: list[str] = []
    lines: list[int] = []
    members: list[int] = []
    paid: list[int] = []
    pvs: list[int] = []
    cvs: list[int] = []
    amounts: list[int] = []
    currencies: list[str] = []
    kinds: list[int] = []
    return_ids: list[str] = []
    first_line: dict[str, int] = {}
    member_index = network.index
    base_index = base.index
    decimal = _DecimalReader()
    places_of: dict[str, int | None] = {}
    kind_index = {kind: number for number, kind in enumerate(ORDER_KINDS)}
    for line, values in _rows(handle, ORDER_COLUMNS, errors):
        order_id, member_id, paid_text, pv_text, cv_text, amount_text, currency, kind, original = (
            values
        )
        if order_id in first_line or order_id in base_index or not is_valid_id(order_id):
            _report_bad_order_id(order_id, line, first_line, base_index, errors)
        else:
            first_line[order_id] = line
        member = member_index.get(member_id, -1)
        if member < 0:
            errors.add(
                line, "distributor_id", _("unknown member %(id)s") % {"id": cut(member_id) or "''"}
            )
        try:
            instant = datetime.fromisoformat(paid_text)
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=tz)
            paid.append(epoch_us(instant))
        except ValueError:
            errors.add(
                line,
                "paid_at",
                _("%(value)r is not an ISO 8601 date and time such as 2026-10-05T14:30:00+02:00")
                % {"value": cut(paid_text)},
            )
            paid.append(0)
        if currency not in places_of:
            places_of[currency] = _currency_places(currency)
        places = places_of[currency]
        if places is None:
            errors.add(
                line,
                "currency",
                _("%(value)r is not a three-letter currency code such as EUR")
                % {"value": cut(currency)},
            )
            places = VOLUME_PLACES
        for column, text, allowed, target in (
            ("pv", pv_text, VOLUME_PLACES, pvs),
            ("cv", cv_text, VOLUME_PLACES, cvs),
            ("amount", amount_text, places, amounts),
        ):
            try:
                value = decimal(text, allowed) * 10 ** (VOLUME_PLACES - allowed)
            except ValueError:
                errors.add(
                    line,
                    column,
                    _("%(value)r is not a decimal number with at most %(places)d decimal places")
                    % {"value": cut(text), "places": allowed},
                )
                value = 0
            if value < 0:
                errors.add(
                    line,
                    column,
                    _(
                        "negative %(column)s; a return is a row with returns_order_id and positive numbers"
                    )
                    % {"column": column},
                )
                value = 0
            limit = MAX_AMOUNT if column == "amount" else MAX_VOLUME
            if value > limit:
                errors.add(
                    line,
                    column,
                    _("%(value)s is more than %(limit)s, the largest %(column)s of one row")
                    % {
                        "value": cut(text),
                        "limit": format_decimal(limit, VOLUME_PLACES),
                        "column": column,
                    },
                )
                value = 0
            target.append(value)
        number = kind_index.get(kind)
        if number is None:
            errors.add(
                line,
                "kind",
                _("%(value)r is not one of %(choices)s")
                % {"value": cut(kind), "choices": "|".join(ORDER_KINDS)},
            )
            number = 0
        ids.append(order_id)
        lines.append(line)
        members.append(member)
        currencies.append(currency[:3])
        kinds.append(number)
        return_ids.append(original)
    new = Orders(
        ids=ids,
        member=np.array(members, dtype=np.int64),
        paid_at=EPOCH_US + np.array(paid, dtype="timedelta64[us]"),
        pv=np.array(pvs, dtype=np.int64),
        cv=np.array(cvs, dtype=np.int64),
        amount=np.array(amounts, dtype=np.int64),
        currency=np.array(currencies, dtype="<U3"),
        kind=np.array(kinds, dtype=np.int8),
        returns=np.full(len(ids), -1, dtype=np.int64),
    )
    _check_paid_after_joining(new, lines, network, tz, errors)
    return new, lines, return_ids


def _report_bad_order_id(
    order_id: str,
    line: int,
    first_line: dict[str, int],
    base_index: dict[str, int],
    errors: _Collector,
) -> None:
    if not _check_id(order_id, line, "id", errors):
        return
    if order_id in first_line:
        errors.add(
            line,
            "id",
            _("duplicate id %(id)s (first on line %(line)d)")
            % {"id": order_id, "line": first_line[order_id]},
        )
    else:
        errors.add(line, "id", _("order %(id)s already exists") % {"id": order_id})


def local_midnights_us(days: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """UTC epoch microseconds of local midnight, in ``tz``, of each ``datetime64[D]`` day."""
    if len(days) and not np.isnat(days).any():
        number = days.astype(np.int64)
        first, last = int(number.min()), int(number.max())
        if last - first < max(4096, len(days) // 8):  # few days: one per day of the span
            span = np.datetime64(first, "D") + np.arange(last - first + 1)
            starts = np.array(
                [
                    epoch_us(datetime.combine(day.item(), datetime.min.time(), tzinfo=tz))
                    for day in span
                ],
                dtype=np.int64,
            )
            return starts[number - first]
    unique, inverse = np.unique(days, return_inverse=True)
    starts = np.array(
        [epoch_us(datetime.combine(day.item(), datetime.min.time(), tzinfo=tz)) for day in unique],
        dtype=np.int64,
    )
    return starts[inverse] if len(days) else np.zeros(0, dtype=np.int64)


def _check_paid_after_joining(
    orders: Orders, lines: list[int], network: Network, tz: ZoneInfo, errors: _Collector
) -> None:
    """An order paid (in the company's time zone) before its member's join date is an error."""
    known = np.flatnonzero(orders.member >= 0)
    if not len(known):
        return
    joined = network.joined_on[orders.member[known]]
    paid_us = ((orders.paid_at[known] - EPOCH_US) // np.timedelta64(1, "us")).astype(np.int64)
    early = known[paid_us < local_midnights_us(joined, tz)]
    for row in early:
        if lines[row] in errors.bad_lines:
            continue
        member = int(orders.member[row])
        day = datetime.fromtimestamp(
            int((orders.paid_at[row] - EPOCH_US) // np.timedelta64(1, "s")), tz=tz
        ).date()
        errors.add(
            lines[row],
            "paid_at",
            _("paid on %(day)s, before %(member)s joined on %(joined)s")
            % {
                "day": day.isoformat(),
                "member": network.ids[member],
                "joined": str(network.joined_on[member]),
            },
        )


def epoch_us(instant: datetime) -> int:
    delta = instant.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _resolve_returns(
    new: Orders,
    lines: list[int],
    return_ids: list[str],
    base: Orders,
    network: Network,
    tz: ZoneInfo,
    errors: _Collector,
) -> None:
    offset = len(base)
    index = dict(base.index)
    for row, order_id in enumerate(new.ids):
        index.setdefault(order_id, offset + row)
    is_return = np.concatenate(
        (base.returns >= 0, np.array([bool(t) for t in return_ids], dtype=bool))
    )
    combined = Orders.concat(base, new)
    taken: dict[int, np.ndarray] = {}
    for row, original_text in enumerate(return_ids):
        if not original_text:
            continue
        line = lines[row]
        original = index.get(original_text)
        me = offset + row
        if original is None:
            errors.add(
                line, "returns_order_id", _("unknown order %(id)s") % {"id": cut(original_text)}
            )
            continue
        if original == me:
            errors.add(line, "returns_order_id", _("an order cannot return itself"))
            continue
        if is_return[original]:
            errors.add(
                line,
                "returns_order_id",
                _("%(id)s is itself a return; point at the original order") % {"id": original_text},
            )
            continue
        new.returns[row] = original
        if new.member[row] >= 0 and combined.member[original] != new.member[row]:
            errors.add(
                line,
                "distributor_id",
                _("the return is for %(member)s but order %(id)s belongs to %(owner)s")
                % {
                    "member": network.ids[int(new.member[row])],
                    "id": original_text,
                    "owner": network.ids[int(combined.member[original])],
                },
            )
        if combined.currency[original] != new.currency[row]:
            errors.add(
                line,
                "currency",
                _("order %(id)s was paid in %(currency)s; its return must be too")
                % {"id": original_text, "currency": combined.currency[original]},
            )
        if new.paid_at[row] < combined.paid_at[original]:
            errors.add(
                line,
                "paid_at",
                _("the return is dated before order %(id)s was paid") % {"id": original_text},
            )
        taken.setdefault(original, np.zeros(3, dtype=np.int64))
        taken[original] += (new.pv[row], new.cv[row], new.amount[row])
    if not taken:
        return
    previous = base.returns >= 0
    for original_row in np.unique(base.returns[previous]):
        if int(original_row) in taken:
            rows = np.flatnonzero(base.returns == original_row)
            taken[int(original_row)] += (
                base.pv[rows].sum(),
                base.cv[rows].sum(),
                base.amount[rows].sum(),
            )
    last_line: dict[int, int] = {}
    for row, original in enumerate(new.returns):
        if original >= 0:
            last_line[int(original)] = lines[row]
    for original, (pv, cv, amount) in taken.items():
        if original >= offset and lines[original - offset] in errors.bad_lines:
            continue  # the original row is already reported; its numbers are not to be trusted
        had = (combined.pv[original], combined.cv[original], combined.amount[original])
        for column, back, total in zip(("pv", "cv", "amount"), (pv, cv, amount), had, strict=True):
            if back > total:
                errors.add(
                    last_line[original],
                    column,
                    _(
                        "return larger than its order: returns of %(id)s take back %(back)s %(column)s, the order had %(total)s"
                    )
                    % {
                        "id": combined.ids[original],
                        "back": format_decimal(int(back), VOLUME_PLACES),
                        "column": column,
                        "total": format_decimal(int(total), VOLUME_PLACES),
                    },
                )


def format_instants(paid_at: np.ndarray) -> list[str]:
    """UTC ISO 8601 with a ``Z``; microseconds only on instants that have any."""
    seconds = np.datetime_as_string(paid_at.astype("datetime64[s]"), unit="s")
    micros = ((paid_at - EPOCH_US) // np.timedelta64(1, "us")).astype(np.int64) % 1_000_000
    text = [f"{value}Z" for value in seconds.tolist()]
    for row in np.flatnonzero(micros):
        text[row] = f"{seconds[row]}.{int(micros[row]):06d}Z"
    return text


def _format_column(values: np.ndarray, places: int) -> list[str]:
    """Canonical decimal text of each value; repeated values are formatted once."""
    unique, inverse = np.unique(values, return_inverse=True)
    text = [format_decimal(value, places) for value in unique.tolist()]
    return [text[k] for k in inverse.tolist()]


def write_orders(orders: Orders, network: Network, target: str | Path | IO[str]) -> None:
    """Write ``orders.csv`` in canonical form, rows in table order; ids escaped as in
    ``write_network``."""
    handle, _name, owned = _open_for_writing(target)
    try:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ORDER_COLUMNS)
        ids = _escaped_ids(orders.ids)
        member_ids = _escaped_ids(network.ids)
        amount_text = _format_column(orders.amount, VOLUME_PLACES)
        for currency in np.unique(orders.currency).tolist():
            places = min(VOLUME_PLACES, minor_units(currency))
            if places < VOLUME_PLACES:
                for row in np.flatnonzero(orders.currency == currency).tolist():
                    amount = int(orders.amount[row]) // 10 ** (VOLUME_PLACES - places)
                    amount_text[row] = format_decimal(amount, places)
        writer.writerows(
            zip(
                ids,
                [member_ids[member] for member in orders.member.tolist()],
                format_instants(orders.paid_at),
                _format_column(orders.pv, VOLUME_PLACES),
                _format_column(orders.cv, VOLUME_PLACES),
                amount_text,
                orders.currency.tolist(),
                [ORDER_KINDS[kind] for kind in orders.kind.tolist()],
                [ids[original] if original >= 0 else "" for original in orders.returns.tolist()],
                strict=True,
            )
        )
    finally:
        if owned:
            handle.close()


def network_from_text(
    text: str, *, shape: PlacementShape, name: str = "distributors.csv"
) -> Network:
    """Read a network from CSV text (tests, golden cases)."""
    buffer = io.StringIO(text)
    buffer.name = name  # type: ignore[misc]
    return read_network(buffer, shape=shape)


def orders_from_text(
    text: str, *, network: Network, time_zone: str = "UTC", name: str = "orders.csv"
) -> Orders:
    buffer = io.StringIO(text)
    buffer.name = name  # type: ignore[misc]
    return read_orders(buffer, network=network, time_zone=time_zone)
