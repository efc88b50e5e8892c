"""The compensation plan and its results in the admin: READ-ONLY.

Plan versions are written, edited and activated in the console (``/console/plans/``) through
``do_create_plan_version``, ``do_update_plan_version`` and ``do_activate_plan_version``, which
validate the file and refuse an activation for a closed period. Runs and clawbacks are written
only by the engine's actions. Here they are only listed and shown.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from downline.core.admin_views import ReadOnlyAdmin

from .models import Clawback, PlanActivation, PlanVersion, Run


def _console_plan_link(version: PlanVersion) -> str:
    url = reverse("web:console_plan", args=[version.pk])
    return format_html('<a href="{}">{}</a>', url, gettext("Change this in the console"))


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin):
    list_display = ("name", "number", "author", "created_at", "locked_at", "digest")
    search_fields = ("name", "note")
    fields = ("console", "name", "number", "note", "digest", "author", "created_at", "locked_at")
    readonly_fields = fields

    @admin.display(description=_("console"))
    def console(self, version: PlanVersion) -> str:
        return _console_plan_link(version)


@admin.register(PlanActivation)
class PlanActivationAdmin(ReadOnlyAdmin):
    """Which version is the plan from which period on; activated only in the console."""

    list_display = ("period", "version", "activated_by", "activated_at")
    list_select_related = ("period", "version", "activated_by")
    fields = ("console", "period", "version", "activated_by", "activated_at")
    readonly_fields = fields

    @admin.display(description=_("console"))
    def console(self, activation: PlanActivation) -> str:
        return _console_plan_link(activation.version)


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = (
        "period",
        "kind",
        "plan_version",
        "computed_at",
        "distributors",
        "orders",
        "lines",
        "total_paid",
        "currency",
    )
    list_filter = ("kind", "period")
    exclude = ("state",)


@admin.register(Clawback)
class ClawbackAdmin(ReadOnlyAdmin):
    list_display = ("return_order", "original_run", "period", "amount", "currency", "created_at")
    list_select_related = ("return_order", "original_run", "period")
