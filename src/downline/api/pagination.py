"""Cursor pagination and field selection for large lists.

A list is ordered by its primary key, ascending. A page holds at most ``limit`` rows (default
50, at most 500) and ``next_cursor``: an opaque string to pass as ``cursor`` for the next page,
``null`` on the last page. A cursor encodes the last id of its page, so pages stay stable while
rows are added (new rows appear at the end) and no row is skipped or repeated.

``fields=a,b,c`` keeps only the named fields of each item (unknown names: 422 naming
``query.fields``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .errors import ApiProblem

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The last id a cursor stands for; a 422 problem naming ``query.cursor`` when malformed."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        kind, _sep, value = text.partition(":")
        if kind != "id" or not value.isdigit() or len(value) > 18:
            raise ValueError(text)
        return int(value)
    except (ValueError, UnicodeError, binascii.Error):
        message = _("Not a cursor from this API; pass next_cursor of the previous page.")
        raise ApiProblem(422, message, errors=[("query.cursor", message)]) from None


def selected_fields(fields: str | None, allowed: Iterable[str]) -> list[str] | None:
    """The fields named in ``fields=`` (``None``: all); unknown names are refused."""
    if not fields:
        return None
    names = [name.strip() for name in fields.split(",") if name.strip()]
    allowed = list(allowed)
    bad = [name for name in names if name not in allowed]
    if bad:
        message = _("Unknown field(s) %(bad)s; choose from %(allowed)s.") % {
            "bad": ", ".join(bad),
            "allowed": ", ".join(allowed),
        }
        raise ApiProblem(422, message, errors=[("query.fields", message)])
    return names


def page(
    rows: QuerySet,
    *,
    cursor: str | None,
    limit: int,
    render: Callable[[Any], dict],
    fields: list[str] | None = None,
) -> dict:
    """One page of ``rows`` after ``cursor``: ``{"items": [...], "next_cursor": ...}``."""
    if cursor:
        rows = rows.filter(pk__gt=decode_cursor(cursor))
    found = list(rows.order_by("pk")[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    items = [render(row) for row in found]
    if fields is not None:
        items = [{name: item[name] for name in fields} for item in items]
    return {
        "items": items,
        "next_cursor": encode_cursor(found[-1].pk) if more and found else None,
    }
