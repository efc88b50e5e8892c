"""Payout batches: create, approve, export, submit, mark paid, cancel; failed payouts.

Rules:

* ``do_create_payout_batch``: every distributor whose wallet holds at least ``minimum`` in the
  currency is paid it all, unless a hold applies (checked in this order): account suspended or
  terminated, compliance hold, missing or invalid bank details (holder, IBAN, BIC), missing tax
  id, bank details changed less than the cooling-off period ago (``details.cooling_off_hold``).
  Distributors with a negative net balance (they owe a clawback) are listed as holds too. A
  batch that would pay nobody is refused (its message counts the holds by reason); nothing is
  written.
  Each payout's amount moves from the wallet to payouts clearing in the same transaction, so no
  other batch can draw it; each payout gets the idempotency key ``P<payout>-B<batch>``.
* ``do_approve_payout_batch``: a draft, by a staff member other than its creator.
* ``do_export_payout_batch``: an approved (or exported) batch as CSV or SEPA pain.001 bytes.
* ``do_submit_payout_batch``: hands an approved batch to a provider adapter
  (``providers.get_provider``); an instruction the provider fails is failed here (money back).
* ``do_mark_payout_failed``: a pending payout failed: its amount returns to the wallet.
* ``do_mark_batch_paid``: clearing → bank for every pending payout, once; a paid batch never
  pays again (a second call is refused and posts nothing).
* ``do_cancel_payout_batch``: a draft only; every amount returns to its wallet.
* A batch's ``count`` and ``total`` are its payouts that are pending or paid (what the batch
  pays): a failed or cancelled payout leaves them at once (``refresh_batch_totals``), so every
  list of batches shows what the batch pays now.

Four eyes (``accounts.staff``): every action names its actor, an active staff login with the
finance or admin role (no action runs with ``actor=None``); a batch without a recorded creator
cannot be approved (cancel it and draw it again); nobody approves, exports, submits or marks
paid a batch that pays the distributor their own login belongs to, nor fails their own payout.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import numpy as np
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.accounts.staff import money_actor_problem
from downline.core import events as outbox
from downline.core.errors import DownlineError
from downline.core.limits import check_money
from downline.core.phrases import Phrase
from downline.genealogy.models import Distributor
from downline.ledger import memos
from downline.ledger.models import Account, Transaction
from downline.ledger.posting import (
    Entries,
    company_account,
    distributor_account_ids,
    distributor_entries,
    lock_accounts,
    post,
)
from downline.money import format_decimal

from .bank_details import bic_problem, iban_problem
from .details import cooling_off_hold
from .files import payout_csv, sepa_pain001, without_controls
from .instructions import BatchFile, Debtor, PayoutInstruction, make_idempotency_key
from .models import Payout, PayoutBatch, PayoutHold, PayoutProfile
from .providers import SubmissionStatus, get_provider

Kind = Account.Kind


class PayoutError(DownlineError):
    """A payout request that the rules refuse."""


PAYING = (Payout.Status.PENDING, Payout.Status.PAID)


def check_payout_actor(actor: User | None) -> User:
    """``actor``, when they may act on payouts; else :class:`PayoutError` says why."""
    problem = money_actor_problem(actor)
    if problem or actor is None:
        raise PayoutError(problem or "")
    return actor


def _refuse_own_payout(batch: PayoutBatch, actor: User) -> None:
    """Nobody acts on a batch that pays their own distributor account."""
    own = (
        Payout.objects.filter(batch_id=batch.pk, distributor__user=actor, status__in=PAYING)
        .select_related("distributor")
        .first()
    )
    if own is not None:
        raise PayoutError(
            _(
                "Batch #%(batch)s pays %(member)s, the distributor of %(user)s: another staff "
                "member must act on it."
            )
            % {"batch": batch.pk, "member": own.distributor.member_id, "user": actor.username}
        )


def _locked(batch: PayoutBatch) -> PayoutBatch:
    return PayoutBatch.objects.select_for_update().get(pk=batch.pk)


def refresh_batch_totals(batch: PayoutBatch) -> PayoutBatch:
    """Store in ``batch`` the count and total of its payouts that are pending or paid."""
    figures = Payout.objects.filter(batch_id=batch.pk, status__in=PAYING).aggregate(
        count=Count("id"), total=Coalesce(Sum("amount"), 0)
    )
    batch.count, batch.total = figures["count"], figures["total"]
    PayoutBatch.objects.filter(pk=batch.pk).update(count=batch.count, total=batch.total)
    return batch


def _hold_reason(
    member: Distributor, profile: PayoutProfile | None, now: datetime
) -> tuple[str, str] | None:
    Reason = PayoutHold.Reason
    if member.status != Distributor.Status.ACTIVE:
        return Reason.SUSPENDED, member.get_status_display()
    if profile is not None and profile.compliance_hold:
        return Reason.COMPLIANCE, profile.compliance_note
    if profile is None or not profile.iban or not without_controls(profile.account_holder):
        return Reason.MISSING_BANK_DETAILS, _("No account holder or IBAN.")
    problem = iban_problem(profile.iban) or (bic_problem(profile.bic) if profile.bic else None)
    if problem:
        return Reason.MISSING_BANK_DETAILS, problem
    if not profile.tax_id.strip():
        return Reason.MISSING_TAX_DETAILS, _("No tax id.")
    cooling = cooling_off_hold(profile, now)
    if cooling:
        return Reason.COOLING_OFF, cooling
    return None


def _nobody_to_pay(currency: str, minimum: int, holds: list[PayoutHold]) -> PayoutError:
    """The refusal of a batch that would pay nobody, with the holds counted by reason."""
    amount = format_decimal(minimum, 2)
    if not holds:
        return PayoutError(
            _(
                "No batch was drafted: no wallet in %(currency)s holds at least %(minimum)s, "
                "so there is nothing to pay."
            )
            % {"currency": currency, "minimum": amount}
        )
    counts = Counter(hold.reason for hold in holds)
    labels = dict(PayoutHold.Reason.choices)
    reasons = "; ".join(f"{labels[reason]}: {count}" for reason, count in counts.most_common())
    return PayoutError(
        _(
            "No batch was drafted: every member who could be paid in %(currency)s is held "
            "(%(reasons)s). Resolve the holds first."
        )
        % {"currency": currency, "reasons": reasons}
    )


@transaction.atomic
def do_create_payout_batch(
    currency: str,
    *,
    minimum: int,
    actor: User | None,
    idempotency_key: str | None = None,
) -> PayoutBatch:
    """Draw a draft batch from the wallets in ``currency`` (see the module rules)."""
    if idempotency_key:
        existing = PayoutBatch.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum <= 0:
        raise PayoutError(
            _("The minimum payout must be a positive amount in minor units."), field="minimum"
        )
    check_money(
        minimum, currency, field="minimum", label=_("The minimum payout"), error=PayoutError
    )
    actor = check_payout_actor(actor)
    lock_accounts()
    batch = PayoutBatch.objects.create(
        currency=currency, minimum=minimum, created_by=actor, idempotency_key=idempotency_key
    )
    wallets = {
        distributor_id: -balance
        for distributor_id, balance in Account.objects.filter(
            kind=Kind.WALLET, currency=currency, balance__lte=-minimum
        ).values_list("distributor_id", "balance")
    }
    owing = dict(
        Account.objects.filter(
            kind=Kind.CLAWBACK_RECEIVABLE, currency=currency, balance__gt=0
        ).values_list("distributor_id", "balance")
    )
    members = Distributor.objects.in_bulk(set(wallets) | set(owing))
    profiles = {
        p.distributor_id: p for p in PayoutProfile.objects.filter(distributor_id__in=list(members))
    }
    holds: list[PayoutHold] = []
    payouts: list[Payout] = []
    now = timezone.now()
    for distributor_id in sorted(members):
        member = members[distributor_id]
        if distributor_id in owing:
            holds.append(
                PayoutHold(
                    batch=batch,
                    distributor=member,
                    balance=wallets.get(distributor_id, 0) - owing[distributor_id],
                    reason=PayoutHold.Reason.NEGATIVE_BALANCE,
                )
            )
            continue
        profile = profiles.get(distributor_id)
        hold = _hold_reason(member, profile, now)
        if hold is not None:
            holds.append(
                PayoutHold(
                    batch=batch,
                    distributor=member,
                    balance=wallets[distributor_id],
                    reason=hold[0],
                    detail=hold[1],
                )
            )
            continue
        payouts.append(
            Payout(
                batch=batch,
                distributor=member,
                amount=wallets[distributor_id],
                currency=currency,
                idempotency_key=f"new-{batch.pk}-{distributor_id}",
                account_holder=without_controls(profile.account_holder),
                iban=profile.iban,
                bic=profile.bic,
            )
        )
    if not payouts:
        raise _nobody_to_pay(currency, minimum, holds)
    PayoutHold.objects.bulk_create(holds)
    created = Payout.objects.bulk_create(payouts)
    for payout in created:
        payout.idempotency_key = make_idempotency_key(payout.pk, f"B{batch.pk}")
    Payout.objects.bulk_update(created, ["idempotency_key"])
    batch.count = len(created)
    batch.total = sum(p.amount for p in created)
    batch.save(update_fields=["count", "total"])
    _move(
        created,
        currency,
        Transaction.Kind.PAYOUT,
        memos.memo(memos.PAYOUT_BATCH_DRAWN, batch=batch.pk),
        actor,
        idempotency_key=f"payout-batch:{batch.pk}",
    )
    return batch


def _move(
    payouts: list[Payout],
    currency: str,
    kind: str,
    memo: Phrase,
    actor: User | None,
    *,
    idempotency_key: str | None = None,
) -> Transaction:
    """Wallets → clearing (``kind`` PAYOUT) for ``payouts``."""
    ids = np.array([p.distributor_id for p in payouts], dtype=np.int64)
    amounts = np.array([p.amount for p in payouts], dtype=np.int64)
    wallets = distributor_account_ids(Kind.WALLET, currency, ids)
    clearing = company_account(Kind.PAYOUTS_CLEARING, currency)
    return post(
        kind,
        memo,
        Entries.join(
            Entries(wallets, amounts), Entries(np.array([clearing.pk]), np.array([-amounts.sum()]))
        ),
        actor=actor,
        idempotency_key=idempotency_key,
        currency=currency,
    )


def _back_to_wallets(
    payouts: list[Payout], currency: str, kind: str, memo: Phrase, actor: User | None
) -> Transaction:
    """Clearing → wallets (netted with what each owes) for ``payouts``."""
    ids = np.array([p.distributor_id for p in payouts], dtype=np.int64)
    amounts = np.array([p.amount for p in payouts], dtype=np.int64)
    entries, counter = distributor_entries(ids, amounts, currency)
    clearing = company_account(Kind.PAYOUTS_CLEARING, currency)
    return post(
        kind,
        memo,
        Entries.join(entries, Entries(np.array([clearing.pk]), np.array([-counter]))),
        actor=actor,
        currency=currency,
    )


@transaction.atomic
def do_approve_payout_batch(batch: PayoutBatch, *, actor: User) -> PayoutBatch:
    locked = _locked(batch)
    if locked.status != PayoutBatch.Status.DRAFT:
        raise PayoutError(
            _("Batch #%(batch)s is %(status)s; only a draft can be approved.")
            % {"batch": locked.pk, "status": locked.get_status_display()}
        )
    actor = check_payout_actor(actor)
    if locked.created_by_id is None:
        raise PayoutError(
            _(
                "Batch #%(batch)s has no recorded creator, so nobody can be its second pair of "
                "eyes; cancel it and draw a new batch."
            )
            % {"batch": locked.pk}
        )
    if actor.pk == locked.created_by_id:
        raise PayoutError(
            _("Batch #%(batch)s must be approved by a staff member other than its creator.")
            % {"batch": locked.pk}
        )
    _refuse_own_payout(locked, actor)
    locked.status = PayoutBatch.Status.APPROVED
    locked.approved_by = actor
    locked.approved_at = timezone.now()
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    return locked


def batch_file(batch: PayoutBatch, debtor: Debtor | None, execution_date: date) -> BatchFile:
    """The pending payouts of ``batch`` as a file-format record."""
    payouts = list(batch.payouts.filter(status=Payout.Status.PENDING).select_related("distributor"))
    if not payouts:
        raise PayoutError(_("Batch #%(batch)s has no pending payouts.") % {"batch": batch.pk})
    return BatchFile(
        batch_id=f"B{batch.pk}",
        created_at=batch.created_at,
        debtor=debtor,
        execution_date=execution_date,
        instructions=tuple(
            PayoutInstruction(
                payout_id=p.pk,
                idempotency_key=p.idempotency_key,
                member_id=p.distributor.member_id,
                name=p.account_holder,
                iban=p.iban,
                bic=p.bic,
                amount=p.amount,
                currency=p.currency,
                reference=f"Commissions {p.distributor.member_id}",
            )
            for p in payouts
        ),
    )


def _approved(batch: PayoutBatch, doing: str) -> PayoutBatch:
    locked = _locked(batch)
    if locked.status not in (PayoutBatch.Status.APPROVED, PayoutBatch.Status.EXPORTED):
        raise PayoutError(
            _("Batch #%(batch)s is %(status)s; it must be approved before it is %(doing)s.")
            % {"batch": locked.pk, "status": locked.get_status_display(), "doing": doing}
        )
    return locked


@transaction.atomic
def do_export_payout_batch(
    batch: PayoutBatch,
    *,
    file_format: str,
    debtor: Debtor | None = None,
    execution_date: date,
    actor: User | None,
) -> bytes:
    """The batch as ``csv`` or ``sepa`` (pain.001) bytes; marks it exported."""
    actor = check_payout_actor(actor)
    locked = _approved(batch, _("exported"))
    _refuse_own_payout(locked, actor)
    if file_format == "sepa":
        content = sepa_pain001(batch_file(locked, debtor, execution_date))
    elif file_format == "csv":
        content = payout_csv(batch_file(locked, debtor, execution_date))
    else:
        raise PayoutError(_("Unknown payout file format %(format)r.") % {"format": file_format})
    if locked.status == PayoutBatch.Status.APPROVED:
        locked.status = PayoutBatch.Status.EXPORTED
        locked.exported_at = timezone.now()
        locked.save(update_fields=["status", "exported_at"])
    return content


@transaction.atomic
def do_submit_payout_batch(
    batch: PayoutBatch,
    *,
    provider: str,
    debtor: Debtor,
    execution_date: date,
    actor: User | None,
    **options,
) -> list:
    """Hand the batch's pending payouts to provider adapter ``provider``; payouts it fails are
    failed here (their money returns to the wallet). Idempotent through the payout keys."""
    actor = check_payout_actor(actor)
    locked = _approved(batch, _("submitted"))
    _refuse_own_payout(locked, actor)
    results = get_provider(provider, **options).submit(batch_file(locked, debtor, execution_date))
    by_key = {p.idempotency_key: p for p in locked.payouts.all()}
    for result in results:
        payout = by_key[result.idempotency_key]
        if result.status == SubmissionStatus.FAILED:
            if payout.status == Payout.Status.PENDING:
                do_mark_payout_failed(payout, reason=result.failure_reason, actor=actor)
        elif result.provider_reference and not payout.provider_reference:
            payout.provider_reference = result.provider_reference
            payout.save(update_fields=["provider_reference", "updated_at"])
    if locked.status == PayoutBatch.Status.APPROVED:
        locked.status = PayoutBatch.Status.EXPORTED
        locked.exported_at = timezone.now()
        locked.save(update_fields=["status", "exported_at"])
    return results


@transaction.atomic
def do_mark_payout_failed(payout: Payout, *, reason: str, actor: User | None) -> Payout:
    """A pending payout failed: its amount returns to the wallet (netted with what is owed)."""
    actor = check_payout_actor(actor)
    lock_accounts()
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.distributor.user_id == actor.pk:
        raise PayoutError(
            _(
                "Payout %(key)s pays %(user)s's own distributor account: another staff member must act on it."
            )
            % {"key": locked.idempotency_key, "user": actor.username}
        )
    if locked.status != Payout.Status.PENDING:
        raise PayoutError(
            _("Payout %(key)s is %(status)s; only a pending payout can fail.")
            % {"key": locked.idempotency_key, "status": locked.get_status_display()}
        )
    reason = (reason or "").strip()
    if not reason:
        raise PayoutError(_("A failed payout needs a reason."))
    _back_to_wallets(
        [locked],
        locked.currency,
        Transaction.Kind.PAYOUT_FAILED,
        memos.memo(memos.PAYOUT_FAILED, payout=locked.idempotency_key),
        actor,
    )
    locked.status = Payout.Status.FAILED
    locked.failure_reason = reason
    locked.save(update_fields=["status", "failure_reason", "updated_at"])
    refresh_batch_totals(locked.batch)
    return locked


@transaction.atomic
def do_mark_batch_paid(batch: PayoutBatch, *, actor: User | None) -> PayoutBatch:
    """Every pending payout of the batch is paid: clearing → bank, once."""
    actor = check_payout_actor(actor)
    locked = _locked(batch)
    if locked.status == PayoutBatch.Status.PAID:
        raise PayoutError(
            _("Batch #%(batch)s was marked paid on %(when)s; a paid batch never pays again.")
            % {"batch": locked.pk, "when": timezone.localtime(locked.paid_at).isoformat()}
        )
    locked = _approved(locked, _("paid"))
    _refuse_own_payout(locked, actor)
    pending = list(locked.payouts.filter(status=Payout.Status.PENDING))
    if pending:
        total = sum(p.amount for p in pending)
        clearing = company_account(Kind.PAYOUTS_CLEARING, locked.currency)
        bank = company_account(Kind.BANK, locked.currency)
        post(
            Transaction.Kind.PAYOUT_PAID,
            memos.memo(memos.PAYOUT_BATCH_PAID, batch=locked.pk),
            Entries(np.array([clearing.pk, bank.pk]), np.array([total, -total])),
            actor=actor,
            idempotency_key=f"payout-batch-paid:{locked.pk}",
            currency=locked.currency,
        )
        Payout.objects.filter(pk__in=[p.pk for p in pending]).update(
            status=Payout.Status.PAID, updated_at=timezone.now()
        )
        codes = dict(
            Distributor.objects.filter(pk__in={p.distributor_id for p in pending}).values_list(
                "pk", "member_id"
            )
        )
        outbox.record_events(
            outbox.PAYOUT_SENT,
            (
                (
                    p.distributor_id,
                    {
                        "payout": p.pk,
                        "batch": locked.pk,
                        "member": codes[p.distributor_id],
                        "currency": p.currency,
                        "amount": p.amount,
                    },
                )
                for p in pending
            ),
        )
    refresh_batch_totals(locked)
    locked.status = PayoutBatch.Status.PAID
    locked.paid_at = timezone.now()
    locked.save(update_fields=["status", "paid_at"])
    return locked


@transaction.atomic
def do_cancel_payout_batch(batch: PayoutBatch, *, actor: User | None) -> PayoutBatch:
    """Cancel a draft: every payout's amount returns to its wallet."""
    actor = check_payout_actor(actor)
    lock_accounts()
    locked = _locked(batch)
    if locked.status != PayoutBatch.Status.DRAFT:
        raise PayoutError(
            _("Batch #%(batch)s is %(status)s; only a draft can be cancelled.")
            % {"batch": locked.pk, "status": locked.get_status_display()}
        )
    pending = list(locked.payouts.filter(status=Payout.Status.PENDING))
    if pending:
        _back_to_wallets(
            pending,
            locked.currency,
            Transaction.Kind.PAYOUT_FAILED,
            memos.memo(memos.PAYOUT_BATCH_CANCELLED, batch=locked.pk),
            actor,
        )
        locked.payouts.update(status=Payout.Status.CANCELLED, updated_at=timezone.now())
    refresh_batch_totals(locked)
    locked.status = PayoutBatch.Status.CANCELLED
    locked.save(update_fields=["status"])
    return locked
