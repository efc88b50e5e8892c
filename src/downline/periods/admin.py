from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .actions import do_close_period, do_reopen_period
from .errors import PeriodError
from .models import Period, PeriodEvent


class PeriodEventInline(admin.TabularInline):
    model = PeriodEvent
    fields = ("kind", "at", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Period | None = None) -> bool:
        return False


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    """Periods are created by the orders written into them; operators close and reopen them."""

    list_display = ("code", "kind", "local_start", "local_end", "status", "closed_at", "closed_by")
    list_filter = ("status", "kind")
    search_fields = ("code",)
    ordering = ("-starts_at",)
    readonly_fields = ("code", "kind", "starts_at", "ends_at", "status", "closed_at", "closed_by")
    inlines = (PeriodEventInline,)
    actions = ("close_periods", "reopen_periods")

    @admin.display(description=_("starts (company time)"), ordering="starts_at")
    def local_start(self, period: Period) -> str:
        return timezone.localtime(period.starts_at, _company_zone()).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("ends (company time)"), ordering="ends_at")
    def local_end(self, period: Period) -> str:
        return timezone.localtime(period.ends_at, _company_zone()).strftime("%Y-%m-%d %H:%M")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Period | None = None) -> bool:
        return False

    @admin.action(description=_("Close the selected periods"), permissions=["change"])
    def close_periods(self, request: HttpRequest, queryset: QuerySet[Period]) -> None:
        self._apply(
            request,
            queryset.order_by("starts_at"),
            do_close_period,
            gettext("Period %(period)s is closed."),
        )

    @admin.action(description=_("Reopen the selected periods"), permissions=["change"])
    def reopen_periods(self, request: HttpRequest, queryset: QuerySet[Period]) -> None:
        self._apply(
            request,
            queryset.order_by("-starts_at"),
            do_reopen_period,
            gettext("Period %(period)s is open again."),
        )

    def _apply(self, request, periods, action, success: str) -> None:
        for period in periods:
            try:
                action(period, actor=request.user, reason=gettext("Done in the admin."))
            except PeriodError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, success % {"period": period.code}, messages.SUCCESS)


def _company_zone() -> ZoneInfo:
    return ZoneInfo(settings.DOWNLINE_TIME_ZONE)
