from django.contrib import admin

from downline.core.admin_views import ReadOnlyAdmin

from .models import Payout, PayoutBatch, PayoutHold, PayoutProfile


@admin.register(PayoutProfile)
class PayoutProfileAdmin(admin.ModelAdmin):
    list_display = ("distributor", "account_holder", "iban", "bic", "compliance_hold")
    search_fields = ("distributor__member_id", "account_holder", "iban")
    list_filter = ("compliance_hold",)
    raw_id_fields = ("distributor",)


class PayoutInline(admin.TabularInline):
    model = Payout
    fields = ("distributor", "amount", "currency", "status", "idempotency_key", "failure_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False


class HoldInline(admin.TabularInline):
    model = PayoutHold
    fields = ("distributor", "balance", "reason", "detail")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "currency", "status", "count", "total", "created_by", "approved_by")
    list_filter = ("status", "currency")
    inlines = (PayoutInline, HoldInline)
