"""Reads of payout details for the distributor's own page: what is stored (IBAN masked), the
change that waits for its e-mail confirmation, the cooling-off and the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from downline.genealogy.models import Distributor

from .details import CONFIRMATION_MAX_AGE, cooling_off_end, mask_last4
from .models import PayoutDetailsChange, PayoutDetailsHistory, PayoutProfile

HISTORY_ROWS = 20


@dataclass(frozen=True)
class PendingChange:
    """A change that waits for its link; the IBAN is masked for display."""

    account_holder: str
    iban_masked: str
    bic: str
    requested_at: datetime
    expires_at: datetime
    sent_to: str


@dataclass(frozen=True)
class PayoutDetailsSummary:
    """The member's payout details as the page shows them (never the full IBAN)."""

    account_holder: str
    iban_masked: str
    bic: str
    tax_id_masked: str
    has_details: bool
    cooling_off_until: datetime | None
    pending: PendingChange | None
    history: list[PayoutDetailsHistory]


def payout_details_summary(
    member: Distributor, now: datetime | None = None
) -> PayoutDetailsSummary:
    """``member``'s own payout details; an expired pending change is not shown as pending."""
    now = now or timezone.now()
    profile = PayoutProfile.objects.filter(distributor=member).first()
    change = (
        PayoutDetailsChange.objects.filter(
            distributor=member,
            status=PayoutDetailsChange.Status.PENDING,
            requested_at__gt=now - timedelta(seconds=CONFIRMATION_MAX_AGE),
        )
        .order_by("-requested_at", "-id")
        .first()
    )
    pending = None
    if change is not None:
        pending = PendingChange(
            account_holder=change.account_holder,
            iban_masked=mask_last4(change.iban),
            bic=change.bic,
            requested_at=change.requested_at,
            expires_at=change.requested_at + timedelta(seconds=CONFIRMATION_MAX_AGE),
            sent_to=change.sent_to,
        )
    end = cooling_off_end(profile)
    return PayoutDetailsSummary(
        account_holder=profile.account_holder if profile else "",
        iban_masked=mask_last4(profile.iban) if profile else "",
        bic=profile.bic if profile else "",
        tax_id_masked=mask_last4(profile.tax_id) if profile else "",
        has_details=bool(profile and profile.iban),
        cooling_off_until=end if end is not None and now < end else None,
        pending=pending,
        history=list(
            PayoutDetailsHistory.objects.filter(distributor=member)
            .select_related("changed_by")
            .order_by("-changed_at", "-id")[:HISTORY_ROWS]
        ),
    )
