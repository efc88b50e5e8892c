"""A statement grouped by bonus, level and source: subtotals that reconcile to the cent with
the lines, a page that stays small for a member with hundreds of lines, the page of one level,
and a PDF of subtotals (its time is measured by benchmarks/statement_pdf.py, not here)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor
from downline.web.statements import (
    NO_SOURCE,
    OUTSIDE,
    SOURCE_LINES_SHOWN,
    SOURCES_SHOWN,
    LineView,
    group_lines,
    statement_for,
)

from .conftest import ENROLLED_AT, JOINED, PLAN, at

RECRUITS = 30
ORDERS_EACH = 9  # 30 recruits × 9 orders × 2 (their own order and a recruit's) > 500 lines


def _line(level: int, source: str | None, amount: int, *, visible: bool = True) -> LineView:
    return LineView(
        bonus="Unilevel",
        level=level,
        source_member_id=source if visible else None,
        source_name=f"Name of {source}" if visible and source else "",
        source_visible=visible and source is not None,
        has_source=source is not None,
        order_number=None,
        base=amount * 10,
        rate="10%",
        amount_before_cap=amount,
        amount=amount,
        bonus_name="unilevel",
    )


def test_groups_add_up_to_the_lines_to_the_cent():
    lines = [
        _line(1, "B", 333),
        _line(2, "C", 1),
        _line(1, "A", 101),
        _line(1, "B", -33),  # a negative adjustment stays in its group
        _line(2, "X", 7, visible=False),
        _line(2, "Y", 5, visible=False),  # two members outside the team: one group
        _line(0, None, 250),
        _line(1, "A", 199),
    ]
    section = group_lines("unilevel", "Unilevel", lines)
    assert section.total == sum(line.amount for line in lines) == 863
    assert section.count == len(lines)
    assert [group.level for group in section.levels] == [0, 1, 2]
    level1 = section.levels[1]
    # the largest amount first; equal amounts by name
    assert [(s.key, s.count, s.total, s.base) for s in level1.sources] == [
        ("A", 2, 300, 3000),
        ("B", 2, 300, 3000),
    ]
    level2 = section.levels[2]
    assert {s.key for s in level2.sources} == {OUTSIDE, "C"}
    outside = next(s for s in level2.sources if s.key == OUTSIDE)
    assert (outside.count, outside.total, outside.name) == (2, 12, "")
    assert section.levels[0].sources[0].key == NO_SOURCE
    for level in section.levels:
        assert level.total == sum(s.total for s in level.sources)
        assert level.count == sum(s.count for s in level.sources)
    assert sum(level.total for level in section.levels) == section.total
    assert section.lines == lines  # the engine's order is kept for the CSV


def test_sources_beyond_the_page_are_summed_in_one_row():
    lines = [_line(3, f"M{k:02d}", 100 + k) for k in range(SOURCES_SHOWN + 7)]
    level = group_lines("unilevel", "Unilevel", lines).levels[0]
    assert len(level.shown_sources) == SOURCES_SHOWN
    assert len(level.other_sources) == 7
    assert level.other_total == sum(100 + k for k in range(7))  # the seven smallest
    assert level.other_count == 7
    assert sum(s.total for s in level.shown_sources) + level.other_total == level.total


@dataclass
class Big:
    alice: Distributor
    recruits: list[Distributor]
    orders: int


@pytest.fixture
def big(team):
    """ALICE with 30 recruits, each with a recruit of their own; in August each of the 60
    buys 9 times: ALICE earns a unilevel line for each order (level 1 and 2) and matching."""
    from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
    from downline.compensation.runs import do_run_final
    from downline.orders.actions import do_place_order
    from downline.periods.actions import do_ensure_period

    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="big statement")
    do_activate_plan_version(version, do_ensure_period("2026-08"))
    recruits, buyers = [], []
    for k in range(RECRUITS):
        recruit = do_enroll(
            member_id=f"R{k:02d}",
            sponsor=team.alice,
            joined_on=JOINED,
            effective_at=ENROLLED_AT,
            name=f"Recruit {k:02d}",
        )
        below = do_enroll(
            member_id=f"S{k:02d}",
            sponsor=recruit,
            joined_on=JOINED,
            effective_at=ENROLLED_AT,
            name=f"Second {k:02d}",
        )
        recruits.append(recruit)
        buyers += [recruit, below]
    orders = 0
    for day in range(1, ORDERS_EACH + 1):
        for buyer in buyers:
            do_place_order(buyer, [(team.product, 1)], "EUR", paid_at=at(2026, 8, day))
            orders += 1
    do_run_final(do_ensure_period("2026-08"))
    return Big(team.alice, recruits, orders)


def test_a_statement_of_hundreds_of_lines_stays_a_small_page(alice_client, big):
    statement = statement_for(big.alice, "2026-08")
    assert statement.line_count > 500
    unilevel = next(s for s in statement.sections if s.name == "unilevel")
    assert unilevel.count == big.orders  # one line per order of the 60 below her
    text = alice_client.get(reverse("web:statement", args=["2026-08"])).text
    body = text.split('id="bonuses-heading"')[1].split('id="clawbacks-heading"')[0]
    rows = body.count("<tr")
    # per level at most SOURCES_SHOWN sources with SOURCE_LINES_SHOWN lines each
    levels = sum(len(section.levels) for section in statement.sections)
    assert rows <= levels * SOURCES_SHOWN * SOURCE_LINES_SHOWN
    assert rows < statement.line_count / 3
    assert len(text) < 120_000
    # every level is folded until opened, and says its subtotal and its count
    assert body.count('<details class="level"') == levels
    assert '<details class="level" open' not in body
    level1 = unilevel.levels[0]
    summary = body.split('id="bonus-unilevel-level-1"')[1].split("</summary>")[0]
    assert f"{level1.count} lines" in summary
    assert statement.money(level1.total) in summary
    # the sources not listed are one row with their count and subtotal, and a link to all
    assert f"{len(level1.other_sources)} more sources: {level1.other_count} lines" in body
    assert "?bonus=unilevel&amp;level=1" in body


def test_the_page_of_one_level_lists_every_source(alice_client, big):
    url = reverse("web:statement", args=["2026-08"])
    text = alice_client.get(url, {"bonus": "unilevel", "level": "2"}).text
    statement = statement_for(big.alice, "2026-08")
    level2 = statement.level("unilevel", 2)
    assert text.count('<details class="source"') == len(level2.sources) == RECRUITS
    assert f'id="level-total">{statement.money(level2.total)}<' in text
    for k in range(RECRUITS):
        assert f"Second {k:02d}" in text
    # every line of the level (fewer than LEVEL_LINES_SHOWN), one header row per source
    assert text.count("<tr") == level2.count + len(level2.sources)
    for query in ({"bonus": "unilevel", "level": "9"}, {"bonus": "nope", "level": "1"}):
        assert alice_client.get(url, query).status_code == 404
    assert alice_client.get(url, {"bonus": "unilevel", "level": "x"}).status_code == 404


def test_the_csv_keeps_every_line_and_the_pdf_only_subtotals(alice_client, big):
    from pypdf import PdfReader

    statement = statement_for(big.alice, "2026-08")
    response = alice_client.get(reverse("web:statement_csv", args=["2026-08"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    commissions = [r for r in rows if r["kind"] == "commission"]
    assert len(commissions) == statement.line_count
    cents = sum(int(r["amount"].replace(".", "")) for r in commissions)
    assert cents == sum(section.total for section in statement.sections)
    assert rows[-1]["amount"] == f"{statement.result.earned / 100:.2f}"

    pdf = alice_client.get(reverse("web:statement_pdf", args=["2026-08"])).content
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) <= 3
    unilevel = next(s for s in statement.sections if s.name == "unilevel")
    assert f"unilevel: {statement.money(unilevel.total)} · {unilevel.count} lines" in text
    for level in unilevel.levels:
        assert re.search(
            rf"\b{level.level} .*\b{level.count} {statement.number(level.total)}", text
        )
    assert "Second 00" not in text  # no sources, no lines
