"""Formula escaping for every CSV file Downline writes (CSV injection, OWASP).

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and a
leading tab or carriage return hides such a start from a quick look. Anything a user typed
(a member id, a name, an order number, a reference) can be such a cell when a CSV export is
opened in Excel or LibreOffice. The rule, the same in every file:

* ``escape_formula(text)`` puts one apostrophe (``'``) in front of text that starts with one of
  those characters. A spreadsheet shows the apostrophe-prefixed text as text and never runs it.
* Text that already starts with apostrophes followed by one of those characters gets one
  apostrophe more, so that ``unescape_formula`` gives every text back exactly:
  ``unescape_formula(escape_formula(text)) == text`` for all text.
* Numbers are not text: a writer applies ``escape_formula`` to its text fields only, so a
  negative amount (``-12.50``) stays a number. :class:`FormulaSafeWriter`, for writers that mix
  both in one row, leaves plain decimal numbers (``-12.50``, ``3``, ``+0.5``) alone and escapes
  every other string; such a cell cannot call anything.

``downline import`` reads with ``unescape_formula``, so an exported file reads back as written.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula."""

_ESCAPED = re.compile(r"'*[=+\-@\t\r]", re.DOTALL)
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def _needs_prefix(text: str) -> bool:
    """True for text starting with zero or more apostrophes and then a formula character."""
    return _ESCAPED.match(text) is not None


def escape_formula(text: str) -> str:
    """``text`` safe to put in a CSV cell: prefixed with ``'`` when a spreadsheet would run it."""
    return "'" + text if _needs_prefix(text) else text


def unescape_formula(text: str) -> str:
    """The inverse of :func:`escape_formula`: drop the one apostrophe it added, nothing else."""
    if text.startswith("'") and _needs_prefix(text[1:]):
        return text[1:]
    return text


def is_plain_number(text: str) -> bool:
    """A decimal number with an optional sign (``-12.50``): a spreadsheet reads it as a number."""
    return _PLAIN_NUMBER.fullmatch(text) is not None


def safe_cell(value: Any) -> Any:
    """A cell for a row that mixes numbers and text: strings that are not plain decimal numbers
    are escaped; numbers (``int``, plain decimal strings) and ``None`` pass unchanged."""
    if isinstance(value, str) and not is_plain_number(value):
        return escape_formula(value)
    return value


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class FormulaSafeWriter:
    """A ``csv.writer`` whose every row goes through :func:`safe_cell` (header rows included)."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def formula_safe_writer(handle: Any, **options: Any) -> FormulaSafeWriter:
    """``csv.writer(handle, **options)`` that escapes formulas (see :class:`FormulaSafeWriter`)."""
    return FormulaSafeWriter(csv.writer(handle, **options))
