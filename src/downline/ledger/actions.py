"""Adjustments by finance staff: a credit or debit of one distributor's balance.

Rules: an amount (non-zero integer minor units), a reason and a reference are required; the
adjustment posts at once (adjustments account against the distributor's wallet, netted with
what they owe, see ``posting``); it is never edited or deleted. ``do_undo_adjustment`` posts a
counter-adjustment of the opposite amount that names the original; an adjustment is undone at
most once, and a counter-adjustment cannot itself be undone.
"""

from __future__ import annotations

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.genealogy.models import Distributor

from .models import Account, Adjustment, Transaction
from .posting import Entries, LedgerError, company_account, distributor_entries, post


def _post_adjustment(
    distributor: Distributor,
    amount: int,
    currency: str,
    *,
    kind: str,
    memo: str,
    actor: User | None,
    idempotency_key: str | None,
) -> Transaction:
    entries, counter = distributor_entries(np.array([distributor.pk]), np.array([amount]), currency)
    account = company_account(Account.Kind.ADJUSTMENTS, currency)
    return post(
        kind,
        memo,
        Entries.join(entries, Entries(np.array([account.pk]), np.array([-counter]))),
        actor=actor,
        idempotency_key=idempotency_key,
        currency=currency,
    )


@transaction.atomic
def do_adjust_balance(
    distributor: Distributor,
    amount: int,
    *,
    currency: str,
    reason: str,
    reference: str,
    actor: User | None,
    idempotency_key: str | None = None,
) -> Adjustment:
    """Credit (``amount`` > 0) or debit (< 0) ``distributor``'s balance."""
    if idempotency_key:
        existing = Adjustment.objects.filter(transaction__idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise LedgerError(
            _("An adjustment needs a non-zero amount in minor units."), field="amount"
        )
    reason, reference = (reason or "").strip(), (reference or "").strip()
    if not reason:
        raise LedgerError(_("An adjustment needs a reason."), field="reason")
    if not reference:
        raise LedgerError(_("An adjustment needs a reference."), field="reference")
    if not currency or len(currency) > 16:
        raise LedgerError(_("An adjustment needs a currency."), field="currency")
    record = _post_adjustment(
        distributor,
        amount,
        currency,
        kind=Transaction.Kind.ADJUSTMENT,
        memo=f"Adjustment of {distributor.member_id}: {reference}",
        actor=actor,
        idempotency_key=idempotency_key,
    )
    return Adjustment.objects.create(
        distributor=distributor,
        currency=currency,
        amount=amount,
        reason=reason,
        reference=reference,
        created_by=actor,
        transaction=record,
    )


@transaction.atomic
def do_undo_adjustment(adjustment: Adjustment, *, reason: str, actor: User | None) -> Adjustment:
    """Post the counter-adjustment of ``adjustment`` (once)."""
    original = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
    if original.reverses_id is not None:
        raise LedgerError(
            _("Adjustment #%(id)s undoes another one; it cannot be undone.") % {"id": original.pk}
        )
    if Adjustment.objects.filter(reverses=original).exists():
        raise LedgerError(_("Adjustment #%(id)s is undone already.") % {"id": original.pk})
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Undoing an adjustment needs a reason."), field="reason")
    distributor = original.distributor
    record = _post_adjustment(
        distributor,
        -original.amount,
        original.currency,
        kind=Transaction.Kind.ADJUSTMENT_REVERSAL,
        memo=f"Undo adjustment #{original.pk} of {distributor.member_id}",
        actor=actor,
        idempotency_key=f"undo-adjustment:{original.pk}",
    )
    return Adjustment.objects.create(
        distributor=distributor,
        currency=original.currency,
        amount=-original.amount,
        reason=reason,
        reference=original.reference,
        created_by=actor,
        reverses=original,
        transaction=record,
    )
