"""Periods in the admin: READ-ONLY. They are created by the orders written into them and
closed or reopened, with a reason, in the console (``/console/periods/<code>/``) through
``do_close_period`` and ``do_reopen_period``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Period, PeriodEvent


class PeriodEventInline(admin.TabularInline):
    model = PeriodEvent
    fields = ("kind", "at", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Period | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Period | None = None) -> bool:
        return False


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ("code", "kind", "local_start", "local_end", "status", "closed_at", "closed_by")
    list_filter = ("status", "kind")
    search_fields = ("code",)
    ordering = ("-starts_at",)
    fields = ("console", "code", "kind", "starts_at", "ends_at", "status", "closed_at", "closed_by")
    readonly_fields = fields
    inlines = (PeriodEventInline,)
    actions = None

    @admin.display(description=_("console"))
    def console(self, period: Period) -> str:
        url = reverse("web:console_period", args=[period.code])
        return format_html('<a href="{}">{}</a>', url, gettext("Change this in the console"))

    @admin.display(description=_("starts (company time)"), ordering="starts_at")
    def local_start(self, period: Period) -> str:
        return timezone.localtime(period.starts_at, _company_zone()).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("ends (company time)"), ordering="ends_at")
    def local_end(self, period: Period) -> str:
        return timezone.localtime(period.ends_at, _company_zone()).strftime("%Y-%m-%d %H:%M")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _company_zone() -> ZoneInfo:
    return ZoneInfo(settings.DOWNLINE_TIME_ZONE)
