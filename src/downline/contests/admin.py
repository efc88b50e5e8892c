from django.contrib import admin

from downline.core.admin_views import ReadOnlyAdmin

from .models import BadgeAssertion, Contest, ContestAudit, FrozenResult, PointEntry


@admin.register(Contest)
class ContestAdmin(ReadOnlyAdmin):
    list_display = ("slug", "metric", "starts_on", "ends_on", "status", "ranked")


@admin.register(FrozenResult)
class FrozenResultAdmin(ReadOnlyAdmin):
    list_display = ("contest", "position", "member", "score", "tier_name")


@admin.register(ContestAudit)
class ContestAuditAdmin(ReadOnlyAdmin):
    list_display = ("contest", "action", "actor", "at")


@admin.register(PointEntry)
class PointEntryAdmin(ReadOnlyAdmin):
    list_display = ("member", "rule_key", "points", "at")


@admin.register(BadgeAssertion)
class BadgeAssertionAdmin(ReadOnlyAdmin):
    list_display = ("uid", "badge", "member", "issued_at", "revoked_at")
