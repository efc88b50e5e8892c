"""A distributor's own payout details: enter bank and tax details, confirm them from the e-mail
link, see the pending change, the cooling-off and the history.

A distributor reaches only their own details: the pages take no member id, and a confirmation
link of another member is refused. The stored IBAN is never shown in full, and the form never
holds it: a change means entering the details again. E-mails are limited per login like the
other confirmation e-mails. The notice that new details apply goes to the login's current
address and also to the confirmed address it had before its most recent change of address
(``notice_addresses``): whoever took over a session and moved the login to their own mailbox
cannot change the IBAN without the owner hearing of it, within the cooling-off period.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from downline.accounts.actions import confirmed_addresses
from downline.genealogy.models import Distributor
from downline.payouts.details import (
    CONFIRMATION_MAX_AGE,
    FIELD_LABELS,
    PayoutDetailsError,
    change_for_token,
    cooling_off_days,
    cooling_off_end,
    do_confirm_payout_details_change,
    do_request_payout_details_change,
    make_confirmation_token,
    mask_last4,
)
from downline.payouts.models import PayoutDetailsChange, PayoutProfile
from downline.payouts.selectors import payout_details_summary

from .access import member_required
from .views_accounts import _too_many, mail_limit


class PayoutDetailsForm(forms.Form):
    """The four fields; the rules (and their messages) are in ``payouts.details``."""

    account_holder = forms.CharField(
        label=FIELD_LABELS["account_holder"],
        max_length=140,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iban = forms.CharField(
        label=FIELD_LABELS["iban"],
        max_length=50,
        required=False,
        help_text=gettext_lazy("For example DE89 3704 0044 0532 0130 00; spaces do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label=FIELD_LABELS["bic"],
        max_length=20,
        required=False,
        help_text=gettext_lazy("8 or 11 characters; may stay empty for a bank in the SEPA area."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    tax_id = forms.CharField(
        label=FIELD_LABELS["tax_id"],
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _recipient(request: HttpRequest, member: Distributor) -> str:
    return (request.user.email or member.email or "").strip()


def notice_addresses(request: HttpRequest, change: PayoutDetailsChange) -> list[str]:
    """Where the notice of applied payout details goes: the address the link was sent to, and
    the login's confirmed addresses (``confirmed_addresses``: its current one and the one it had
    before its most recent change of address), each once."""
    addresses: list[str] = []
    for address in [change.sent_to, *confirmed_addresses(request.user)]:
        if address and all(address.lower() != known.lower() for known in addresses):
            addresses.append(address)
    return addresses


def _send(request: HttpRequest, member: Distributor, name: str, to: str, context: dict) -> None:
    """E-mail ``web/emails/payout_details_<name>_{subject,body}.txt`` in the member's language."""
    with translation.override(member.language or request.user.language or "en"):
        context = {
            "member": member,
            "company": settings.DOWNLINE_COMPANY_NAME,
            "cooling_off_days": cooling_off_days(),
            "company_tz": ZoneInfo(settings.DOWNLINE_TIME_ZONE),
            **context,
        }
        subject = render_to_string(f"web/emails/payout_details_{name}_subject.txt", context)
        body = render_to_string(f"web/emails/payout_details_{name}_body.txt", context)
    send_mail(subject.strip(), body, None, [to])


def _send_confirmation(
    request: HttpRequest, member: Distributor, change: PayoutDetailsChange
) -> None:
    link = request.build_absolute_uri(
        reverse("web:payout_details_confirm", kwargs={"token": make_confirmation_token(change)})
    )
    context = {
        "link": link,
        "hours": CONFIRMATION_MAX_AGE // 3600,
        "account_holder": change.account_holder,
        "iban": mask_last4(change.iban),
        "address": change.requested_from or "",
    }
    _send(request, member, "confirm", change.sent_to, context)


def _page(
    request: HttpRequest, member: Distributor, form: PayoutDetailsForm, status: int = 200
) -> HttpResponse:
    context = {
        "member": member,
        "form": form,
        "details": payout_details_summary(member),
        "company_tz": ZoneInfo(settings.DOWNLINE_TIME_ZONE),
        "cooling_off_days": cooling_off_days(),
    }
    return render(request, "web/payout_details.html", context, status=status)


@member_required
def payout_details_view(request: HttpRequest, member: Distributor) -> HttpResponse:
    """Show the member's payout details; a valid change is kept pending and its confirmation
    link is e-mailed to the login's address."""
    profile = PayoutProfile.objects.filter(distributor=member).first()
    initial = {
        "account_holder": (profile.account_holder if profile else "") or member.name,
        "bic": profile.bic if profile else "",
    }
    form = PayoutDetailsForm(request.POST or None, initial=initial)
    if request.method != "POST" or not form.is_valid():
        return _page(request, member, form, status=400 if request.method == "POST" else 200)
    limit, key = mail_limit(), f"payout-details:{request.user.pk}"
    if limit.is_blocked(key):
        form.add_error(None, _too_many(limit))
        return _page(request, member, form, status=429)
    data = form.cleaned_data
    try:
        change = do_request_payout_details_change(
            member,
            account_holder=data["account_holder"],
            iban=data["iban"],
            bic=data["bic"],
            tax_id=data["tax_id"],
            actor=request.user,
            address=_address(request),
            send_to=_recipient(request, member),
        )
    except PayoutDetailsError as error:
        for field, text in error.errors.items():
            form.add_error(field, text)
        if not error.errors:
            form.add_error(None, error.message)
        return _page(request, member, form, status=400)
    limit.record_failure(key)
    _send_confirmation(request, member, change)
    messages.info(
        request,
        _(
            "We sent a link to %(email)s. Your new payout details apply once you open it "
            "(within %(hours)d hours)."
        )
        % {"email": change.sent_to, "hours": CONFIRMATION_MAX_AGE // 3600},
    )
    return redirect("web:payout_details")


@member_required
def payout_details_confirm_view(
    request: HttpRequest, member: Distributor, token: str
) -> HttpResponse:
    """The link from the e-mail: shows the new details (IBAN masked) and applies them when the
    member confirms (a POST, so that mail scanners that open links change nothing)."""
    try:
        change = change_for_token(token, member)
    except PayoutDetailsError as error:
        return render(
            request, "web/payout_details_confirm.html", {"error": error.message}, status=400
        )
    if request.method == "POST":
        try:
            row = do_confirm_payout_details_change(
                change, actor=request.user, address=_address(request)
            )
        except PayoutDetailsError as error:
            return render(
                request, "web/payout_details_confirm.html", {"error": error.message}, status=400
            )
        profile = PayoutProfile.objects.get(distributor=member)
        resume = cooling_off_end(profile) if row.bank_changed else None
        for to in notice_addresses(request, change):
            _send(
                request,
                member,
                "changed",
                to,
                {"iban": row.new_iban, "changed_at": row.changed_at, "resume": resume},
            )
        messages.success(request, _("Your new payout details are confirmed and saved."))
        return redirect("web:payout_details")
    context = {
        "change": change,
        "iban": mask_last4(change.iban),
        "tax_id": mask_last4(change.tax_id),
        "cooling_off_days": cooling_off_days(),
    }
    return render(request, "web/payout_details_confirm.html", context)
