"""The webhook tables in the Django admin, read-only: subscriptions are made, disabled and
enabled, and deliveries replayed, in the console (``/console/webhooks/``)."""

from django.contrib import admin

from .models import Attempt, Delivery, Subscription


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(_ReadOnly):
    list_display = ("url", "enabled", "failing_since", "created_at")
    exclude = ("secret",)


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly):
    list_display = ("id", "event", "subscription", "status", "attempts", "next_attempt_at")
    list_filter = ("status",)


@admin.register(Attempt)
class AttemptAdmin(_ReadOnly):
    list_display = ("delivery", "number", "at", "status_code", "duration_ms")
