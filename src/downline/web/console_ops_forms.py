"""Forms of the console operations that used to live in the Django admin: enrolment, contact
details, sponsor or placement alone, upgrade of a customer, reversal of a structure change,
autoships, the compliance hold on payouts, closing and reopening a period.

Members are typed by member id (as in the console's move form) and looked up here, so a wrong
id is named on its field. Nothing here writes: the views call the ``do_*`` actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from downline.core.limits import MAX_QUANTITY
from downline.genealogy.models import Distributor
from downline.genealogy.placement import PlacementMode
from downline.orders.models import Product

REASON_MAX = 500


def _reason(*, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        required=required,
        help_text=_("Recorded with the change and shown in its history."),
    )


def _member_id(label: Any, *, required: bool = True, help_text: Any = "") -> forms.CharField:
    return forms.CharField(label=label, max_length=64, required=required, help_text=help_text)


def _mode() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Placement mode"),
        choices=[("", _("Default")), *PlacementMode.choices],
        required=False,
        empty_value=None,
    )


def _position() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Position"),
        min_value=1,
        required=False,
        help_text=_("With an explicit placement parent: 1 is the first (left) slot."),
    )


def _effective_at() -> forms.DateTimeField:
    return forms.DateTimeField(
        label=_("Effective at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now. A change cannot take effect in the future."),
    )


class MemberLookupMixin:
    """``member(name)``: the member whose id was typed in field ``name``; an unknown id is an
    error on that field."""

    def member(self, name: str) -> Distributor | None:
        text = (self.cleaned_data.get(name) or "").strip()  # type: ignore[attr-defined]
        if not text:
            return None
        found = Distributor.objects.filter(member_id=text).first()
        if found is None:
            self.add_error(  # type: ignore[attr-defined]
                name, _("No member has the id %(id)s.") % {"id": text}
            )
        return found


class EnrollForm(MemberLookupMixin, forms.Form):
    """``do_enroll``: a new distributor or retail customer."""

    member_id = forms.CharField(label=_("Member id"), max_length=64)
    kind = forms.ChoiceField(label=_("Kind"), choices=Distributor.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    sponsor = _member_id(
        _("Sponsor (member id)"),
        required=False,
        help_text=_("Leave empty only for the very first member, the root of the network."),
    )
    joined_on = forms.DateField(
        label=_("Joined on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=Distributor.Status.choices, initial=Distributor.Status.ACTIVE
    )
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("Two-letter ISO code.")
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    currency = forms.CharField(label=_("Currency"), max_length=3)
    placement_mode = _mode()
    placement_parent = _member_id(_("Placement parent (member id)"), required=False)
    position = _position()
    reason = _reason(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = settings.DOWNLINE_CURRENCY

    def clean(self) -> dict:
        data = super().clean()
        data["sponsor_member"] = self.member("sponsor")
        data["parent_member"] = self.member("placement_parent")
        return data


class DetailsForm(forms.Form):
    """``do_update_details``: contact details (not the place in the network)."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("Two-letter ISO code.")
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    currency = forms.CharField(label=_("Currency"), max_length=3)


class SponsorForm(MemberLookupMixin, forms.Form):
    """``do_change_sponsor``: the sponsor alone; the placement stays."""

    sponsor = _member_id(_("New sponsor (member id)"))
    reason = _reason()
    effective_at = _effective_at()

    def clean(self) -> dict:
        data = super().clean()
        data["sponsor_member"] = self.member("sponsor")
        return data


class PlacementForm(MemberLookupMixin, forms.Form):
    """``do_change_placement``: the placement alone; the sponsor stays."""

    placement_parent = _member_id(_("New placement parent (member id)"))
    position = _position()
    placement_mode = _mode()
    reason = _reason()
    effective_at = _effective_at()

    def clean(self) -> dict:
        data = super().clean()
        data["parent_member"] = self.member("placement_parent")
        return data


class UpgradeForm(MemberLookupMixin, forms.Form):
    """``do_upgrade_customer``: a retail customer becomes a distributor."""

    placement_mode = _mode()
    placement_parent = _member_id(
        _("Placement parent (member id)"),
        required=False,
        help_text=_("Empty: placed under the sponsor by the placement mode."),
    )
    position = _position()
    reason = _reason(required=False)

    def clean(self) -> dict:
        data = super().clean()
        data["parent_member"] = self.member("placement_parent")
        return data


class ReverseForm(forms.Form):
    """``do_reverse_event``: undo a recorded structure change."""

    reason = _reason()


class AutoshipForm(forms.Form):
    """``do_create_autoship``: one item per line, ``SKU quantity`` (for example ``SHAKE 2``)."""

    day_of_month = forms.IntegerField(label=_("Day of the month"), min_value=1, max_value=28)
    currency = forms.CharField(label=_("Currency"), max_length=3)
    items = forms.CharField(
        label=_("Items"),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("One product per line: the SKU, a space, the quantity (for example SHAKE 2)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = settings.DOWNLINE_CURRENCY

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean_items(self) -> list[tuple[Product, int]]:
        """Each line ``SKU quantity``; a bad line is named by its number."""
        items: list[tuple[Product, int]] = []
        problems: list[str] = []
        for number, raw in enumerate(self.cleaned_data["items"].splitlines(), start=1):
            words = raw.split()
            if not words:
                continue
            if len(words) != 2 or not words[1].isdigit():
                problems.append(
                    _("Line %(line)d: write the SKU and the quantity, such as SHAKE 2.")
                    % {"line": number}
                )
                continue
            sku, quantity = words[0], int(words[1])
            product = Product.objects.filter(sku=sku).first()
            if product is None:
                problems.append(
                    _("Line %(line)d: no product has the SKU %(sku)s.")
                    % {"line": number, "sku": sku}
                )
            elif not 1 <= quantity <= MAX_QUANTITY:
                problems.append(
                    _("Line %(line)d: the quantity must be 1 to %(max)d.")
                    % {"line": number, "max": MAX_QUANTITY}
                )
            else:
                items.append((product, quantity))
        if problems:
            raise forms.ValidationError(problems)
        if not items:
            raise forms.ValidationError(_("Enter at least one product."))
        return items


class ComplianceHoldForm(forms.Form):
    """``do_set_compliance_hold``: set or lift the hold, always with a reason."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the hold in every payout batch and kept in the history."),
    )


class PeriodReasonForm(forms.Form):
    """``do_close_period`` / ``do_reopen_period``, with the reason recorded."""

    reason = _reason()
