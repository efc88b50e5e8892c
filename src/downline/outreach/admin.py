"""Outreach rows in the admin, read-only (writes go through the actions and the console)."""

from __future__ import annotations

from django.contrib import admin

from downline.core.admin_views import ReadOnlyAdmin

from .models import Enrollment, MailClaim, OutboundMail, Registration, Suppression


@admin.register(OutboundMail)
class OutboundMailAdmin(ReadOnlyAdmin):
    list_display = ("key", "to_email", "kind", "state", "due_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("key", "to_email")
    exclude = ("body_html", "attachment_content")


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdmin):
    list_display = ("email", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)


@admin.register(MailClaim)
class MailClaimAdmin(ReadOnlyAdmin):
    list_display = (
        "token",
        "host",
        "pid",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "recovered_at",
    )


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "email", "owner", "state", "left_reason", "next_due_at")
    list_filter = ("state",)
    search_fields = ("email",)


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ("webinar", "email", "owner", "session_at", "attended")
    search_fields = ("email",)
