"""Support rows in the admin: read-only (written by the actions and the console)."""

from django.contrib import admin

from downline.core.admin_views import ReadOnlyAdmin

from .models import Article, CannedAnswer, Dispute, SlaPolicy, Ticket


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("id", "subject", "member", "status", "priority", "assignee_group", "created_at")
    list_filter = ("status", "priority", "assignee_group", "channel")
    search_fields = ("subject", "member__member_id", "from_email")


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("id", "member", "kind", "period", "bonus", "cause", "status", "opened_at")
    list_filter = ("status", "kind")


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("key", "category", "status", "source", "version", "updated_at")
    list_filter = ("status", "source", "category")


@admin.register(CannedAnswer)
class CannedAnswerAdmin(ReadOnlyAdmin):
    list_display = ("key", "language", "title")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ReadOnlyAdmin):
    list_display = ("priority", "first_response_minutes", "resolution_minutes")
