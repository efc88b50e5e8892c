"""The one alphabet of member ids and order numbers, wherever they come from.

An id is 1 to 64 characters: ASCII letters, digits, ``.``, ``_`` and ``-``, starting with a
letter or a digit (``D0000001``, ``C0000042``, ``O0008501``, ``DL00000042-2``, ``shop_1.7``).
Such an id is safe in a URL path segment (no ``/``, ``?``, ``#``, ``%``), in a CSV cell (no
comma, quote or line break, and never a spreadsheet formula: it cannot start with ``=``, ``+``,
``-`` or ``@``), in a file name and in HTML. The import, the forms and the actions that create
members or orders refuse anything else, naming the rule (docs/csv-format.md).

Plain Python (no Django): the dataset reader uses it too.
"""

from __future__ import annotations

import re

MAX_ID_LENGTH = 64
ID_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9_.\-]{{0,{MAX_ID_LENGTH - 1}}}"
_ID = re.compile(ID_PATTERN)


def is_valid_id(value: str) -> bool:
    """True when ``value`` is a member id or order number of the documented alphabet."""
    return _ID.fullmatch(value) is not None
