"""Ledger memos and history reasons the platform writes are stored as a key and parameters and
rendered in the reader's language (design rule 12); rows from before keys existed are
recognised from their English text; what a person typed is shown as written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
import time_machine
from django.db import transaction
from django.utils import translation

from downline.core.phrases import Phrase, recognise, render_stored
from downline.genealogy import reasons
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import StructureEvent
from downline.ledger import memos
from downline.ledger.actions import do_adjust_balance
from downline.ledger.models import Account, Transaction
from downline.ledger.posting import Entries, company_account, post
from downline.web.actions import do_join

NOW = datetime(2026, 10, 15, 12, tzinfo=UTC)


@pytest.fixture
def root(db):
    with time_machine.travel(NOW, tick=False):
        yield do_enroll(member_id="ROOT", sponsor=None, joined_on=date(2026, 1, 5), name="Rosa")


def test_a_phrase_renders_through_the_catalogue_of_each_language():
    phrase = memos.memo(memos.COMMISSIONS, period="2026-07", run=1)
    assert phrase.english() == "Commissions of 2026-07 (final run #1)"
    assert phrase.render("de") == "Provisionen für 2026-07 (Abschlusslauf #1)"
    assert phrase.render("pl") == "Prowizje za okres 2026-07 (naliczenie końcowe #1)"
    assert phrase.render("ru") == "Комиссионные за 2026-07 (окончательный расчёт #1)"
    with translation.override("de"):
        assert render_stored("ledger.commissions", {"period": "2026-07", "run": 1}, "") == (
            "Provisionen für 2026-07 (Abschlusslauf #1)"
        )


def test_an_unknown_key_is_refused_when_written():
    with pytest.raises(KeyError):
        Phrase("ledger.no_such_memo", {})


def test_an_old_english_text_is_recognised_and_rendered_other_text_is_kept():
    assert recognise("Imported from distributors.csv") == Phrase(
        reasons.IMPORTED, {"file": "distributors.csv"}
    )
    with translation.override("de"):
        assert render_stored(None, None, "Imported from distributors.csv") == (
            "Importiert aus distributors.csv"
        )
        assert render_stored(None, None, "Commissions of 2026-07 (final run #1)") == (
            "Provisionen für 2026-07 (Abschlusslauf #1)"
        )
        assert render_stored(None, None, "Sponsor asked for the move") == (
            "Sponsor asked for the move"
        )


def test_a_ledger_row_from_before_memo_keys_is_shown_in_the_reader_language(root):
    with transaction.atomic():
        wallet = Account.objects.create(kind=Account.Kind.WALLET, currency="EUR", distributor=root)
        expense = company_account(Account.Kind.COMMISSION_EXPENSE, "EUR")
        record = post(
            Transaction.Kind.COMMISSIONS,
            "Commissions of 2026-07 (final run #3)",  # how memos were written before keys
            Entries(np.array([wallet.pk, expense.pk]), np.array([-500, 500])),
            currency="EUR",
        )
    record = Transaction.objects.get(pk=record.pk)
    assert record.memo_key is None
    with translation.override("ru"):
        assert record.text == "Комиссионные за 2026-07 (окончательный расчёт #3)"


def test_an_adjustment_memo_keeps_its_key_and_parameters(root):
    adjustment = do_adjust_balance(
        root, 1500, currency="EUR", reason="Goodwill", reference="T-17", actor=None
    )
    record = adjustment.transaction
    assert (record.memo_key, record.memo_params) == (
        "ledger.adjustment",
        {"member": "ROOT", "reference": "T-17"},
    )
    assert record.memo == "Adjustment of ROOT: T-17"
    assert record.text == "Adjustment of ROOT: T-17"


def test_joining_by_a_referral_link_records_its_reason_as_a_key(root):
    with time_machine.travel(NOW, tick=False), translation.override("pl"):
        member = do_join(
            root, name="Piotr Nowak", email="piotr@example.com", password="x" * 16, language="pl"
        )
    event = StructureEvent.objects.get(distributor=member)
    assert (event.reason_key, event.reason_params) == (
        reasons.JOINED_BY_LINK,
        {"sponsor": "ROOT"},
    )
    assert event.reason == "Joined through the referral link of ROOT."  # not the writer's Polish
    with translation.override("de"):
        assert event.reason_text == "Über den Empfehlungslink von ROOT beigetreten."


def test_a_reason_a_person_typed_is_shown_as_written(root):
    with time_machine.travel(NOW, tick=False):
        member = do_enroll(
            member_id="M1", sponsor=root, joined_on=date(2026, 1, 5), reason="Moved from the fair"
        )
    event = StructureEvent.objects.get(distributor=member)
    assert event.reason_key is None
    with translation.override("de"):
        assert event.reason_text == "Moved from the fair"
