"""The income disclosure statement of August–September 2026 on the seeded company (conftest.py).

Participants: R, A, B, C, D, E (every distributor of the two final runs; a1, a2 are customers).
Earnings = August + September + clawbacks in those periods:
R 4.00 + 17.00 − 2.00 (A's August shake returned) = 19.00; A 2.00 + 42.00 = 44.00; B 0;
C 30.00; D 30.00; E 0. Sorted 0, 0, 19, 30, 30, 44 (total 123.00): 2/6 earned nothing,
median (3rd) 19.00, mean 20.50, p90 (6th) 44.00, top 1% (one person) 44/123.

Highest paid-as rank: Leader A, C, D (30, 30, 44: median 30.00, mean 34.67, top 44/104);
Member R, B, E (0, 0, 19: 2/3 nothing, median 0, mean 6.33).
Tenure (from 2026-08-01): new B, C, D; joined from 2025-08-01 A, E; earlier R.
Own orders: kits B, C, D 40.00 each (120.00, mean 20.00); products A 50 − 50 + 50, B 100,
C 200, D 200 (550.00, mean 91.67, 4 of 6 bought, 137.50 per buyer); fees R 20.00.
Net of own orders: R −1, A −6, B −140, C −210, D −210, E 0: 5/6 below zero, median −140.00,
mean (123 − 690) / 6 = −94.50.
"""

from __future__ import annotations

import io
from fractions import Fraction

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from downline.compliance.actions import do_set_disclaimer
from downline.compliance.disclosure import EARLIER, NEW, RECENT, statement
from downline.compliance.disclosure_render import render_html
from downline.compliance.errors import ComplianceError
from downline.compliance.selectors import statement_data


@pytest.fixture
def figures(company):
    data = statement_data("2026-08", "2026-09")
    return data, statement(data.participants, data.rank_names)


def test_everyone_is_counted_and_the_overall_figures(figures):
    data, result = figures
    assert data.periods == ["2026-08", "2026-09"]
    overall = result.overall
    assert overall.participants == 6
    assert overall.total == 12300
    assert overall.nothing_share == Fraction(1, 3)
    assert (overall.median, overall.mean, overall.p90) == (1900, 2050, 4400)
    assert overall.top_1pct_share == Fraction(44, 123)


def test_per_rank_and_tenure(figures):
    _data, result = figures
    ranks = dict(result.by_rank)
    assert ranks["Leader"].participants == 3
    assert ranks["Leader"].share_of_all == Fraction(1, 2)
    assert (ranks["Leader"].nothing_share, ranks["Leader"].median) == (0, 3000)
    assert (ranks["Leader"].mean, ranks["Leader"].top_1pct_share) == (3467, Fraction(44, 104))
    assert (ranks["Member"].nothing_share, ranks["Member"].median) == (Fraction(2, 3), 0)
    assert (ranks["Member"].mean, ranks["Member"].p90) == (633, 1900)
    tenure = dict(result.by_tenure)
    assert [tenure[band].participants for band in (NEW, RECENT, EARLIER)] == [3, 2, 1]
    assert (tenure[NEW].median, tenure[NEW].mean) == (3000, 2000)
    assert (tenure[RECENT].median, tenure[RECENT].p90) == (0, 4400)


def test_known_costs_and_net_of_purchases(figures):
    _data, result = figures
    kits, products, fees = (result.costs[k] for k in ("starter_kits", "products", "fees"))
    assert (kits.total, kits.mean, kits.buyers_share, kits.mean_of_buyers) == (
        12000,
        2000,
        Fraction(1, 2),
        4000,
    )
    assert (products.total, products.mean, products.mean_of_buyers) == (55000, 9167, 13750)
    assert (fees.total, result.costs["autoship"].total, result.costs["all"].total) == (
        2000,
        0,
        69000,
    )
    assert result.net_negative_share == Fraction(5, 6)
    assert (result.net_median, result.net_mean) == (-14000, -9450)


def test_someone_terminated_before_the_first_period_is_not_a_participant(make_company):
    """E, terminated on 1 July, is still a row of both runs (earning nothing) but left before
    August: 5 participants, 1 of them (B) earning nothing."""
    make_company(e_terminated_in_july=True)
    data = statement_data("2026-08", "2026-09")
    result = statement(data.participants, data.rank_names)
    assert result.overall.participants == 5
    assert result.overall.nothing_share == Fraction(1, 5)


def test_periods_without_a_final_run_are_refused(company):
    company.order("oct", "a1", "SHAKE", 1, company.orders["o9"].paid_at.replace(month=10))
    with pytest.raises(ComplianceError, match="no final run yet: 2026-10"):
        statement_data("2026-08", "2026-10")
    with pytest.raises(ComplianceError, match="comes first"):
        statement_data("2026-09", "2026-08")


def test_html_in_english_with_figures_and_the_company_disclaimer(company):
    do_set_disclaimer("en", "Results are not typical. Ask us anything.")
    html = render_html(statement_data("2026-08", "2026-09"), "en")
    assert '<html lang="en">' in html
    assert "Income disclosure statement" in html
    assert "33.3%" in html  # earned nothing
    assert "€19.00" in html
    assert "€20.50" in html
    assert "35.8%" in html  # top 1%: 44/123
    assert "Results are not typical. Ask us anything." in html


def test_html_in_german_has_german_numbers_and_headings(company):
    """German decimal commas, and the headings from the German catalogue."""
    from django.utils import translation

    html = render_html(statement_data("2026-08", "2026-09"), "de")
    assert '<html lang="de">' in html
    assert "33,3\u00a0%" in html
    assert "20,50\u00a0€" in html
    with translation.override("de"):
        title = translation.gettext("Income disclosure statement")
        costs = translation.gettext("Known costs")
    assert title != "Income disclosure statement"
    assert costs != "Known costs"
    assert f"<h1>{title}</h1>" in html
    assert f"<h2>{costs}</h2>" in html


def test_the_pdf_is_a_pdf_with_the_figures(company, tmp_path):
    out = tmp_path / "ids.pdf"
    call_command(
        "disclosure", "--from", "2026-08", "--to", "2026-09", "--format", "pdf", "--out", str(out)
    )
    content = out.read_bytes()
    assert content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Income disclosure statement" in text
    for figure in ("33.3%", "19.00", "20.50", "44.00", "35.8%", "Leader", "120.00"):
        assert figure in text, figure


def test_the_command_writes_html_and_refuses_bad_input(company, tmp_path):
    out = tmp_path / "ids.html"
    call_command("disclosure", "--from", "2026-08", "--to", "2026-09", "--out", str(out))
    assert "Income disclosure statement" in out.read_text(encoding="utf-8")
    with pytest.raises(CommandError, match="2026-13"):
        call_command("disclosure", "--from", "2026-13", "--to", "2026-09", "--out", str(out))
