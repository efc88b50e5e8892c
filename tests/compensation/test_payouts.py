"""Payout batches: holds, second-person approval, exports, paid once, failed payouts."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from downline.compensation.runs import do_run_final
from downline.genealogy.models import Distributor
from downline.ledger.checks import violations
from downline.ledger.models import Account
from downline.ledger.selectors import balance
from downline.payouts.actions import (
    PayoutError,
    do_approve_payout_batch,
    do_create_payout_batch,
    do_export_payout_batch,
    do_mark_batch_paid,
    do_mark_payout_failed,
    do_submit_payout_batch,
)
from downline.payouts.instructions import Debtor, PayoutFileError
from downline.payouts.models import PayoutHold, PayoutProfile

from .conftest import at

DEBTOR = Debtor("Downline GmbH", "DE89370400440532013000", "COBADEFFXXX")


@pytest.fixture
def staff(django_user_model):
    """Two finance staff logins (money moves only by finance or admin staff)."""
    from django.contrib.auth.models import Group

    logins = (
        django_user_model.objects.create(username="maker", is_staff=True),
        django_user_model.objects.create(username="checker", is_staff=True),
    )
    for login in logins:
        login.groups.add(Group.objects.get(name="finance"))
    return logins


@pytest.fixture
def earned(world):
    """September pays A 3.00, R 3.00, B 101.50 (see test_runs)."""
    world.order("B", 3, at(2026, 9, 10))
    do_run_final(world.period("2026-09"))
    PayoutProfile.objects.create(
        distributor=world["B"],
        account_holder="Bożena Müller-Щукина",
        iban="PL61109010140000071219812874",
        bic="WBKPPLPP",
        tax_id="PL-1",
    )
    PayoutProfile.objects.create(
        distributor=world["A"], account_holder="A", iban="DE00 1234", tax_id="x"
    )
    PayoutProfile.objects.create(
        distributor=world["R"],
        account_holder="R",
        iban="DE89370400440532013000",
        tax_id="",
    )
    return world


def test_a_batch_pays_balances_over_the_minimum_and_lists_holds(earned, staff):
    batch = do_create_payout_batch("EUR", minimum=200, actor=staff[0])
    assert [(p.distributor.member_id, p.amount) for p in batch.payouts.all()] == [("B", 10150)]
    holds = {h.distributor.member_id: h.reason for h in batch.holds.all()}
    assert holds == {
        "A": PayoutHold.Reason.MISSING_BANK_DETAILS,
        "R": PayoutHold.Reason.MISSING_TAX_DETAILS,
    }
    assert balance(earned["B"], "EUR").wallet == 0  # reserved in clearing
    clearing = Account.objects.get(kind=Account.Kind.PAYOUTS_CLEARING)
    assert clearing.normal_balance == 10150
    assert violations() == []


def test_suspended_and_compliance_holds(earned, staff):
    Distributor.objects.filter(pk=earned["B"].pk).update(status=Distributor.Status.SUSPENDED)
    # A and R are held too, so nobody could be paid: the batch is refused, naming the holds
    with pytest.raises(PayoutError, match="account suspended or terminated: 1"):
        do_create_payout_batch("EUR", minimum=200, actor=staff[0])


def test_approval_needs_a_second_person_and_paid_pays_once(earned, staff):
    maker, checker = staff
    batch = do_create_payout_batch("EUR", minimum=200, actor=maker)
    with pytest.raises(PayoutError, match="other than its creator"):
        do_approve_payout_batch(batch, actor=maker)
    with pytest.raises(PayoutError, match="must be approved"):
        do_mark_batch_paid(batch, actor=checker)
    do_approve_payout_batch(batch, actor=checker)
    sepa = do_export_payout_batch(
        batch,
        file_format="sepa",
        debtor=DEBTOR,
        execution_date=at(2026, 11, 25).date(),
        actor=checker,
    )
    assert b"<CtrlSum>101.50</CtrlSum>" in sepa
    assert b"Bozena Mueller-Shchukina" in sepa
    with pytest.raises(PayoutFileError, match="needs the paying account"):
        do_export_payout_batch(
            batch, file_format="sepa", execution_date=at(2026, 11, 25).date(), actor=checker
        )
    csv = do_export_payout_batch(
        batch, file_format="csv", execution_date=at(2026, 11, 25).date(), actor=checker
    )
    assert b"101.50" in csv
    do_mark_batch_paid(batch, actor=checker)
    bank = Account.objects.get(kind=Account.Kind.BANK)
    assert bank.balance == -10150
    with pytest.raises(PayoutError, match="never pays again"):
        do_mark_batch_paid(batch, actor=checker)
    bank.refresh_from_db()
    assert bank.balance == -10150
    assert violations() == []


def test_a_failed_payout_returns_its_money_to_the_wallet(earned, staff):
    maker, checker = staff
    batch = do_create_payout_batch("EUR", minimum=200, actor=maker)
    do_approve_payout_batch(batch, actor=checker)
    payout = batch.payouts.get()
    do_mark_payout_failed(payout, reason="account closed", actor=checker)
    assert balance(earned["B"], "EUR").wallet == 10150
    do_mark_batch_paid(batch, actor=checker)  # nothing pending: nothing posted to the bank
    assert not Account.objects.filter(kind=Account.Kind.BANK).exists()
    with pytest.raises(PayoutError, match="only a pending payout"):
        do_mark_payout_failed(payout, reason="again", actor=checker)
    assert violations() == []


def test_a_provider_submission_is_idempotent(earned, staff, tmp_path):
    maker, checker = staff
    batch = do_create_payout_batch("EUR", minimum=200, actor=maker)
    do_approve_payout_batch(batch, actor=checker)
    day = at(2026, 11, 25).date()
    first = do_submit_payout_batch(
        batch,
        provider="sepa-file",
        debtor=DEBTOR,
        execution_date=day,
        folder=tmp_path,
        actor=checker,
    )
    again = do_submit_payout_batch(
        batch,
        provider="sepa-file",
        debtor=DEBTOR,
        execution_date=day,
        folder=tmp_path,
        actor=checker,
    )
    assert first == again
    assert len(list(tmp_path.glob("*.xml"))) == 1
    assert batch.payouts.get().provider_reference == first[0].provider_reference


@pytest.mark.usefixtures("staff")
def test_the_payouts_command_runs_a_batch_through(earned, tmp_path, capsys):
    call_command("payouts", "create", "--minimum", "2.00", "--user", "maker")
    out = capsys.readouterr().out
    assert "1 payouts, 101.50 EUR; 2 held." in out
    assert "hold A: missing or invalid bank details" in out
    batch_id = earned["B"].payouts.get().batch_id
    call_command("payouts", "approve", "--batch", str(batch_id), "--user", "checker")
    target = tmp_path / "batch.csv"
    call_command(
        "payouts", "export", "--batch", str(batch_id), "--out", str(target), "--user", "checker"
    )
    assert b"101.50" in target.read_bytes()
    call_command("payouts", "mark-paid", "--batch", str(batch_id), "--user", "checker")
    assert "is paid." in capsys.readouterr().out
    with pytest.raises(CommandError, match="never pays again"):
        call_command("payouts", "mark-paid", "--batch", str(batch_id), "--user", "checker")
