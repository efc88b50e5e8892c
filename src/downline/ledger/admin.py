"""The ledger in the admin: READ-ONLY. Entries are written only by actions (runs, payouts,
returns); adjustments are posted in the console (``/console/adjustments/``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from downline.core.admin_views import ReadOnlyAdmin

from .models import Account, Adjustment, AdjustmentRequest, Entry, Transaction


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ("account", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("kind", "currency", "distributor", "balance")
    list_filter = ("kind", "currency")
    search_fields = ("distributor__member_id", "distributor__name")
    list_select_related = ("distributor",)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "memo", "created_at", "created_by", "run")
    list_filter = ("kind",)
    search_fields = ("memo", "idempotency_key")
    inlines = (EntryInline,)


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ("distributor", "amount", "currency", "reference", "created_by", "created_at")
    search_fields = ("distributor__member_id", "reference", "reason")
    list_select_related = ("distributor", "created_by")


@admin.register(AdjustmentRequest)
class AdjustmentRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "distributor",
        "amount",
        "currency",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "currency")
    search_fields = ("distributor__member_id", "reference", "reason")
    list_select_related = ("distributor", "requested_by", "decided_by")
