"""Page numbers of paginated pages: one rule for every list (team, levels, customers, statement,
a run's results).

* ``?page=`` missing, empty, or not a whole number written in ASCII digits → page 1;
* a number below 1 → page 1;
* a number beyond the last page → the last page (answered with 200, like Django's
  ``Paginator.get_page``); an empty list has one (empty) page.

:func:`page_number` reads the request and never returns more than :data:`MAX_PAGE`, so no
page number can overflow a database ``OFFSET`` (``?page=99999999999999999999`` once ended in a
500); :func:`clamp_page` then brings it within the list once its length is known.
"""

from __future__ import annotations

from django.http import HttpRequest

MAX_PAGE = 1_000_000
"""No list is longer than this many pages; larger numbers are read as this one."""
_MAX_DIGITS = len(str(MAX_PAGE))


def parse_page(text: str | None) -> int:
    """The page number written as ``text`` (see the module rules), within 1..``MAX_PAGE``."""
    digits = (text or "").strip()
    if not digits or not digits.isascii() or not digits.isdigit():
        return 1
    if len(digits.lstrip("0")) > _MAX_DIGITS:
        return MAX_PAGE
    return min(max(1, int(digits)), MAX_PAGE)


def page_number(request: HttpRequest, name: str = "page") -> int:
    """The page asked for in the query parameter ``name`` (see the module rules)."""
    return parse_page(request.GET.get(name))


def clamp_page(page: int, total: int, page_size: int) -> int:
    """``page`` within 1..the last page of ``total`` rows shown ``page_size`` at a time."""
    last = max(1, -(-total // page_size))
    return min(max(1, page), last)
