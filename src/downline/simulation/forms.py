"""The plan lab's form: which plan(s) to simulate and the size of the simulation.

The form checks types only (whole numbers, a version that exists); the ranges, the plans and
the parameters are checked by ``actions.do_start_simulation``, which ties each problem to its
field.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from downline.compensation.models import PlanVersion

from .actions import SimulationRequest


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PlanVersion) -> str:
        return f"{obj.name} v{obj.number}"


def _code_area(rows: int) -> forms.Textarea:
    return forms.Textarea(
        attrs={"rows": rows, "class": "code", "spellcheck": "false", "autocapitalize": "off"}
    )


class StartSimulationForm(forms.Form):
    plan_version = VersionChoiceField(
        label=_("Plan version"),
        queryset=PlanVersion.objects.order_by("name", "-number"),
        required=False,
        empty_label=_("— paste a plan below instead —"),
    )
    plan_text = forms.CharField(
        label=_("Or paste a plan (YAML)"),
        required=False,
        widget=_code_area(6),
        help_text=_("The plan language of docs/plan-language.md; leave empty to use a version."),
    )
    compare_version = VersionChoiceField(
        label=_("Compare with the plan version"),
        queryset=PlanVersion.objects.order_by("name", "-number"),
        required=False,
        empty_label=_("— no comparison —"),
    )
    compare_text = forms.CharField(
        label=_("Or paste a plan to compare with (YAML)"),
        required=False,
        widget=_code_area(4),
        help_text=_(
            "Both plans are computed on the same simulated network; the first plan drives growth."
        ),
    )
    months = forms.IntegerField(label=_("Months"), initial=12)
    start_distributors = forms.IntegerField(label=_("Distributors at the start"), initial=100)
    replicas = forms.IntegerField(
        label=_("Replicas"),
        initial=5,
        help_text=_("Independent runs of the growth model; the report shows their p10–p90 band."),
    )
    seed = forms.IntegerField(
        label=_("Seed"), initial=1, help_text=_("The same seed gives the same results.")
    )
    params_text = forms.CharField(
        label=_("Growth parameters (YAML, optional)"),
        required=False,
        widget=_code_area(4),
        help_text=_(
            "Only what differs from the defaults of docs/simulation.md, e.g. "
            "<code>churn: {by_tenure: [0.2, 0.1]}</code>."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("months", "start_distributors", "replicas", "seed"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "min": "0"})

    def simulation_request(self) -> SimulationRequest:
        data = self.cleaned_data
        return SimulationRequest(
            plan_version=data["plan_version"],
            plan_text=data["plan_text"],
            compare_version=data["compare_version"],
            compare_text=data["compare_text"],
            months=data["months"],
            start_distributors=data["start_distributors"],
            replicas=data["replicas"],
            seed=data["seed"],
            params_text=data["params_text"],
        )
