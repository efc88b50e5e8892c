from django.contrib import admin

from .models import ScheduledRun


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    """Read-only list of periodic-job runs: which day each job was enqueued for, and when;
    never deleted (a deleted row would let the job run twice for its day)."""

    list_display = ("job", "run_for", "enqueued_at", "task_result_id")
    list_filter = ("job",)
    date_hierarchy = "run_for"
    readonly_fields = ("job", "run_for", "enqueued_at", "task_result_id")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        """Never: each row is the idempotency record that keeps a job from running twice."""
        return False
