"""Adjustments by finance staff: a credit or debit of one distributor's balance.

Rules: an amount (non-zero integer minor units, at most ``core.limits.max_money`` either way),
a reason and a reference are required; the adjustment posts at once (adjustments account
against the distributor's wallet, netted with what they owe, see ``posting``); it is never
edited or deleted. ``do_undo_adjustment`` posts a
counter-adjustment of the opposite amount that names the original; an adjustment is undone at
most once, and a counter-adjustment cannot itself be undone.

Four eyes (see ``accounts.staff``):

* a named actor is an active staff login with the finance or admin role, and never adjusts (or
  undoes an adjustment of, or requests or approves one for) the distributor their own login
  belongs to;
* an amount above :func:`approval_limit` (``DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT`` minor units,
  either way), counted together with what the same actor posted alone to the same distributor
  in the same currency during the last 24 hours (absolute values, undos included:
  :func:`needs_approval`), is never posted by one person: ``do_request_adjustment`` records a pending
  :class:`~downline.ledger.models.AdjustmentRequest`; ``do_approve_adjustment_request`` by a
  *different* finance or admin login posts it through ``do_adjust_balance``;
  ``do_reject_adjustment_request`` closes it with a reason. Undoing an adjustment above the
  limit is refused: it is asked for as a new request of the opposite amount;
* ``actor=None`` stands for the platform itself (fixtures, data imports) and is allowed only up
  to the limit; every console and command-line path names its staff member.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.accounts.staff import money_actor_problem
from downline.core.limits import check_money
from downline.core.phrases import Phrase
from downline.genealogy.models import Distributor
from downline.money import format_decimal, minor_units

from . import memos
from .models import Account, Adjustment, AdjustmentRequest, Transaction
from .posting import Entries, LedgerError, company_account, distributor_entries, post


def _post_adjustment(
    distributor: Distributor,
    amount: int,
    currency: str,
    *,
    kind: str,
    memo: Phrase,
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


def approval_limit() -> int:
    """The largest adjustment (either way, in minor units of its currency) one staff member may
    post alone: ``DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT``."""
    return int(settings.DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT)


APPROVAL_WINDOW = timedelta(hours=24)


def recent_direct_total(actor: User | None, distributor: Distributor, currency: str) -> int:
    """The sum of absolute amounts of the adjustments (and undos) ``actor`` posted alone, that is
    without an approved request, to ``distributor`` in ``currency`` within the last
    ``APPROVAL_WINDOW``; 0 for the platform (``actor=None``)."""
    if actor is None:
        return 0
    amounts = Adjustment.objects.filter(
        created_by=actor,
        distributor=distributor,
        currency=currency,
        created_at__gte=timezone.now() - APPROVAL_WINDOW,
        request__isnull=True,
    ).values_list("amount", flat=True)
    return sum(abs(amount) for amount in amounts)


def needs_approval(
    amount: int,
    *,
    actor: User | None = None,
    distributor: Distributor | None = None,
    currency: str = "",
) -> bool:
    """An adjustment of ``amount`` needs a second staff member's approval: when its absolute
    value plus :func:`recent_direct_total` of the same actor, distributor and currency is above
    the approval limit (so ten adjustments of 499.99 EUR cannot pass one by one)."""
    recent = recent_direct_total(actor, distributor, currency) if distributor is not None else 0
    return abs(amount) + recent > approval_limit()


def check_adjuster(actor: User | None, distributor: Distributor) -> None:
    """Refuse a named ``actor`` who may not move money, or whose own wallet this is."""
    if actor is None:
        return
    problem = money_actor_problem(actor)
    if problem:
        raise LedgerError(problem)
    if distributor.user_id is not None and distributor.user_id == actor.pk:
        raise LedgerError(
            _(
                "%(user)s is the login of %(member)s: nobody adjusts their own balance; "
                "another staff member must do it."
            )
            % {"user": actor.username, "member": distributor.member_id}
        )


def _validated(amount: int, currency: str, reason: str, reference: str) -> tuple[str, str]:
    """``(reason, reference)`` stripped, once the amount, texts and currency are acceptable."""
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
    check_money(amount, currency, field="amount", label=_("Adjustment amount"), error=LedgerError)
    return reason, reference


def _limit_message(currency: str) -> str:
    return _(
        "Adjustments above %(limit)s %(currency)s need a second staff member (counting what "
        "you posted alone for this member in the last 24 hours): submit it as a request for "
        "approval."
    ) % {"limit": format_decimal(approval_limit(), minor_units(currency)), "currency": currency}


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
    approved: AdjustmentRequest | None = None,
) -> Adjustment:
    """Credit (``amount`` > 0) or debit (< 0) ``distributor``'s balance. Above the approval
    limit only with ``approved``: the request ``actor`` has just approved
    (``do_approve_adjustment_request``)."""
    if idempotency_key:
        existing = Adjustment.objects.filter(transaction__idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    reason, reference = _validated(amount, currency, reason, reference)
    check_adjuster(actor, distributor)
    if approved is not None:
        if not (
            approved.status == AdjustmentRequest.Status.APPROVED
            and approved.adjustment_id is None
            and actor is not None
            and approved.decided_by_id == actor.pk
            and approved.requested_by_id != actor.pk
            and (approved.distributor_id, approved.amount, approved.currency)
            == (distributor.pk, amount, currency)
        ):
            raise LedgerError(_("This adjustment does not match an approval of a second person."))
    elif needs_approval(amount, actor=actor, distributor=distributor, currency=currency):
        raise LedgerError(_limit_message(currency), field="amount")
    record = _post_adjustment(
        distributor,
        amount,
        currency,
        kind=Transaction.Kind.ADJUSTMENT,
        memo=memos.memo(memos.ADJUSTMENT, member=distributor.member_id, reference=reference),
        actor=actor,
        idempotency_key=idempotency_key,
    )
    return Adjustment.objects.create(
        distributor=distributor,
        currency=currency,
        amount=amount,
        reason=reason,
        reference=reference,
        created_by=approved.requested_by if approved is not None else actor,
        transaction=record,
    )


@transaction.atomic
def do_request_adjustment(
    distributor: Distributor,
    amount: int,
    *,
    currency: str,
    reason: str,
    reference: str,
    actor: User,
) -> AdjustmentRequest:
    """Record an adjustment that waits for a second staff member's approval (any amount may be
    asked for this way; above the approval limit it is the only way)."""
    reason, reference = _validated(amount, currency, reason, reference)
    problem = money_actor_problem(actor)
    if problem:
        raise LedgerError(problem)
    check_adjuster(actor, distributor)
    return AdjustmentRequest.objects.create(
        distributor=distributor,
        currency=currency,
        amount=amount,
        reason=reason,
        reference=reference,
        requested_by=actor,
    )


def _pending(request: AdjustmentRequest) -> AdjustmentRequest:
    locked = AdjustmentRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != AdjustmentRequest.Status.PENDING:
        raise LedgerError(
            _("Adjustment request #%(id)s is %(status)s already.")
            % {"id": locked.pk, "status": locked.get_status_display()}
        )
    return locked


def _check_decider(locked: AdjustmentRequest, actor: User) -> None:
    problem = money_actor_problem(actor)
    if problem:
        raise LedgerError(problem)
    if locked.requested_by_id == actor.pk:
        raise LedgerError(
            _(
                "Adjustment request #%(id)s must be decided by a staff member other than the one "
                "who asked for it."
            )
            % {"id": locked.pk}
        )
    check_adjuster(actor, locked.distributor)


@transaction.atomic
def do_approve_adjustment_request(request: AdjustmentRequest, *, actor: User) -> Adjustment:
    """A second finance or admin login approves a pending request: it is posted at once."""
    locked = _pending(request)
    _check_decider(locked, actor)
    locked.status = AdjustmentRequest.Status.APPROVED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    adjustment = do_adjust_balance(
        locked.distributor,
        locked.amount,
        currency=locked.currency,
        reason=locked.reason,
        reference=locked.reference,
        actor=actor,
        idempotency_key=f"adjustment-request:{locked.pk}",
        approved=locked,
    )
    locked.adjustment = adjustment
    locked.save(update_fields=["status", "decided_by", "decided_at", "adjustment"])
    return adjustment


@transaction.atomic
def do_reject_adjustment_request(
    request: AdjustmentRequest, *, reason: str, actor: User
) -> AdjustmentRequest:
    """A second finance or admin login rejects a pending request, saying why; nothing posts."""
    locked = _pending(request)
    _check_decider(locked, actor)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Rejecting an adjustment needs a reason."), field="reason")
    locked.status = AdjustmentRequest.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.rejection_reason = reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    return locked


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
    check_adjuster(actor, distributor)
    if needs_approval(
        original.amount, actor=actor, distributor=distributor, currency=original.currency
    ):
        raise LedgerError(_limit_message(original.currency), field="amount")
    record = _post_adjustment(
        distributor,
        -original.amount,
        original.currency,
        kind=Transaction.Kind.ADJUSTMENT_REVERSAL,
        memo=memos.memo(
            memos.ADJUSTMENT_UNDONE, adjustment=original.pk, member=distributor.member_id
        ),
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
