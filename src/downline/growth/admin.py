from django.contrib import admin

from downline.core.admin_views import ReadOnlyAdmin

from .models import (
    FollowUp,
    MentorAssignment,
    Message,
    Notification,
    RadarBuild,
    RadarItem,
    SponsorChangeRequest,
)


@admin.register(RadarItem)
class RadarItemAdmin(ReadOnlyAdmin):
    list_display = ("day", "sponsor_id", "member_id", "reason", "state", "action")
    list_filter = ("reason", "state")


@admin.register(RadarBuild)
class RadarBuildAdmin(ReadOnlyAdmin):
    list_display = ("day", "status", "items", "created_at", "finished_at")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient_id", "kind", "read_at", "emailed_at", "pushed_at")
    list_filter = ("kind",)


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("owner", "member", "due_on", "done_at")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "sender", "recipient", "verdict")


@admin.register(MentorAssignment)
class MentorAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("member", "mentor", "created_at", "ended_at")


@admin.register(SponsorChangeRequest)
class SponsorChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ("member", "old_sponsor", "new_sponsor", "state", "created_at", "decided_at")
    list_filter = ("state",)
