"""Forms of the back office. Every label and message is translatable."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from .selectors import MAX_LEVEL


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("E-mail or username"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.RegexField(
        label=_("Code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        required=False,
        help_text=_("Only if you use an authenticator app: with it you need not wait."),
        error_messages={"invalid": _("Enter the six digits your app shows.")},
        widget=forms.HiddenInput,
    )

    def offer_code(self) -> None:
        """Show the code field (an account slowed down after failed sign-ins: its owner may
        sign in at once with password and code)."""
        self.fields["code"].widget = forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Six-digit code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the six digits your app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class JoinForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    accept = forms.BooleanField(
        label=_("I want to join this team as a distributor."), required=True
    )

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            from downline.accounts.models import User

            probe = User(
                username=cleaned.get("email", ""),
                email=cleaned.get("email", ""),
                first_name=cleaned.get("name", ""),
            )
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class ProfileForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("A new address takes effect once you confirm it from the link we send."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        help_text=_("Needed only to change your e-mail address."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class ResendForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form: it never says whether an address has an account."""


class LevelFilterForm(forms.Form):
    tree = forms.ChoiceField(
        label=_("Tree"),
        choices=[("enrollment", _("Enrollment tree")), ("placement", _("Placement tree"))],
        required=False,
    )
    level = forms.IntegerField(label=_("Level"), min_value=1, max_value=MAX_LEVEL, required=False)
    active = forms.BooleanField(
        label=_("Active this period only"),
        help_text=_("Account not suspended and the plan's activity condition (PV) met."),
        required=False,
    )
    new = forms.BooleanField(label=_("Joined this period"), required=False)
    rank = forms.TypedChoiceField(
        label=_("Projected rank"), coerce=int, empty_value=None, required=False, choices=()
    )

    def __init__(self, *args, rank_names: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if rank_names:
            self.fields["rank"].choices = [("", _("any")), *enumerate(rank_names)]
        else:
            del self.fields["rank"]  # no projection yet: nothing to filter by


class SearchForm(forms.Form):
    """The team search. The field searches as one types (htmx: 300 ms after the last change,
    or at once on Enter or clearing it, sending the whole form and replacing an answer still
    on its way); without JavaScript the form's button searches."""

    q = forms.CharField(
        label=_("Search your team by name or member id"),
        max_length=100,
        required=False,
        widget=forms.SearchInput(
            attrs={
                "autocomplete": "off",
                "hx-get": reverse_lazy("web:team_search"),
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": "#search-results",
                "hx-include": "closest form",
                "hx-sync": "this:replace",
                "aria-controls": "search-results",
            }
        ),
    )
    tree = forms.ChoiceField(
        label=_("Tree"),
        choices=[("enrollment", _("Enrollment tree")), ("placement", _("Placement tree"))],
        required=False,
    )
