"""Reading ``certificates.csv``: which distributors hold which certificate, and when.

Columns: ``member_id`` and ``certificate`` (a key such as ``compliance-basics``), optionally
``valid_from`` and ``valid_until`` (dates ``YYYY-MM-DD``, both inclusive; empty: no bound). A
member may have several rows for one key (a renewal). A plan that writes
``requires: {certificate: …}`` on a rank or a bonus asks who holds each key on the period's
last day (:func:`held_on`), as the database runs ask the academy.

Like the other files, a file with any problem is refused whole: every problem names the file,
line and column (:class:`downline.dataset.csv_io.DatasetError`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

import numpy as np

from downline.engine.plan.model import CERTIFICATE_KEY_PATTERN
from downline.i18n import gettext as _

from .csv_io import _Collector, _csv_problem, _open_text, cut
from .tables import Network

REQUIRED_COLUMNS = ("member_id", "certificate")
OPTIONAL_COLUMNS = ("valid_from", "valid_until")
CERTIFICATE_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_KEY = re.compile(CERTIFICATE_KEY_PATTERN)
MAX_KEY_LENGTH = 60


@dataclass
class Certificates:
    """The rows of a certificates file: member id, key and validity (``None``: unbounded)."""

    member: list[str] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    valid_from: list[date | None] = field(default_factory=list)
    valid_until: list[date | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.member)


def _date(value: str, line: int, column: str, errors: _Collector) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.add(
            line,
            column,
            _("%(value)r is not a date; write it as YYYY-MM-DD") % {"value": cut(value)},
        )
        return None


def read_certificates(source: str | Path | IO[str], *, network: Network) -> Certificates:
    """Read and check ``certificates.csv`` against ``network`` (each member must be one of its
    distributors); :class:`DatasetError` lists every problem with its line and column."""
    handle, file_name, owned = _open_text(source)
    errors = _Collector(file_name)
    out = Certificates()
    known = {member_id: row for row, member_id in enumerate(network.ids)}
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
        if header is None:
            errors.add(1, "", _("the file is empty; the first line must name the columns"))
            errors.raise_if_any()
        header = [name.strip().lstrip("\ufeff") for name in header]
        for name in REQUIRED_COLUMNS:
            if name not in header:
                errors.add(1, name, _("the column is missing"))
        for name in header:
            if name not in CERTIFICATE_COLUMNS:
                errors.add(
                    1,
                    name,
                    _("unknown column; expected %(columns)s")
                    % {"columns": ",".join(CERTIFICATE_COLUMNS)},
                )
            elif header.count(name) > 1:
                errors.add(1, name, _("the column appears more than once"))
        errors.raise_if_any()
        at = {name: header.index(name) for name in header}
        for record in reader:
            line = reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if len(record) != len(header):
                errors.add(
                    line,
                    "",
                    _("the row has %(found)d values, the header has %(expected)d")
                    % {"found": len(record), "expected": len(header)},
                )
                continue
            value = {name: record[at[name]].strip() for name in header}
            member_id, key = value["member_id"], value["certificate"]
            ok = True
            if not member_id:
                errors.add(line, "member_id", _("the id is empty"))
                ok = False
            elif member_id not in known:
                errors.add(
                    line,
                    "member_id",
                    _("no distributor %(id)r in the distributors file") % {"id": cut(member_id)},
                )
                ok = False
            elif network.is_customer[known[member_id]]:
                errors.add(
                    line,
                    "member_id",
                    _("%(id)r is a retail customer; only distributors hold certificates")
                    % {"id": cut(member_id)},
                )
                ok = False
            if not key:
                errors.add(line, "certificate", _("the certificate key is empty"))
                ok = False
            elif len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
                errors.add(
                    line,
                    "certificate",
                    _(
                        "%(value)r is not a certificate key: lowercase letters, digits, - and _, "
                        "such as compliance-basics"
                    )
                    % {"value": cut(key)},
                )
                ok = False
            before = errors.total
            start = _date(value.get("valid_from", ""), line, "valid_from", errors)
            end = _date(value.get("valid_until", ""), line, "valid_until", errors)
            if errors.total != before:
                ok = False
            elif start is not None and end is not None and end < start:
                errors.add(
                    line,
                    "valid_until",
                    _("the certificate ends (%(end)s) before it starts (%(start)s)")
                    % {"end": end.isoformat(), "start": start.isoformat()},
                )
                ok = False
            if ok:
                out.member.append(member_id)
                out.key.append(key)
                out.valid_from.append(start)
                out.valid_until.append(end)
    except UnicodeDecodeError:
        errors.add(
            max(reader.line_num, 1), "", _("not UTF-8; save the file as UTF-8 and import it again")
        )
    except csv.Error as error:
        errors.add(max(reader.line_num, 1), "", _csv_problem(error))
    finally:
        if owned:
            handle.close()
    errors.raise_if_any()
    return out


def certificates_from_text(
    text: str, *, network: Network, name: str = "certificates.csv"
) -> Certificates:
    """Read certificates from CSV text (golden cases, tests)."""
    buffer = io.StringIO(text)
    buffer.name = name  # type: ignore[misc]
    return read_certificates(buffer, network=network)


def held_on(
    certificates: Certificates, ids: Sequence[str], on: date, keys: Iterable[str]
) -> dict[str, np.ndarray]:
    """Per key of ``keys``: bool per distributor row of ``ids``, who holds it on ``on``
    (``valid_from ≤ on ≤ valid_until``, an empty bound being no bound)."""
    row = {member_id: d for d, member_id in enumerate(ids)}
    out = {key: np.zeros(len(ids), dtype=bool) for key in keys}
    for member_id, key, start, end in zip(
        certificates.member,
        certificates.key,
        certificates.valid_from,
        certificates.valid_until,
        strict=True,
    ):
        if key not in out or member_id not in row:
            continue
        if (start is None or start <= on) and (end is None or on <= end):
            out[key][row[member_id]] = True
    return out
