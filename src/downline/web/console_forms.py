"""Forms of the company console. Money is typed as a decimal and parsed exactly into minor
units (``core.formatting.parse_money``) and refused at its field beyond ``core.limits`` (the
actions check again); nothing here writes."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from downline.compensation.plans import normalise_line_endings
from downline.core.formatting import parse_money
from downline.core.limits import money_in_limits, money_limit_message
from downline.engine.plan.load import size_issue
from downline.genealogy.models import Distributor

FILE_FORMATS = (("csv", _("CSV")), ("sepa", _("SEPA credit transfer (pain.001)")))
RUN_KINDS = (("projection", _("projection")), ("preview", _("preview")), ("final", _("final")))


def _money(form: forms.Form, name: str, currency: str) -> int | None:
    """Minor units typed in field ``name``; an unreadable amount or one beyond
    ``core.limits.max_money`` is an error on that field."""
    text = form.cleaned_data.get(name)
    if text in (None, ""):
        return None
    try:
        amount = parse_money(text, currency)
    except ValueError as error:
        form.add_error(name, str(error))
        return None
    if not money_in_limits(amount, currency):
        form.add_error(name, money_limit_message(str(form.fields[name].label), currency))
        return None
    return amount


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, member id or e-mail"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Distributor.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class MoveForm(forms.Form):
    sponsor = forms.CharField(label=_("New sponsor (member id)"), max_length=64)
    placement_parent = forms.CharField(
        label=_("New placement parent (member id)"),
        max_length=64,
        required=False,
        help_text=_("Empty: placed below the new sponsor by spillover."),
    )
    position = forms.IntegerField(label=_("Position"), min_value=1, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class PlanForm(forms.Form):
    text = forms.CharField(
        label=_("Plan file (YAML)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
    )
    upload = forms.FileField(label=_("Or upload the file"), required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        too_big = size_issue(upload.size) if upload is not None else None
        if too_big is not None:  # refused unread: a plan file is small (engine.plan.load)
            self.add_error("upload", f"plan.yaml: {too_big.message}")
        elif upload is not None:
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("upload", _("The file is not UTF-8 text."))
        if not (data.get("text") or "").strip() and not self.errors:
            self.add_error("text", _("Paste the plan or upload its file."))
        # browsers send a textarea's lines ending in CRLF: store and compare plain LF lines
        data["text"] = normalise_line_endings(data.get("text") or "")
        return data


class ActivateForm(forms.Form):
    period = forms.CharField(
        label=_("From period (code)"), max_length=16, help_text=_("For example 2026-11.")
    )


class CompareForm(forms.Form):
    a = forms.ModelChoiceField(label=_("Version"), queryset=None)
    b = forms.ModelChoiceField(label=_("Compared with"), queryset=None)
    period = forms.ModelChoiceField(
        label=_("Impact on period"), queryset=None, required=False, empty_label=_("(no impact)")
    )

    def __init__(self, *args, versions, periods, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["a"].queryset = versions
        self.fields["b"].queryset = versions
        self.fields["period"].queryset = periods


class StartRunForm(forms.Form):
    period = forms.ModelChoiceField(label=_("Period"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind of run"), choices=RUN_KINDS)

    def __init__(self, *args, periods, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods


class BatchForm(forms.Form):
    currency = forms.CharField(label=_("Currency"), max_length=16, initial="EUR")
    minimum = forms.CharField(
        label=_("Minimum payout"), max_length=30, help_text=_("For example 25.00")
    )

    def clean(self):
        data = super().clean()
        currency = (data.get("currency") or "").strip().upper()
        data["currency"] = currency
        if currency:
            data["minimum_minor"] = _money(self, "minimum", currency)
        return data


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(label=_("File format"), choices=FILE_FORMATS)
    execution_date = forms.DateField(
        label=_("Execution date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    debtor_name = forms.CharField(label=_("Paying account: name"), max_length=70, required=False)
    debtor_iban = forms.CharField(label=_("Paying account: IBAN"), max_length=34, required=False)
    debtor_bic = forms.CharField(label=_("Paying account: BIC"), max_length=11, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["debtor_name"].initial = settings.DOWNLINE_COMPANY_NAME


class FailPayoutForm(forms.Form):
    reason = forms.CharField(label=_("Why it failed"), max_length=500)


class AdjustmentForm(forms.Form):
    member_id = forms.CharField(label=_("Member id"), max_length=64)
    amount = forms.CharField(
        label=_("Amount"),
        max_length=30,
        help_text=_("Positive credits the distributor, negative debits them (e.g. -12.50)."),
    )
    currency = forms.CharField(label=_("Currency"), max_length=16, initial="EUR")
    reason = forms.CharField(label=_("Reason"), max_length=500)
    reference = forms.CharField(label=_("Reference"), max_length=100)

    def clean(self):
        data = super().clean()
        currency = (data.get("currency") or "").strip().upper()
        data["currency"] = currency
        if currency:
            data["amount_minor"] = _money(self, "amount", currency)
        member_id = (data.get("member_id") or "").strip()
        if member_id:
            member = Distributor.objects.filter(member_id=member_id).first()
            if member is None:
                self.add_error("member_id", _("No member has the id %(id)s.") % {"id": member_id})
            data["member"] = member
        return data


class AdjustmentDecisionForm(forms.Form):
    """A second staff member's decision on a pending adjustment request."""

    request = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(
        choices=(("approve", _("Approve")), ("reject", _("Reject"))), widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Why it is rejected"), max_length=500, required=False)


class ReturnLookupForm(forms.Form):
    order = forms.CharField(label=_("Order number"), max_length=64)


class ReturnForm(forms.Form):
    """One quantity field per returnable line of the order, and the reason."""

    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, lines, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line, left in lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=_("%(sku)s: quantity to return (of %(left)d)")
                % {"sku": line.sku or line.description, "left": left},
                min_value=0,
                max_value=left,
                initial=0,
                required=False,
            )

    def quantities(self) -> dict:
        return {
            line: self.cleaned_data.get(f"line_{line.pk}") or 0
            for line, _left in self.lines
            if self.cleaned_data.get(f"line_{line.pk}")
        }
