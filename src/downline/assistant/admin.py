from django.contrib import admin

from downline.core.admin_views import ReadOnlyAdmin

from .models import Conversation, Feedback, Message


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ("id", "member", "language", "started_at", "updated_at")
    raw_id_fields = ("member",)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "conversation", "role", "kind", "intent", "latency_ms", "created_at")
    list_filter = ("role", "kind", "language")
    search_fields = ("text",)


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ("message", "helpful", "created_at")
