"""The distributor's earnings: statements per period with lines, sources, trace and clawbacks;
wallet, ledger and payouts; CSV and PDF; only the signed-in member's own statements."""

import csv
import io
import re

import pytest
from django.urls import reverse

from downline.genealogy.actions import do_move
from downline.payouts.actions import (
    do_approve_payout_batch,
    do_create_payout_batch,
    do_mark_batch_paid,
)
from downline.payouts.models import PayoutProfile

from .conftest import PASSWORD


@pytest.fixture
def alice(client, settled):
    client.force_login(settled.team.alice_user)
    return client


def test_the_statement_lists_each_bonus_with_lines_and_sources(alice, settled):
    page = alice.get(reverse("web:statement", args=["2026-08"]))
    assert page.status_code == 200
    text = page.text
    order = settled.carol_order.number
    # unilevel level 2 from Carol's order: 5 % of 40.00 = 2.00; matching on Bob's 4.00 = 2.00
    unilevel = text.split('id="bonus-unilevel"')[1].split("</table>")[0]
    assert '<a href="/team/member/CAROL/">Carol Clark</a>' in unilevel
    assert order in unilevel
    assert ">40.00<" in unilevel
    assert ">5%<" in unilevel
    assert ">2.00<" in unilevel
    matching = text.split('id="bonus-matching"')[1].split("</table>")[0]
    assert "BOB" in matching
    assert ">50%<" in matching
    assert ">2.00<" in matching
    assert 'id="statement-total">€4.00<' in text


def test_the_statement_shows_the_trace_with_what_was_missing(alice, settled):
    text = alice.get(reverse("web:statement", args=["2026-08"])).text
    trace = text.split('id="trace"')[1]
    # Alice had no PV of her own: Leader needs PV 20.00 (missing 20.00) and GV 30.00 (she had 50)
    cells = [
        re.findall(r"<td[^>]*>([^<]*)</td>", row)
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", trace, flags=re.S)
    ]
    assert ["Personal volume (PV)", "20.00", "0.00", "20.00"] in cells
    assert ["Group volume (GV)", "30.00", "50.00", "–"] in cells
    assert "Next rank: Leader." in trace


def test_clawbacks_name_the_return_that_caused_them(alice, settled):
    text = alice.get(reverse("web:statement", args=["2026-09"])).text
    claws = text.split('id="clawbacks-heading"')[1].split('id="trace"')[0]
    assert settled.refund.number in claws
    assert settled.carol_order.number in claws
    assert "(paid in 2026-08): -€2.00" in claws
    assert claws.count("-1.00") == 2  # unilevel and matching


def test_sources_outside_the_team_are_not_named(alice, settled):
    do_move(settled.team.carol, sponsor=settled.team.dave, reason="moved to Dave's team")
    text = alice.get(reverse("web:statement", args=["2026-08"])).text
    unilevel = text.split('id="bonus-unilevel"')[1].split("</table>")[0]
    assert "CAROL" not in unilevel
    assert "Carol" not in unilevel
    assert "members outside your team" in unilevel
    assert settled.carol_order.number in unilevel  # the order still explains the line


@pytest.mark.parametrize("code", ["2026-10", "2026-07", "NOPE", "2026-11"])
def test_periods_without_a_final_or_unknown_are_404(alice, code):
    for name in ("web:statement", "web:statement_csv", "web:statement_pdf"):
        assert alice.get(reverse(name, args=[code])).status_code == 404


def test_a_distributor_sees_only_their_own_statement(client, settled):
    client.force_login(settled.team.dave_user)
    text = client.get(reverse("web:statement", args=["2026-08"])).text
    assert 'id="statement-total">€0.00<' in text
    assert "CAROL" not in text
    assert settled.carol_order.number not in text
    csv_text = client.get(reverse("web:statement_csv", args=["2026-08"])).content.decode()
    assert settled.carol_order.number not in csv_text


def test_pages_need_a_member_login(client, settled):
    response = client.get(reverse("web:statement", args=["2026-08"]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(settled.team.staff_user)
    client.post("/accounts/two-factor/", {})  # not verified: staff are sent to confirm a code
    assert client.get(reverse("web:earnings")).status_code == 302


def test_the_csv_has_every_line_and_the_clawbacks(alice, settled):
    response = alice.get(reverse("web:statement_csv", args=["2026-09"]))
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="statement-ALICE-2026-09.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    commissions = [(r["bonus"], r["amount"]) for r in rows if r["kind"] == "commission"]
    assert commissions == [("unilevel", "4.00")]
    clawbacks = sorted(
        (r["bonus"], r["amount"], r["return"]) for r in rows if r["kind"] == "clawback"
    )
    assert clawbacks == [
        ("matching", "-1.00", settled.refund.number),
        ("unilevel", "-1.00", settled.refund.number),
    ]
    assert rows[-1]["kind"] == "total"
    assert rows[-1]["amount"] == "4.00"


def test_the_pdf_is_a_pdf_with_the_statement(alice, settled):
    from pypdf import PdfReader

    response = alice.get(reverse("web:statement_pdf", args=["2026-08"]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Statement 2026-08" in text
    assert "€4.00" in text
    # the PDF has the subtotal of each bonus's levels with their line counts, not the lines
    assert "unilevel: €2.00 · 1 line" in text
    assert "matching: €2.00 · 1 line" in text
    assert settled.carol_order.number not in text


def test_the_earnings_page_shows_wallet_statements_ledger_and_payouts(alice, settled):
    team = settled.team
    PayoutProfile.objects.create(
        distributor=team.alice,
        account_holder="Alice Adams",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        tax_id="DE123",
    )
    from django.contrib.auth.models import Group

    from downline.accounts.actions import do_create_user

    maker = do_create_user("maker", password=PASSWORD, staff=True)
    checker = do_create_user("checker", password=PASSWORD, staff=True)
    for login in (maker, checker):  # money moves only by finance or admin staff
        login.groups.add(Group.objects.get(name="finance"))
    batch = do_create_payout_batch("EUR", minimum=100, actor=maker)
    do_approve_payout_batch(batch, actor=checker)
    do_mark_batch_paid(batch, actor=checker)
    text = alice.get(reverse("web:earnings")).text
    # Aug 4.00 + Sep 4.00 − clawbacks 2.00 = 6.00 paid out; the wallet is empty now
    assert 'id="net-EUR"><strong>0.00<' in text
    assert reverse("web:statement", args=["2026-08"]) in text
    assert reverse("web:statement", args=["2026-09"]) in text
    assert f"#{batch.pk}" in text
    assert "6.00 EUR" in text
    ledger = text.split('id="ledger-heading"')[1]
    assert "-6.00 EUR" in ledger
    assert "4.00 EUR" in ledger
