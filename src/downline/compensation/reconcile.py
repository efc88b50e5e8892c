"""Commissions reconcile with the ledger: the checks ``downline ledger check`` runs for this app.

Registered on the ``core.hooks.LEDGER_CHECKS`` hook (``apps.py``), so the ledger's own check
(``ledger.checks.violations``) covers them without importing compensation:

4. Each final run's total paid equals the sum of its commission lines (the totals of its line
   blocks) and what its transaction posted to commission expense; ``deep=True`` also unpacks
   every block and checks that its lines sum to its total.
5. Each clawback's amount equals the sum of its lines and what its transaction posted to
   commission expense (negated).
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from downline.ledger.models import Account, Entry, Transaction

from .line_blocks import unpack
from .models import Clawback, CommissionLine, LineBlock, Run

ENTRY = Entry._meta.db_table
ACCOUNT = Account._meta.db_table
TRANSACTION = Transaction._meta.db_table
LINE = CommissionLine._meta.db_table
BLOCK = LineBlock._meta.db_table


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _expense_posted(column: str) -> dict[int, int]:
    """Σ of commission-expense entries per transaction, keyed by ``column`` of the transaction."""
    return dict(
        _rows(
            f"""SELECT t.{column}, SUM(e.amount) FROM {ENTRY} e
                JOIN {TRANSACTION} t ON t.id = e.transaction_id
                JOIN {ACCOUNT} a ON a.id = e.account_id
                WHERE a.kind = %s AND t.{column} IS NOT NULL GROUP BY t.{column}""",
            [Account.Kind.COMMISSION_EXPENSE.value],
        )
    )


def _block_violations() -> list[str]:
    found = []
    for block_id, run_id, recipient, lines, amount, data in LineBlock.objects.values_list(
        "pk", "run_id", "recipient_id", "lines", "amount", "data"
    ).iterator(chunk_size=10_000):
        records = unpack(data)
        if len(records) != lines or int(records["amount"].sum()) != amount:
            found.append(
                _(
                    "The lines of recipient #%(recipient)s in run #%(run)s (block #%(block)s) "
                    "do not add up to the block's total %(amount)s."
                )
                % {"recipient": recipient, "run": run_id, "block": block_id, "amount": amount}
            )
    return found


def ledger_violations(*, deep: bool = False) -> list[str]:
    """One sentence per run or clawback that does not reconcile with its lines and postings."""
    found: list[str] = _block_violations() if deep else []
    line_totals = dict(_rows(f"SELECT run_id, SUM(amount) FROM {BLOCK} GROUP BY run_id"))
    posted = _expense_posted("run_id")
    for run in Run.objects.filter(kind=Run.Kind.FINAL).select_related("period"):
        lines = int(line_totals.get(run.pk, 0))
        expense = int(posted.get(run.pk, 0))
        if lines != run.total_paid or expense != run.total_paid:
            found.append(
                _(
                    "Final run #%(run)s of %(period)s paid %(total)s, but its lines sum to "
                    "%(lines)s and it posted %(posted)s to commission expense."
                )
                % {
                    "run": run.pk,
                    "period": run.period.code,
                    "total": run.total_paid,
                    "lines": lines,
                    "posted": expense,
                }
            )
    claw_lines = dict(_rows(f"SELECT clawback_id, SUM(amount) FROM {LINE} GROUP BY clawback_id"))
    posted_by_transaction = dict(
        _rows(
            f"""SELECT e.transaction_id, SUM(e.amount) FROM {ENTRY} e
                JOIN {ACCOUNT} a ON a.id = e.account_id
                WHERE a.kind = %s GROUP BY e.transaction_id""",
            [Account.Kind.COMMISSION_EXPENSE.value],
        )
    )
    for clawback in Clawback.objects.select_related("return_order"):
        lines = int(claw_lines.get(clawback.pk, 0))
        expense = int(posted_by_transaction.get(clawback.ledger_transaction_id, 0))
        if lines != clawback.amount or expense != clawback.amount:
            found.append(
                _(
                    "Clawback #%(id)s of return %(order)s took back %(amount)s, but its lines "
                    "sum to %(lines)s and it posted %(posted)s to commission expense."
                )
                % {
                    "id": clawback.pk,
                    "order": clawback.return_order.number,
                    "amount": clawback.amount,
                    "lines": lines,
                    "posted": expense,
                }
            )
    return found
