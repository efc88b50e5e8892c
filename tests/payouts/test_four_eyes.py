"""Four eyes on every movement of money, each attack of the security review replayed.

* A finance login that is also a distributor credited its own wallet 5,000 EUR: nobody adjusts
  their own balance, and an adjustment above ``DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT`` waits for a
  second finance or admin staff member, who approves (posts) or rejects it with a reason.
* ``downline payouts approve --user jonas`` accepted a distributor as approver: every payout
  action names an active finance or admin login, on the command line too (exit 2 otherwise).
* A batch created without ``--user`` had no creator, so anyone could approve it: a batch
  always has its creator, and one without (older data) cannot be approved.
* Nobody approves, exports or marks paid a batch that pays their own distributor account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.accounts.models import User
from downline.cli import main as downline_main
from downline.ledger.actions import (
    do_adjust_balance,
    do_approve_adjustment_request,
    do_reject_adjustment_request,
    do_request_adjustment,
    do_undo_adjustment,
)
from downline.ledger.models import Adjustment, AdjustmentRequest
from downline.ledger.posting import LedgerError
from downline.ledger.selectors import balance
from downline.payouts.actions import (
    PayoutError,
    do_approve_payout_batch,
    do_create_payout_batch,
    do_export_payout_batch,
    do_mark_batch_paid,
    do_mark_payout_failed,
)
from downline.payouts.details import do_seed_payout_details
from downline.payouts.models import PayoutBatch

from .conftest import GOOD_IBAN, OTHER_IBAN, credit

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
ADJUSTMENTS = "web:console_adjustments"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def anna_finance(members) -> User:
    """ANNA's own login is also a finance staff login (the review's attacker)."""
    anna = members.anna_user
    anna.is_staff = True
    anna.save(update_fields=["is_staff"])
    anna.groups.add(Group.objects.get(name="finance"))
    return anna


def console(user: User) -> Client:
    """A client signed in as ``user`` with a confirmed one-time code."""
    client = Client()
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    assert client.post(reverse("web:two_factor"), {"code": f"{code:06d}"}).status_code == 302
    return client


def adjustment_form(member_id: str, amount: str) -> dict[str, str]:
    return {
        "member_id": member_id,
        "amount": amount,
        "currency": "EUR",
        "reason": "bonus",
        "reference": "T-1",
    }


# --------------------------------------------------------------------------- adjustments


@pytest.mark.parametrize("amount", ["5000.00", "10.00"])
def test_a_finance_login_cannot_credit_its_own_wallet(members, anna_finance, amount):
    response = console(anna_finance).post(reverse(ADJUSTMENTS), adjustment_form("ANNA", amount))
    assert response.status_code == 400
    assert "anna is the login of ANNA: nobody adjusts their own balance" in response.text
    assert balance(members.anna, "EUR").wallet == 0
    assert not Adjustment.objects.exists()
    assert not AdjustmentRequest.objects.exists()


def test_an_adjustment_above_the_limit_waits_for_a_second_staff_member(members):
    maker, checker = console(members.maker), console(members.checker)
    asked = maker.post(reverse(ADJUSTMENTS), adjustment_form("BEN", "600.00"))
    assert asked.status_code == 302
    pending = AdjustmentRequest.objects.get()
    assert (pending.status, pending.amount, pending.requested_by) == (
        "pending",
        60000,
        members.maker,
    )
    assert balance(members.ben, "EUR").wallet == 0  # nothing posted yet
    assert "waits for a second staff member" in maker.get(reverse(ADJUSTMENTS)).text

    own = maker.post(reverse(ADJUSTMENTS), {"request": pending.pk, "decision": "approve"})
    assert own.status_code == 400
    assert "must be decided by a staff member other than the one who asked" in own.text
    assert balance(members.ben, "EUR").wallet == 0

    approved = checker.post(reverse(ADJUSTMENTS), {"request": pending.pk, "decision": "approve"})
    assert approved.status_code == 302
    assert balance(members.ben, "EUR").wallet == 60000
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("approved", members.checker)
    adjustment = pending.adjustment
    assert (adjustment.amount, adjustment.created_by) == (60000, members.maker)
    assert adjustment.transaction.created_by == members.checker
    page = checker.get(reverse(ADJUSTMENTS)).text
    assert "approved and posted" in page

    again = checker.post(reverse(ADJUSTMENTS), {"request": pending.pk, "decision": "approve"})
    assert "is approved and posted already" in again.text
    assert balance(members.ben, "EUR").wallet == 60000


def test_a_rejected_request_needs_a_reason_and_posts_nothing(members):
    request = do_request_adjustment(
        members.ben, -90000, currency="EUR", reason="fraud", reference="T-9", actor=members.maker
    )
    checker = console(members.checker)
    bare = checker.post(reverse(ADJUSTMENTS), {"request": request.pk, "decision": "reject"})
    assert bare.status_code == 400
    assert "Rejecting an adjustment needs a reason." in bare.text
    rejected = checker.post(
        reverse(ADJUSTMENTS), {"request": request.pk, "decision": "reject", "reason": "no proof"}
    )
    assert rejected.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.rejection_reason) == (
        "rejected",
        members.checker,
        "no proof",
    )
    assert not Adjustment.objects.exists()
    with pytest.raises(LedgerError, match="is rejected already"):
        do_approve_adjustment_request(request, actor=members.checker)


def test_no_single_person_posts_above_the_limit_through_the_action(members):
    with pytest.raises(LedgerError, match=r"above 500\.00 EUR need a second staff member"):
        do_adjust_balance(
            members.ben, 50001, currency="EUR", reason="r", reference="T", actor=members.maker
        )
    with pytest.raises(LedgerError, match=r"above 500\.00 EUR need a second staff member"):
        do_adjust_balance(
            members.ben, -60000, currency="EUR", reason="r", reference="T", actor=None
        )
    small = do_adjust_balance(
        members.ben, 50000, currency="EUR", reason="r", reference="T", actor=members.maker
    )
    assert balance(members.ben, "EUR").wallet == 50000
    assert small.created_by == members.maker


def test_the_limit_is_a_setting(members, settings):
    settings.DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT = 100_000
    response = console(members.maker).post(reverse(ADJUSTMENTS), adjustment_form("BEN", "600.00"))
    assert response.status_code == 302
    assert balance(members.ben, "EUR").wallet == 60000
    assert not AdjustmentRequest.objects.exists()


def test_nobody_approves_an_adjustment_of_their_own_wallet(members, anna_finance):
    request = do_request_adjustment(
        members.anna, 500000, currency="EUR", reason="r", reference="T", actor=members.maker
    )
    with pytest.raises(LedgerError, match="nobody adjusts their own balance"):
        do_approve_adjustment_request(request, actor=anna_finance)
    with pytest.raises(LedgerError, match="nobody adjusts their own balance"):
        do_reject_adjustment_request(request, reason="mine", actor=anna_finance)
    request.refresh_from_db()
    assert request.status == "pending"
    assert balance(members.anna, "EUR").wallet == 0


def test_a_distributor_or_a_support_login_moves_no_money(members):
    support = members.checker
    support.groups.set([Group.objects.get(name="support")])
    for login in (members.ben_user, support):
        with pytest.raises(LedgerError, match="may not move money"):
            do_request_adjustment(
                members.anna, 100, currency="EUR", reason="r", reference="T", actor=login
            )
        with pytest.raises(LedgerError, match="may not move money"):
            do_adjust_balance(
                members.anna, 100, currency="EUR", reason="r", reference="T", actor=login
            )
    assert not Adjustment.objects.exists()


def test_undoing_a_large_adjustment_also_needs_a_second_person(members):
    request = do_request_adjustment(
        members.ben, -80000, currency="EUR", reason="penalty", reference="T", actor=members.maker
    )
    adjustment = do_approve_adjustment_request(request, actor=members.checker)
    with pytest.raises(LedgerError, match="need a second staff member"):
        do_undo_adjustment(adjustment, reason="forgive", actor=members.checker)
    assert balance(members.ben, "EUR").net == -80000


# --------------------------------------------------------------------------- payout batches


@pytest.fixture
def batch(members) -> PayoutBatch:
    """A draft drawn by ``maker`` that pays ANNA 50.00 and BEN 30.00."""
    credit(members.anna, 5000)
    credit(members.ben, 3000, reference="T2")
    do_seed_payout_details(
        [
            (members.anna, "Anna Adler", GOOD_IBAN, "", "T", T0 - timedelta(days=8)),
            (members.ben, "Ben Brandt", OTHER_IBAN, "", "T", T0 - timedelta(days=8)),
        ]
    )
    return do_create_payout_batch("EUR", minimum=100, actor=members.maker)


def test_nobody_approves_exports_or_pays_a_batch_that_pays_themselves(members, anna_finance, batch):
    with pytest.raises(PayoutError, match="pays ANNA, the distributor of anna"):
        do_approve_payout_batch(batch, actor=anna_finance)
    assert PayoutBatch.objects.get().status == "draft"
    do_approve_payout_batch(batch, actor=members.checker)
    with pytest.raises(PayoutError, match="another staff member must act on it"):
        do_export_payout_batch(
            batch, file_format="csv", execution_date=T0.date(), actor=anna_finance
        )
    with pytest.raises(PayoutError, match="another staff member must act on it"):
        do_mark_batch_paid(batch, actor=anna_finance)
    with pytest.raises(PayoutError, match="another staff member must act on it"):
        do_mark_payout_failed(
            batch.payouts.get(distributor=members.anna), reason="closed", actor=anna_finance
        )
    assert PayoutBatch.objects.get().status == "approved"
    do_mark_batch_paid(batch, actor=members.checker)
    assert PayoutBatch.objects.get().status == "paid"


def test_the_console_refuses_approval_by_the_paid_staff_member(members, anna_finance, batch):
    response = console(anna_finance).post(reverse("web:console_batch_approve", args=[batch.pk]))
    assert response.status_code == 302
    assert PayoutBatch.objects.get().status == "draft"


def test_a_batch_without_a_creator_cannot_be_approved(members, batch):
    PayoutBatch.objects.filter(pk=batch.pk).update(created_by=None)  # as older versions stored it
    with pytest.raises(PayoutError, match="has no recorded creator"):
        do_approve_payout_batch(batch, actor=members.checker)
    with pytest.raises(PayoutError, match="Name the staff member"):
        do_create_payout_batch("EUR", minimum=100, actor=None)


# --------------------------------------------------------------------------- command line


def test_the_payouts_command_names_a_staff_actor_always(members, batch, capsys):
    with pytest.raises(CommandError, match="payouts approve moves money: name the staff member"):
        call_command("payouts", "approve", "--batch", str(batch.pk))
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("payouts", "approve", "--batch", str(batch.pk), "--user", "nobody")
    with pytest.raises(CommandError, match="ben may not move money"):
        call_command("payouts", "approve", "--batch", str(batch.pk), "--user", "ben")
    for action in ("create", "export", "mark-paid", "cancel"):
        with pytest.raises(CommandError, match="name the staff member acting with --user"):
            call_command("payouts", action, "--batch", str(batch.pk))
    assert PayoutBatch.objects.get().status == "draft"
    assert downline_main(["payouts", "approve", "--batch", str(batch.pk), "--user", "ben"]) == 2
    assert "ben may not move money" in capsys.readouterr().err
    call_command("payouts", "approve", "--batch", str(batch.pk), "--user", "checker")
    assert PayoutBatch.objects.get().status == "approved"


def test_a_final_run_from_the_command_line_names_a_finance_or_admin_login(members):
    with pytest.raises(CommandError, match="name the staff member running it with --user"):
        call_command("run_period", "final", "--period", "2026-06")
    with pytest.raises(CommandError, match="ben may not move money"):
        call_command("run_period", "final", "--period", "2026-06", "--user", "ben")
