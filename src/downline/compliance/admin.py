"""Admin of the compliance settings; every save goes through ``actions``.

Indicator thresholds and disclaimer texts stay editable here: they move no money, structure or
payout details, and each save runs ``do_set_threshold``/``do_set_disclaimer`` (validated, with
who and when). They are never deleted here (a deleted row would skip the action).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .actions import do_set_disclaimer, do_set_threshold, threshold_errors
from .catalogue import BY_CODE
from .models import DisclaimerText, IndicatorThreshold


class IndicatorThresholdForm(forms.ModelForm):
    class Meta:
        model = IndicatorThreshold
        fields = ("indicator", "amber", "red", "parameter", "parameter_2")

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        errors = threshold_errors(
            data["indicator"],
            data["amber"],
            data["red"],
            data.get("parameter"),
            data.get("parameter_2"),
        )
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)
        return data


@admin.register(IndicatorThreshold)
class IndicatorThresholdAdmin(admin.ModelAdmin):
    form = IndicatorThresholdForm
    list_display = ("indicator", "amber", "red", "parameter", "parameter_2", "updated_at")
    readonly_fields = ("defaults", "updated_at", "updated_by")

    @admin.display(description=_("defaults"))
    def defaults(self, obj: IndicatorThreshold) -> str:
        indicator = BY_CODE.get(obj.indicator)
        if indicator is None:
            return ""
        return _(
            "amber %(amber)s, red %(red)s, parameter %(parameter)s, second parameter "
            "%(parameter_2)s; %(help)s"
        ) % {
            "amber": indicator.amber,
            "red": indicator.red,
            "parameter": indicator.parameter,
            "parameter_2": indicator.parameter_2,
            "help": indicator.parameter_help,
        }

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj, form, change) -> None:
        saved = do_set_threshold(
            obj.indicator,
            amber=obj.amber,
            red=obj.red,
            parameter=obj.parameter,
            parameter_2=obj.parameter_2,
            actor=request.user,
        )
        obj.pk = saved.pk


@admin.register(DisclaimerText)
class DisclaimerTextAdmin(admin.ModelAdmin):
    list_display = ("language", "updated_at", "updated_by")
    fields = ("language", "text")

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj, form, change) -> None:
        saved = do_set_disclaimer(obj.language, obj.text, actor=request.user)
        obj.pk = saved.pk
