"""Contacts in and out: CSV and vCard (vobject).

Import is all or nothing (rule 7): every row is checked first; any error refuses the whole file
with every error named by line and field (``ImportRefused.errors``: ``RowError(line, field,
message)``); only a clean file is written (``actions.do_bulk_create``). A contact whose e-mail
the distributor already has is not duplicated: its blank fields are filled and tags joined.
Imported contacts have no e-mail consent (an imported list never counts as consent).

CSV: a header row (names in any case; aliases such as "E-mail", "Surname", "Full name"),
separated by commas, semicolons or tabs, UTF-8 (with or without BOM). Tags are separated by ";"
or ",". vCard 3.0/4.0: FN or N, EMAIL, TEL, CATEGORIES.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import vobject
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .actions import clean_fields, do_bulk_create
from .models import Contact

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
ALIASES = {
    "email": "email",
    "e-mail": "email",
    "e_mail": "email",
    "mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "phone": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "phone number": "phone",
    "first_name": "first_name",
    "first name": "first_name",
    "firstname": "first_name",
    "given name": "first_name",
    "last_name": "last_name",
    "last name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family name": "last_name",
    "name": "name",
    "full name": "name",
    "language": "language",
    "lang": "language",
    "time_zone": "time_zone",
    "time zone": "time_zone",
    "timezone": "time_zone",
    "tags": "tags",
    "tag": "tags",
    "labels": "tags",
    "categories": "tags",
    "stage": "stage",
}
VCARD_FIELDS = {"EMAIL": "email", "TEL": "phone", "N": "first_name", "CATEGORIES": "tags"}
EXPORT_COLUMNS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "language",
    "time_zone",
    "tags",
    "stage",
    "source",
    "email_consent",
    "created_at",
)


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return _("line %(line)s, %(field)s: %(message)s") % {
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


class ImportRefused(ValidationError):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__([str(e) for e in errors], code="import_refused")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ImportRefused([RowError(0, "file", _("The file is larger than 5 MB."))])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRefused(
            [RowError(line, "file", _("The file is not UTF-8 text; save it as UTF-8 CSV."))]
        ) from error


def _check_rows(
    rows: list[tuple[int, dict]], errors: list[RowError] | None = None, lines=None
) -> list[dict]:
    """The clean rows; every problem (with ``errors`` found before) refuses the whole file.
    ``lines`` maps a row's line and a field to the line that holds the field (vCard)."""
    errors = list(errors or [])

    def at(line: int, field: str) -> int:
        return (lines or {}).get((line, field), line)

    seen: dict[str, int] = {}
    clean: list[dict] = []
    if len(rows) > MAX_ROWS:
        raise ImportRefused(
            [RowError(0, "file", _("At most %(n)s contacts per file.") % {"n": MAX_ROWS})]
        )
    for line, raw in rows:
        if "name" in raw:
            full = " ".join((raw.pop("name") or "").split())
            if full and not raw.get("first_name") and not raw.get("last_name"):
                first, _sep, last = full.partition(" ")
                raw["first_name"], raw["last_name"] = first, last
        if "stage" in raw and not (raw["stage"] or "").strip():
            raw.pop("stage")
        elif "stage" in raw:
            raw["stage"] = raw["stage"].strip().lower()
        if "language" in raw and not (raw["language"] or "").strip():
            raw.pop("language")
        try:
            row = clean_fields(raw)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.extend(RowError(at(line, field), field, m) for m in messages)
            continue
        if not any(row.get(f) for f in ("email", "phone", "first_name", "last_name")):
            errors.append(
                RowError(line, "email", _("The row has no name, e-mail address or phone number."))
            )
            continue
        email = row.get("email")
        if email:
            if email in seen:
                errors.append(
                    RowError(
                        at(line, "email"),
                        "email",
                        _("%(email)s is already on line %(other)s.")
                        % {"email": email, "other": seen[email]},
                    )
                )
                continue
            seen[email] = line
        clean.append(row)
    if errors:
        raise ImportRefused(errors)
    return clean


def read_csv(data: bytes) -> list[dict]:
    """The checked rows of a CSV file (raises ``ImportRefused``)."""
    text = _decode(data)
    if not text.strip():
        raise ImportRefused([RowError(1, "file", _("The file is empty."))])
    first_line = text.splitlines()[0]
    delimiter = max(",;\t", key=first_line.count)  # the header's separator
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader)
    columns: list[str | None] = []
    for name in header:
        key = ALIASES.get(" ".join(name.strip().lower().replace("_", " ").split()))
        key = key or ALIASES.get(name.strip().lower())
        columns.append(key)
    if not any(c in ("email", "phone", "first_name", "last_name", "name") for c in columns):
        raise ImportRefused(
            [
                RowError(
                    1,
                    "header",
                    _(
                        "No known column; the first row must name the columns "
                        "(email, phone, first_name, last_name or name, tags, stage, language)."
                    ),
                )
            ]
        )
    rows: list[tuple[int, dict]] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            raw = {}
            for key, value in zip(columns, values, strict=False):
                if key:
                    raw[key] = value.strip()
            rows.append((reader.line_num, raw))
    except csv.Error as error:
        raise ImportRefused([RowError(reader.line_num, "file", str(error))]) from error
    return _check_rows(rows)


def read_vcard(data: bytes) -> list[dict]:
    """The checked cards of a vCard file (raises ``ImportRefused``)."""
    text = _decode(data)
    lines = text.splitlines()
    chunks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    start = 0
    errors: list[RowError] = []
    for number, line in enumerate(lines, start=1):
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            current, start = [line], number
        elif current is not None:
            current.append(line)
            if upper == "END:VCARD":
                chunks.append((start, current))
                current = None
        elif line.strip():
            errors.append(RowError(number, "vcard", _("Text outside BEGIN:VCARD … END:VCARD.")))
    if current is not None:
        errors.append(RowError(start, "vcard", _("The card has no END:VCARD.")))
    if not chunks and not errors:
        errors.append(RowError(1, "file", _("The file holds no vCard.")))
    rows: list[tuple[int, dict]] = []
    lines: dict[tuple[int, str], int] = {}
    for start, chunk in chunks:
        for offset, text_line in enumerate(chunk):
            name = text_line.split(":", 1)[0].split(";", 1)[0].strip().upper()
            field = VCARD_FIELDS.get(name.rsplit(".", 1)[-1])
            if field and (start, field) not in lines:
                lines[(start, field)] = start + offset
                if field == "first_name":
                    lines.setdefault((start, "last_name"), start + offset)
        try:
            card = vobject.readOne("\r\n".join(chunk) + "\r\n")
        except Exception as error:  # vobject raises several kinds on bad input
            errors.append(RowError(start, "vcard", str(error)[:200]))
            continue
        raw: dict = {}
        contents = card.contents
        if "n" in contents:
            n = contents["n"][0].value
            raw["first_name"] = " ".join(str(n.given or "").split())
            raw["last_name"] = " ".join(str(n.family or "").split())
        if not raw.get("first_name") and not raw.get("last_name") and "fn" in contents:
            raw["name"] = str(contents["fn"][0].value)
        if "email" in contents:
            raw["email"] = str(contents["email"][0].value)
        if "tel" in contents:
            raw["phone"] = str(contents["tel"][0].value).removeprefix("tel:")
        if "categories" in contents:
            value = contents["categories"][0].value
            raw["tags"] = list(value) if isinstance(value, list | tuple) else str(value)
        rows.append((start, raw))
    return _check_rows(rows, errors, lines)


def do_import(owner, data: bytes, *, fmt: str) -> ImportResult:
    """Import a whole CSV (``fmt="csv"``) or vCard (``fmt="vcard"``) file, or nothing."""
    if fmt not in ("csv", "vcard"):
        raise ImportRefused([RowError(0, "format", _("Choose CSV or vCard."))])
    rows = read_csv(data) if fmt == "csv" else read_vcard(data)
    created, updated = do_bulk_create(owner, rows, fmt=fmt)
    return ImportResult(created, updated)


def _cell(value: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if value and (
        value[0] in "=@\t\r" or (value[0] in "+-" and value[1:2].strip("0123456789 ") != "")
    ):
        return "'" + value
    return value


def export_csv(contacts) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for contact in contacts.iterator(chunk_size=2000):
        writer.writerow(
            [
                _cell(contact.email),
                _cell(contact.phone),
                _cell(contact.first_name),
                _cell(contact.last_name),
                contact.language,
                contact.time_zone,
                _cell("; ".join(contact.tags or [])),
                contact.stage,
                _cell(contact.source),
                contact.email_consent,
                contact.created_at.isoformat(),
            ]
        )
    return out.getvalue()


def export_vcard(contacts) -> str:
    parts = []
    for contact in contacts.iterator(chunk_size=2000):
        card = vobject.vCard()
        card.add("n").value = vobject.vcard.Name(family=contact.last_name, given=contact.first_name)
        card.add("fn").value = (
            f"{contact.first_name} {contact.last_name}".strip()
            or contact.email
            or contact.phone
            or str(contact.pk)
        )
        if contact.email:
            card.add("email").value = contact.email
        if contact.phone:
            card.add("tel").value = contact.phone
        if contact.tags:
            card.add("categories").value = list(contact.tags)
        parts.append(card.serialize())
    return "".join(parts)


def stage_label(value: str) -> str:
    return str(Contact.Stage(value).label)
