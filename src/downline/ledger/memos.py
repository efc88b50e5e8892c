"""The memos the platform writes on ledger transactions, as phrase keys (see
:mod:`downline.core.phrases`): stored as key and parameters, shown in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from downline.core.phrases import Phrase, register

COMMISSIONS = register(
    "ledger.commissions", gettext_noop("Commissions of %(period)s (final run #%(run)s)")
)
CLAWBACK = register(
    "ledger.clawback",
    gettext_noop("Clawback of return %(refund)s of order %(order)s (final run of %(period)s)"),
)
ADJUSTMENT = register("ledger.adjustment", gettext_noop("Adjustment of %(member)s: %(reference)s"))
ADJUSTMENT_UNDONE = register(
    "ledger.adjustment_undone", gettext_noop("Undo adjustment #%(adjustment)s of %(member)s")
)
PAYOUT_BATCH_DRAWN = register(
    "ledger.payout_batch_drawn", gettext_noop("Payout batch #%(batch)s drawn")
)
PAYOUT_BATCH_PAID = register(
    "ledger.payout_batch_paid", gettext_noop("Payout batch #%(batch)s paid")
)
PAYOUT_BATCH_CANCELLED = register(
    "ledger.payout_batch_cancelled", gettext_noop("Payout batch #%(batch)s cancelled")
)
PAYOUT_FAILED = register("ledger.payout_failed", gettext_noop("Payout %(payout)s failed"))


def memo(key: str, **params: str | int) -> Phrase:
    """The memo ``key`` with ``params``, for ``ledger.posting.post``."""
    return Phrase(key, params)
