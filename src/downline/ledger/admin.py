"""The ledger in the admin: READ-ONLY. Entries are written only by actions (runs, payouts,
returns); adjustments are posted in the console (``/console/adjustments/``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Account, Adjustment, Entry, Transaction


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """No add, change or delete, and no list actions: the admin only shows these rows."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
class AccountAdmin(ReadOnlyModelAdmin):
    list_display = ("kind", "currency", "distributor", "balance")
    list_filter = ("kind", "currency")
    search_fields = ("distributor__member_id", "distributor__name")
    list_select_related = ("distributor",)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "kind", "memo", "created_at", "created_by", "run")
    list_filter = ("kind",)
    search_fields = ("memo", "idempotency_key")
    inlines = (EntryInline,)


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyModelAdmin):
    list_display = ("distributor", "amount", "currency", "reference", "created_by", "created_at")
    search_fields = ("distributor__member_id", "reference", "reason")
    list_select_related = ("distributor", "created_by")
