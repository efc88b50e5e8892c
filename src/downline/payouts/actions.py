"""Payout batches: create, approve, export, submit, mark paid, cancel; failed payouts.

Rules:

* ``do_create_payout_batch``: every distributor whose wallet holds at least ``minimum`` in the
  currency is paid it all, unless a hold applies (checked in this order): account suspended or
  terminated, compliance hold, missing or invalid bank details (holder, IBAN, BIC), missing tax
  id. Distributors with a negative net balance (they owe a clawback) are listed as holds too.
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
"""

from __future__ import annotations

from datetime import date

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.core.errors import DownlineError
from downline.genealogy.models import Distributor
from downline.ledger.models import Account, Transaction
from downline.ledger.posting import (
    Entries,
    company_account,
    distributor_account_ids,
    distributor_entries,
    lock_accounts,
    post,
)

from .bank_details import bic_problem, iban_problem
from .files import payout_csv, sepa_pain001
from .instructions import BatchFile, Debtor, PayoutInstruction, make_idempotency_key
from .models import Payout, PayoutBatch, PayoutHold, PayoutProfile
from .providers import SubmissionStatus, get_provider

Kind = Account.Kind


class PayoutError(DownlineError):
    """A payout request that the rules refuse."""


def _locked(batch: PayoutBatch) -> PayoutBatch:
    return PayoutBatch.objects.select_for_update().get(pk=batch.pk)


def _hold_reason(member: Distributor, profile: PayoutProfile | None) -> tuple[str, str] | None:
    Reason = PayoutHold.Reason
    if member.status != Distributor.Status.ACTIVE:
        return Reason.SUSPENDED, member.get_status_display()
    if profile is not None and profile.compliance_hold:
        return Reason.COMPLIANCE, profile.compliance_note
    if profile is None or not profile.iban or not profile.account_holder.strip():
        return Reason.MISSING_BANK_DETAILS, _("No account holder or IBAN.")
    problem = iban_problem(profile.iban) or (bic_problem(profile.bic) if profile.bic else None)
    if problem:
        return Reason.MISSING_BANK_DETAILS, problem
    if not profile.tax_id.strip():
        return Reason.MISSING_TAX_DETAILS, _("No tax id.")
    return None


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
        raise PayoutError(_("The minimum payout must be a positive amount in minor units."))
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
        hold = _hold_reason(member, profile)
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
                account_holder=profile.account_holder.strip(),
                iban=profile.iban,
                bic=profile.bic,
            )
        )
    PayoutHold.objects.bulk_create(holds)
    created = Payout.objects.bulk_create(payouts)
    for payout in created:
        payout.idempotency_key = make_idempotency_key(payout.pk, f"B{batch.pk}")
    Payout.objects.bulk_update(created, ["idempotency_key"])
    batch.count = len(created)
    batch.total = sum(p.amount for p in created)
    batch.save(update_fields=["count", "total"])
    if created:
        _move(
            created,
            currency,
            Transaction.Kind.PAYOUT,
            f"Payout batch #{batch.pk} drawn",
            actor,
            idempotency_key=f"payout-batch:{batch.pk}",
        )
    return batch


def _move(
    payouts: list[Payout],
    currency: str,
    kind: str,
    memo: str,
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
    payouts: list[Payout], currency: str, kind: str, memo: str, actor: User | None
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
    if actor is None or actor.pk == locked.created_by_id:
        raise PayoutError(
            _("Batch #%(batch)s must be approved by a staff member other than its creator.")
            % {"batch": locked.pk}
        )
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
    batch: PayoutBatch, *, file_format: str, debtor: Debtor | None = None, execution_date: date
) -> bytes:
    """The batch as ``csv`` or ``sepa`` (pain.001) bytes; marks it exported."""
    locked = _approved(batch, _("exported"))
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
    actor: User | None = None,
    **options,
) -> list:
    """Hand the batch's pending payouts to provider adapter ``provider``; payouts it fails are
    failed here (their money returns to the wallet). Idempotent through the payout keys."""
    locked = _approved(batch, _("submitted"))
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
    lock_accounts()
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
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
        f"Payout {locked.idempotency_key} failed",
        actor,
    )
    locked.status = Payout.Status.FAILED
    locked.failure_reason = reason
    locked.save(update_fields=["status", "failure_reason", "updated_at"])
    return locked


@transaction.atomic
def do_mark_batch_paid(batch: PayoutBatch, *, actor: User | None) -> PayoutBatch:
    """Every pending payout of the batch is paid: clearing → bank, once."""
    locked = _locked(batch)
    if locked.status == PayoutBatch.Status.PAID:
        raise PayoutError(
            _("Batch #%(batch)s was marked paid on %(when)s; a paid batch never pays again.")
            % {"batch": locked.pk, "when": timezone.localtime(locked.paid_at).isoformat()}
        )
    locked = _approved(locked, _("paid"))
    pending = list(locked.payouts.filter(status=Payout.Status.PENDING))
    if pending:
        total = sum(p.amount for p in pending)
        clearing = company_account(Kind.PAYOUTS_CLEARING, locked.currency)
        bank = company_account(Kind.BANK, locked.currency)
        post(
            Transaction.Kind.PAYOUT_PAID,
            f"Payout batch #{locked.pk} paid",
            Entries(np.array([clearing.pk, bank.pk]), np.array([total, -total])),
            actor=actor,
            idempotency_key=f"payout-batch-paid:{locked.pk}",
            currency=locked.currency,
        )
        Payout.objects.filter(pk__in=[p.pk for p in pending]).update(
            status=Payout.Status.PAID, updated_at=timezone.now()
        )
    locked.status = PayoutBatch.Status.PAID
    locked.paid_at = timezone.now()
    locked.save(update_fields=["status", "paid_at"])
    return locked


@transaction.atomic
def do_cancel_payout_batch(batch: PayoutBatch, *, actor: User | None) -> PayoutBatch:
    """Cancel a draft: every payout's amount returns to its wallet."""
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
            f"Payout batch #{locked.pk} cancelled",
            actor,
        )
        locked.payouts.update(status=Payout.Status.CANCELLED, updated_at=timezone.now())
    locked.status = PayoutBatch.Status.CANCELLED
    locked.save(update_fields=["status"])
    return locked
