"""Operator forms for network changes; each maps onto one action in ``actions``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget, AdminSplitDateTime, AutocompleteSelect
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Distributor
from .placement import PlacementMode
from .shape import placement_shape


def _member_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.Field:
    """A member picked by autocomplete (searching member id, name and e-mail)."""
    return forms.ModelChoiceField(
        queryset=Distributor.objects.all(),
        label=label,
        required=required,
        help_text=help_text,
        widget=AutocompleteSelect(Distributor._meta.get_field("sponsor"), admin.site),
    )


def _position_field() -> forms.Field:
    """Positions of the company's placement shape: L/R, 1..width, or none (unilevel)."""
    shape = placement_shape()
    choices = [("", _("Lowest free slot"))] + [
        (str(position), shape.label(position)) for position in shape.positions
    ]
    return forms.TypedChoiceField(
        label=_("Position"),
        choices=choices,
        coerce=int,
        empty_value=None,
        required=False,
        disabled=not shape.has_slots,
        help_text=_("Used with an explicit placement parent."),
    )


def _mode_field(*, default_help: Any) -> forms.Field:
    return forms.TypedChoiceField(
        label=_("Placement mode"),
        choices=[("", _("Default")), *PlacementMode.choices],
        required=False,
        empty_value=None,
        help_text=default_help,
    )


def _reason_field(*, required: bool = True) -> forms.Field:
    return forms.CharField(
        label=_("Reason"),
        required=required,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Recorded with the change and shown in its history."),
    )


def _effective_field() -> forms.Field:
    return forms.SplitDateTimeField(
        label=_("Effective at"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_("Leave empty for now. A change cannot take effect in the future."),
    )


class EnrollForm(forms.Form):
    """A new distributor or retail customer (``do_enroll``)."""

    member_id = forms.CharField(label=_("Member id"), max_length=64)
    kind = forms.ChoiceField(label=_("Kind"), choices=Distributor.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    sponsor = _member_field(
        _("Sponsor"),
        required=False,
        help_text=_("Leave empty only for the very first member, the root of the network."),
    )
    joined_on = forms.DateField(label=_("Joined on"), widget=AdminDateWidget)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=Distributor.Status.choices,
        initial=Distributor.Status.ACTIVE,
    )
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        required=False,
        help_text=_("Two-letter ISO code, such as DE."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    currency = forms.CharField(label=_("Currency"), max_length=3)
    user = forms.ModelChoiceField(
        label=_("Login"),
        queryset=get_user_model().objects.all(),
        required=False,
        widget=AutocompleteSelect(Distributor._meta.get_field("user"), admin.site),
    )
    placement_mode = _mode_field(
        default_help=_(
            "Distributors only. Default: explicit when a placement parent is given, "
            "otherwise spillover under the sponsor."
        )
    )
    placement_parent = _member_field(_("Placement parent"), required=False)
    reason = _reason_field(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"] = _position_field()
        self.fields["currency"].initial = settings.DOWNLINE_CURRENCY
        self.order_fields(
            [
                "member_id",
                "kind",
                "name",
                "email",
                "sponsor",
                "joined_on",
                "status",
                "country",
                "language",
                "currency",
                "user",
                "placement_mode",
                "placement_parent",
                "position",
                "reason",
            ]
        )


class SponsorChangeForm(forms.Form):
    """``do_change_sponsor``."""

    new_sponsor = _member_field(_("New sponsor"))
    reason = _reason_field()
    effective_at = _effective_field()


class PlacementChangeForm(forms.Form):
    """``do_change_placement``."""

    new_parent = _member_field(_("New placement parent"))
    placement_mode = _mode_field(
        default_help=_(
            "Default: explicit, the given position (or the lowest free slot) under "
            "the new parent. An automatic mode searches below the new parent."
        )
    )
    reason = _reason_field()
    effective_at = _effective_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"] = _position_field()
        self.order_fields(["new_parent", "position", "placement_mode", "reason", "effective_at"])


class MoveForm(forms.Form):
    """``do_move``: sponsor and placement together."""

    new_sponsor = _member_field(_("New sponsor"))
    placement_parent = _member_field(
        _("New placement parent"),
        required=False,
        help_text=_("Leave empty to place by the mode under the new sponsor."),
    )
    placement_mode = _mode_field(default_help=_("Default: spillover under the new sponsor."))
    reason = _reason_field()
    effective_at = _effective_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"] = _position_field()
        self.order_fields(
            [
                "new_sponsor",
                "placement_parent",
                "position",
                "placement_mode",
                "reason",
                "effective_at",
            ]
        )


class StatusChangeForm(forms.Form):
    """``do_change_status``."""

    status = forms.ChoiceField(label=_("New status"), choices=Distributor.Status.choices)
    reason = _reason_field()
    effective_at = _effective_field()


class UpgradeForm(forms.Form):
    """``do_upgrade_customer``."""

    placement_mode = _mode_field(
        default_help=_(
            "Default: explicit when a placement parent is given, otherwise "
            "spillover under the sponsor."
        )
    )
    placement_parent = _member_field(_("Placement parent"), required=False)
    reason = _reason_field(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"] = _position_field()
        self.order_fields(["placement_mode", "placement_parent", "position", "reason"])


class ReasonForm(forms.Form):
    """The reason for reversing structure events (``do_reverse_event``)."""

    reason = _reason_field()
