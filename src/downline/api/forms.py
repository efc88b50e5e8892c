"""The console form that makes an integration key; nothing here writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .scopes import SCOPES


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What integration uses the key (e.g. the online shop)."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Grant only what the integration needs; write does not include read."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: the key does not expire (it can still be revoked)."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (scope, f"{scope} ({description})") for scope, description in SCOPES.items()
        ]


class PersonalTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where you use the token (e.g. my spreadsheet)."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: the token does not expire (you can revoke it here)."),
    )
