"""The ledger's guarantees: append-only, balanced, and ``ledger check`` names what is wrong."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from downline.compensation.runs import do_run_final
from downline.ledger.actions import do_adjust_balance, do_undo_adjustment
from downline.ledger.checks import violations
from downline.ledger.models import Account, Entry
from downline.ledger.posting import Entries, LedgerError, company_account, post
from downline.ledger.selectors import balance

from .conftest import at


@pytest.fixture
def posted(world):
    world.order("B", 3, at(2026, 9, 10))
    return world, do_run_final(world.period("2026-09"))


def tamper(entry: Entry, amount: int) -> None:
    """Change an entry behind the application's back (as an intruder with SQL would)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER USER")
            cursor.execute("UPDATE ledger_entry SET amount = %s WHERE id = %s", [amount, entry.pk])
            cursor.execute("ALTER TABLE ledger_entry ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER ledger_entry_append_only")
            cursor.execute("UPDATE ledger_entry SET amount = %s WHERE id = %s", [amount, entry.pk])


def test_entries_cannot_be_updated(posted):
    entry = Entry.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(amount=1)


def test_an_unbalanced_transaction_is_refused(posted):
    expense = company_account(Account.Kind.COMMISSION_EXPENSE, "EUR")
    with pytest.raises(LedgerError, match="does not balance"):
        post("adjustment", "bad", Entries(np.array([expense.pk]), np.array([100])), currency="EUR")


@pytest.mark.postgres
def test_the_database_refuses_an_unbalanced_insert(posted):
    expense = company_account(Account.Kind.COMMISSION_EXPENSE, "EUR")
    from downline.ledger.models import Transaction

    record = Transaction.objects.create(kind="adjustment", memo="raw")
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        Entry.objects.create(transaction=record, account=expense, amount=5)


def test_ledger_check_catches_a_tampered_entry(posted):
    assert violations() == []
    entry = Entry.objects.filter(account__kind=Account.Kind.WALLET).first()
    tamper(entry, entry.amount - 1)
    found = violations()
    assert any(f"Transaction #{entry.transaction_id} does not balance" in v for v in found)
    assert any(f"Account #{entry.account_id}" in v for v in found)
    with pytest.raises(SystemExit) as exit_info:
        call_command("ledger", "check")
    assert exit_info.value.code == 1


def test_the_ledger_check_command_exits_non_zero_naming_the_violation(tmp_path):
    """Through the real ``downline`` command on a file database."""
    env = {
        "DOWNLINE_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "DOWNLINE_SECRET_KEY": "ledger-check-test-key-" + "k" * 40,
    }
    script = (
        "import django, os;"
        "os.environ['DJANGO_SETTINGS_MODULE']='downline.settings.base';django.setup();"
        "from django.core.management import call_command;call_command('migrate',verbosity=0);"
        "from downline.ledger.models import Account, Transaction, Entry;"
        "a=Account.objects.create(kind='bank',currency='EUR');"
        "b=Account.objects.create(kind='adjustments',currency='EUR');"
        "t=Transaction.objects.create(kind='adjustment',memo='x');"
        "Entry.objects.create(transaction=t,account=a,amount=5);"
        "Entry.objects.create(transaction=t,account=b,amount=-4)"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "downline", "ledger", "check"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "does not balance" in done.stderr


def test_adjustments_post_and_are_undone_by_a_counter_entry(posted, django_user_model):
    world, _run = posted
    from django.contrib.auth.models import Group

    staff = django_user_model.objects.create(username="finance", is_staff=True)
    staff.groups.add(Group.objects.get(name="finance"))  # money moves only by finance or admin
    adjustment = do_adjust_balance(
        world["C"], 2500, currency="EUR", reason="late bonus", reference="T-17", actor=staff
    )
    assert balance(world["C"], "EUR").wallet == 2500
    undo = do_undo_adjustment(adjustment, reason="entered twice", actor=staff)
    assert undo.reverses == adjustment
    assert undo.amount == -2500
    assert balance(world["C"], "EUR").net == 0
    with pytest.raises(LedgerError, match="undone already"):
        do_undo_adjustment(adjustment, reason="again", actor=staff)
    with pytest.raises(LedgerError, match="reason"):
        do_adjust_balance(world["C"], 100, currency="EUR", reason=" ", reference="x", actor=staff)
    assert violations() == []
