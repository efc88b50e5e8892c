from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from downline.core.admin_views import ReadOnlyAdmin

from .errors import CompensationError
from .models import Clawback, PlanActivation, PlanVersion, Run
from .plans import PlanVersionError, do_create_plan_version, do_update_plan_version, parse_plan


class PlanVersionForm(forms.ModelForm):
    """The plan file is validated as it is typed in; every mistake is listed with its line."""

    class Meta:
        model = PlanVersion
        fields = ("text", "note")
        widgets = {  # noqa: RUF012
            "text": forms.Textarea(attrs={"rows": 30, "cols": 100, "spellcheck": "false"})
        }

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        try:
            parse_plan(text)
        except PlanVersionError as error:
            raise forms.ValidationError(error.issues) from error
        return text


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin):
    form = PlanVersionForm
    list_display = ("name", "number", "author", "created_at", "locked_at", "digest")
    search_fields = ("name", "note")
    readonly_fields = ("name", "number", "digest", "author", "created_at", "locked_at")

    def has_change_permission(self, request: HttpRequest, obj: PlanVersion | None = None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and obj.is_locked)

    def has_delete_permission(self, request: HttpRequest, obj: PlanVersion | None = None) -> bool:
        return False

    def save_model(self, request, obj: PlanVersion, form, change: bool) -> None:
        try:
            if change:
                saved = do_update_plan_version(obj, obj.text, note=obj.note)
            else:
                saved = do_create_plan_version(obj.text, author=request.user, note=obj.note)
        except CompensationError as error:
            messages.error(request, str(error))
            return
        obj.pk, obj.name, obj.number = saved.pk, saved.name, saved.number


@admin.register(PlanActivation)
class PlanActivationAdmin(admin.ModelAdmin):
    list_display = ("period", "version", "activated_by", "activated_at")


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
