"""The console's forms for compliance: the periods of an income disclosure statement, and the
period (and optionally the leader) of the pyramid-risk indicators."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .disclosure_render import LANGUAGES


def _language_choices(offered) -> list[tuple[str, str]]:
    names = dict(offered)
    return [(code, str(names.get(code, code))) for code in LANGUAGES]


class StatementForm(forms.Form):
    """``first`` … ``last``: codes of periods with a final run, oldest first."""

    first = forms.ChoiceField(label=_("From period"))
    last = forms.ChoiceField(label=_("To period"))
    language = forms.ChoiceField(
        label=_("Language of the document"),
        required=False,
        help_text=_(
            "The statement is published in each of these languages; without a choice, yours."
        ),
    )

    def __init__(self, *args, periods: list[str], offered_languages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(code, code) for code in periods]
        self.fields["first"].choices = choices
        self.fields["last"].choices = choices
        self.fields["language"].choices = _language_choices(offered_languages)


class IndicatorsForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"))
    leader = forms.CharField(
        label=_("Leader's member id (optional)"),
        required=False,
        max_length=40,
        help_text=_("Only this leader and everyone below them in the enrollment tree."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )

    def __init__(self, *args, periods: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [(code, code) for code in periods]

    def clean_leader(self) -> str:
        return self.cleaned_data["leader"].strip()
