"""The income disclosure statement and the pyramid-risk indicators in the console, on the
seeded company of ``conftest.py`` (two closed months, figures computed by hand there)."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

STATEMENT = "?first=2026-08&last=2026-09&language=en"


@pytest.fixture
def finance(login_as, company):
    return login_as("finance")


def _indicator_row(text: str, code: str) -> str:
    match = re.search(rf'<tr id="indicator-{code}".*?</tr>', text, re.S)
    assert match, code
    return match.group(0)


# --------------------------------------------------------------------------- statement


def test_the_statement_page_offers_the_closed_periods(finance):
    response = finance.get(reverse("compliance:statement"))
    assert response.status_code == 200
    assert '<option value="2026-08" selected>2026-08</option>' in response.text
    assert '<option value="2026-09" selected>2026-09</option>' in response.text
    assert "statement-frame" not in response.text


def test_the_statement_is_shown_with_its_downloads(finance):
    response = finance.get(reverse("compliance:statement") + STATEMENT)
    assert response.status_code == 200
    text = response.text
    assert "Covers 2 periods: 2026-08, 2026-09." in text
    document = reverse("compliance:statement_html") + STATEMENT.replace("&", "&amp;")
    assert f'src="{document}"' in text
    assert reverse("compliance:statement_pdf") in text

    html = finance.get(reverse("compliance:statement_html") + STATEMENT)
    assert html.status_code == 200
    body = html.content.decode()
    # six participants (R, A, B, C, D, E) over both months, the 2 customers not counted
    assert "Every one of the 6 distributors" in body
    assert "2026-08, 2026-09" in body
    policy = html["Content-Security-Policy"]
    assert "sandbox" in policy
    assert "script-src" not in policy
    assert "frame-ancestors 'self'" in policy
    download = finance.get(reverse("compliance:statement_html") + STATEMENT + "&download=1")
    assert download["Content-Disposition"] == (
        'attachment; filename="income-disclosure-2026-08-2026-09-en.html"'
    )


def test_the_statement_follows_the_users_language(finance):
    finance.cookies["django_language"] = "de"
    page = finance.get(reverse("compliance:statement"))
    assert '<option value="de" selected>' in page.text
    html = finance.get(reverse("compliance:statement_html") + "?first=2026-08&last=2026-09")
    assert '<html lang="de">' in html.content.decode()


def test_the_statement_as_pdf(finance):
    pytest.importorskip("weasyprint")
    response = finance.get(reverse("compliance:statement_pdf") + STATEMENT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_range_in_the_wrong_order_is_refused_with_the_reason(finance):
    response = finance.get(reverse("compliance:statement") + "?first=2026-09&last=2026-08")
    assert response.status_code == 400
    assert "2026-08 comes first" in response.text
    assert "statement-frame" not in response.text
    document = finance.get(reverse("compliance:statement_html") + "?first=2026-09&last=2026-08")
    assert document.status_code == 400


def test_a_period_without_a_final_run_is_not_offered(finance):
    response = finance.get(reverse("compliance:statement") + "?first=2026-10&last=2026-10")
    assert response.status_code == 404
    assert "Select a valid choice" in response.text


# --------------------------------------------------------------------------- indicators


def test_the_indicators_of_the_latest_closed_period(finance):
    response = finance.get(reverse("compliance:indicators"))
    assert response.status_code == 200
    text = response.text
    assert "Indicators of 2026-09" in text
    assert text.count('<tr id="indicator-') == 16
    # I1: customers' CV 60 of 290 = 20.7%, red below 50%
    row = _indicator_row(text, "customer_share")
    assert "20.7%" in row
    assert 'data-status="red"' in row
    assert '<span aria-hidden="true">✕</span> Red' in row
    assert "green while ≥ 80.0%" in row
    assert "Σ CV of retail customers&#x27; orders ÷ Σ CV of all orders." in row
    # I14: 119.00 paid on 760.00 of turnover = 15.7%, green up to 45%
    row = _indicator_row(text, "payout_ratio")
    assert "15.7%" in row
    assert '<span aria-hidden="true">✓</span> Green' in row
    assert "red from 60.0%" in row


def test_the_payout_ratio_trend_holds_each_closed_period(finance):
    text = finance.get(reverse("compliance:indicators") + "?period=2026-09").text
    match = re.search(
        r'<script id="payout-trend-data" type="application/json">(.*?)</script>', text, re.S
    )
    data = json.loads(match.group(1))
    assert data["periods"] == ["2026-08", "2026-09"]
    # August: 6.00 on 180.00; September: 119.00 on 760.00
    assert data["values"] == [3.33, 15.66]
    assert (data["amber"], data["red"]) == (45.0, 60.0)
    assert 'id="payout-trend"' in text
    table = re.search(r'<table [^>]*id="payout-trend-table">.*?</table>', text, re.S).group(0)
    cells = re.findall(r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", table)
    assert cells == [("2026-08", "3.3%"), ("2026-09", "15.7%")]


def test_the_indicators_of_one_leaders_downline(finance):
    response = finance.get(reverse("compliance:indicators") + "?period=2026-09&leader=A")
    assert response.status_code == 200
    text = response.text
    assert "Indicators of 2026-09, downline of A" in text
    assert 'id="indicator-payout_creep"' not in text  # company-wide only
    assert text.count('<tr id="indicator-') == 15


def test_a_guessed_leader_or_period_is_404_with_the_reason(finance):
    response = finance.get(reverse("compliance:indicators") + "?period=2026-09&leader=NOPE")
    assert response.status_code == 404
    assert "There is no member NOPE." in response.text
    response = finance.get(reverse("compliance:indicators") + "?period=2031-01")
    assert response.status_code == 404
    assert 'id="indicators"' not in response.text
