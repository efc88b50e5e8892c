"""Payout details, batches and their history in the admin: READ-ONLY.

Bank and tax details change only by the member's own confirmed request (``details.py``:
e-mail link, history, cooling-off) or a staff import (``do_seed_payout_details``); staff never
type a member's IBAN. The compliance hold is set and lifted with a reason in the console
(``do_set_compliance_hold``); batches move through the console's payout pages. IBANs and tax ids
are shown masked but for their last 4 characters.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from downline.core.admin_views import ReadOnlyAdmin

from .details import mask_last4
from .models import (
    ComplianceHoldChange,
    Payout,
    PayoutBatch,
    PayoutDetailsChange,
    PayoutDetailsHistory,
    PayoutHold,
    PayoutProfile,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _console_link(url: str) -> str:
    return format_html('<a href="{}">{}</a>', url, gettext("Change this in the console"))


@admin.register(PayoutProfile)
class PayoutProfileAdmin(ReadOnlyAdmin):
    list_display = ("distributor", "account_holder", "iban_masked", "bic", "compliance_hold")
    search_fields = ("distributor__member_id", "account_holder")
    list_filter = ("compliance_hold",)
    list_select_related = ("distributor",)
    fields = (
        "console",
        "distributor",
        "account_holder",
        "iban_masked",
        "bic",
        "tax_id_masked",
        "bank_changed_at",
        "compliance_hold",
        "compliance_note",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("console"))
    def console(self, profile: PayoutProfile) -> str:
        member_id = profile.distributor.member_id
        return _console_link(reverse("web:console_payout_profile", args=[member_id]))

    @admin.display(description=_("IBAN"))
    def iban_masked(self, profile: PayoutProfile) -> str:
        return mask_last4(profile.iban)

    @admin.display(description=_("tax id"))
    def tax_id_masked(self, profile: PayoutProfile) -> str:
        return mask_last4(profile.tax_id)


@admin.register(PayoutDetailsHistory)
class PayoutDetailsHistoryAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "distributor", "source", "changed_by", "bank_changed")
    list_filter = ("source", "bank_changed")
    search_fields = ("distributor__member_id",)
    list_select_related = ("distributor", "changed_by")


@admin.register(PayoutDetailsChange)
class PayoutDetailsChangeAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "distributor", "status", "sent_to", "confirmed_at")
    list_filter = ("status",)
    search_fields = ("distributor__member_id",)
    list_select_related = ("distributor",)
    fields = ("distributor", "account_holder", "iban_masked", "bic", "status", "requested_at")
    readonly_fields = fields

    @admin.display(description=_("IBAN"))
    def iban_masked(self, change: PayoutDetailsChange) -> str:
        return mask_last4(change.iban)


@admin.register(ComplianceHoldChange)
class ComplianceHoldChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "distributor", "hold", "reason", "changed_by")
    list_filter = ("hold",)
    search_fields = ("distributor__member_id", "reason")
    list_select_related = ("distributor", "changed_by")


class PayoutInline(ReadOnlyInline):
    model = Payout
    fields = ("distributor", "amount", "currency", "status", "idempotency_key", "failure_reason")
    readonly_fields = fields


class HoldInline(ReadOnlyInline):
    model = PayoutHold
    fields = ("distributor", "balance", "reason", "detail")
    readonly_fields = fields


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "currency", "status", "count", "total", "created_by", "approved_by")
    list_filter = ("status", "currency")
    inlines = (PayoutInline, HoldInline)
    fields = (
        "console",
        "currency",
        "minimum",
        "status",
        "total",
        "count",
        "created_at",
        "created_by",
        "approved_at",
        "approved_by",
        "exported_at",
        "paid_at",
    )
    readonly_fields = fields

    @admin.display(description=_("console"))
    def console(self, batch: PayoutBatch) -> str:
        return _console_link(reverse("web:console_batch", args=[batch.pk]))
