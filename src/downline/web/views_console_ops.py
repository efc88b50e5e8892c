"""Console operations that used to be done in the Django admin (which is now read-only for
money, structure and payout details): enrolling a member, contact details, changing the
sponsor or the placement alone, upgrading a customer, reversing a structure change, autoships,
the compliance hold on payouts, and closing or reopening a period.

Each operation has one page with one form (``web/_form.html``): a valid POST runs the app's
``do_*`` action and goes back with a success message; a refusal is shown on the form (on its
field when the action names one, above the form otherwise) with status 400 and nothing written.
Every view is guarded by ``roles.console_required``. Each change is recorded by its action
(structure events, period events, autoship creator/canceller, compliance hold history); contact
details, which record no structure event, are recorded as a support note.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from downline.core.errors import DownlineError
from downline.genealogy.actions import (
    do_change_placement,
    do_change_sponsor,
    do_enroll,
    do_reverse_event,
    do_update_details,
    do_upgrade_customer,
)
from downline.genealogy.models import Distributor, StructureEvent
from downline.orders.actions import do_cancel_autoship, do_create_autoship
from downline.orders.models import Autoship
from downline.payouts.details import do_set_compliance_hold
from downline.payouts.models import ComplianceHoldChange, PayoutHold, PayoutProfile
from downline.payouts.selectors import payout_details_summary
from downline.periods.actions import do_close_period, do_reopen_period
from downline.periods.models import Period, PeriodEvent

from . import console_ops_forms as forms
from .actions import do_add_note
from .roles import console_required

OPERATION_TEMPLATE = "web/console/operation.html"


def add_refusal(form: django_forms.Form, error: Exception) -> None:
    """Put an action's refusal on ``form``: on the fields it names, else above the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    if isinstance(error, ValidationError):
        form.add_error(None, " ".join(error.messages))
        return
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error))


def _member_or_404(member_id: str) -> Distributor:
    member = (
        Distributor.objects.select_related("sponsor", "placement_parent")
        .filter(member_id=member_id)
        .first()
    )
    if member is None:
        raise Http404
    return member


def _operation(
    request: HttpRequest,
    form: django_forms.Form,
    perform: Callable[[dict], Any],
    *,
    title: str,
    submit: str,
    done: Callable[[Any], str],
    back: Callable[[Any], HttpResponse],
    member: Distributor | None = None,
    intro: str = "",
) -> HttpResponse:
    """One console operation: GET shows ``form``; a valid POST runs ``perform(cleaned_data)``
    (an action) and answers ``back(result)`` with the message ``done(result)``; a refused or
    invalid POST shows the form again with the reason, status 400."""
    if request.method == "POST" and form.is_valid():
        try:
            result = perform(form.cleaned_data)
        except (DownlineError, ValidationError) as error:
            add_refusal(form, error)
        else:
            messages.success(request, done(result))
            return back(result)
    context = {"title": title, "submit": submit, "form": form, "m": member, "intro": intro}
    status = 400 if request.method == "POST" else 200
    return render(request, OPERATION_TEMPLATE, context, status=status)


def _to_member(member_id: str) -> Callable[[Any], HttpResponse]:
    return lambda _result: redirect("web:console_distributor", member_id)


# --------------------------------------------------------------------------- network


@console_required("moves")
def enroll_view(request: HttpRequest) -> HttpResponse:
    """Enroll a distributor or a retail customer (``do_enroll``)."""
    form = forms.EnrollForm(request.POST or None)

    def perform(data: dict) -> Distributor:
        return do_enroll(
            member_id=data["member_id"].strip(),
            kind=data["kind"],
            sponsor=data["sponsor_member"],
            joined_on=data["joined_on"],
            status=data["status"],
            name=data["name"],
            email=data["email"],
            country=data["country"],
            language=data["language"],
            currency=data["currency"],
            placement_mode=data["placement_mode"],
            placement_parent=data["parent_member"],
            position=data["position"],
            actor=request.user,
            reason=data["reason"],
        )

    return _operation(
        request,
        form,
        perform,
        title=_("Enroll a member"),
        submit=_("Enroll"),
        done=lambda member: _("%(id)s was enrolled.") % {"id": member.member_id},
        back=lambda member: redirect("web:console_distributor", member.member_id),
    )


@console_required("distributors")
def details_view(request: HttpRequest, member_id: str) -> HttpResponse:
    """Contact details (``do_update_details``); what changed is kept as a support note."""
    member = _member_or_404(member_id)
    initial = {
        "name": member.name,
        "email": member.email,
        "country": member.country,
        "language": member.language,
        "currency": member.currency,
    }
    form = forms.DetailsForm(request.POST or None, initial=initial)

    def perform(data: dict) -> Distributor:
        changed = [
            f"{name}: {initial[name] or '–'} → {data[name] or '–'}"
            for name in initial
            if (initial[name] or "") != (data[name] or "")
        ]
        if not changed:
            raise DownlineError(_("Nothing changed."))
        updated = do_update_details(
            member,
            actor=request.user,
            name=data["name"],
            email=data["email"],
            country=data["country"],
            language=data["language"],
            currency=data["currency"],
        )
        do_add_note(
            updated,
            _("Contact details changed: %(changes)s") % {"changes": "; ".join(changed)},
            author=request.user,
        )
        return updated

    return _operation(
        request,
        form,
        perform,
        title=_("Contact details of %(id)s") % {"id": member_id},
        submit=_("Save the details"),
        done=lambda _m: _("The details of %(id)s were saved.") % {"id": member_id},
        back=_to_member(member_id),
        member=member,
    )


@console_required("moves")
def sponsor_view(request: HttpRequest, member_id: str) -> HttpResponse:
    """The sponsor alone changes (``do_change_sponsor``); the placement stays."""
    member = _member_or_404(member_id)
    form = forms.SponsorForm(request.POST or None)
    return _operation(
        request,
        form,
        lambda data: do_change_sponsor(
            member,
            data["sponsor_member"],
            actor=request.user,
            reason=data["reason"],
            effective_at=data["effective_at"],
        ),
        title=_("Change the sponsor of %(id)s") % {"id": member_id},
        submit=_("Change the sponsor"),
        done=lambda _e: _("The sponsor of %(id)s was changed.") % {"id": member_id},
        back=_to_member(member_id),
        member=member,
        intro=_("The placement in the tree stays as it is."),
    )


@console_required("moves")
def placement_view(request: HttpRequest, member_id: str) -> HttpResponse:
    """The placement alone changes (``do_change_placement``); the sponsor stays."""
    member = _member_or_404(member_id)
    form = forms.PlacementForm(request.POST or None)
    return _operation(
        request,
        form,
        lambda data: do_change_placement(
            member,
            data["parent_member"],
            position=data["position"],
            placement_mode=data["placement_mode"],
            actor=request.user,
            reason=data["reason"],
            effective_at=data["effective_at"],
        ),
        title=_("Change the placement of %(id)s") % {"id": member_id},
        submit=_("Change the placement"),
        done=lambda _e: _("The placement of %(id)s was changed.") % {"id": member_id},
        back=_to_member(member_id),
        member=member,
        intro=_("The member moves with their placement team; the sponsor stays."),
    )


@console_required("moves")
def upgrade_view(request: HttpRequest, member_id: str) -> HttpResponse:
    """A retail customer becomes a distributor (``do_upgrade_customer``)."""
    member = _member_or_404(member_id)
    form = forms.UpgradeForm(request.POST or None)
    return _operation(
        request,
        form,
        lambda data: do_upgrade_customer(
            member,
            placement_mode=data["placement_mode"],
            placement_parent=data["parent_member"],
            position=data["position"],
            actor=request.user,
            reason=data["reason"],
        ),
        title=_("Upgrade %(id)s to distributor") % {"id": member_id},
        submit=_("Upgrade"),
        done=lambda _e: _("%(id)s is now a distributor.") % {"id": member_id},
        back=_to_member(member_id),
        member=member,
    )


@console_required("moves")
def reverse_event_view(request: HttpRequest, member_id: str, pk: int) -> HttpResponse:
    """Undo one recorded structure change of the member (``do_reverse_event``)."""
    member = _member_or_404(member_id)
    event = get_object_or_404(StructureEvent, pk=pk, distributor=member)
    form = forms.ReverseForm(request.POST or None)
    return _operation(
        request,
        form,
        lambda data: do_reverse_event(event, actor=request.user, reason=data["reason"]),
        title=_("Reverse change #%(event)s of %(id)s") % {"event": event.pk, "id": member_id},
        submit=_("Reverse the change"),
        done=lambda reversals: (
            _("Change #%(event)s was reversed by %(reversals)s.")
            % {"event": event.pk, "reversals": ", ".join(f"#{item.pk}" for item in reversals)}
        ),
        back=_to_member(member_id),
        member=member,
        intro=f"{event.effective_at:%Y-%m-%d %H:%M} · {event.get_kind_display()}",
    )


# --------------------------------------------------------------------------- autoships


def _autoships_page(
    request: HttpRequest, member: Distributor, form: django_forms.Form, status: int = 200
) -> HttpResponse:
    autoships = (
        Autoship.objects.filter(distributor=member)
        .prefetch_related("items__product")
        .order_by("-active", "-id")
    )
    context = {"m": member, "form": form, "autoships": autoships}
    return render(request, "web/console/autoships.html", context, status=status)


@console_required("autoships")
def autoships_view(request: HttpRequest, member_id: str) -> HttpResponse:
    """The member's autoships; a new one is created with ``do_create_autoship``."""
    member = _member_or_404(member_id)
    form = forms.AutoshipForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                autoship = do_create_autoship(
                    member,
                    data["day_of_month"],
                    data["items"],
                    data["currency"],
                    actor=request.user,
                )
            except (DownlineError, ValidationError) as error:
                add_refusal(form, error)
            else:
                messages.success(
                    request,
                    _("Autoship %(autoship)s of %(id)s starts on %(date)s.")
                    % {"autoship": autoship.pk, "id": member_id, "date": autoship.next_run_on},
                )
                return redirect("web:console_autoships", member_id)
        return _autoships_page(request, member, form, status=400)
    return _autoships_page(request, member, form)


@require_POST
@console_required("autoships")
def autoship_cancel_view(request: HttpRequest, member_id: str, pk: int) -> HttpResponse:
    """Stop an autoship (``do_cancel_autoship``); orders it placed stay."""
    member = _member_or_404(member_id)
    autoship = get_object_or_404(Autoship, pk=pk, distributor=member)
    try:
        do_cancel_autoship(autoship, actor=request.user)
    except DownlineError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Autoship %(autoship)s is cancelled.") % {"autoship": autoship.pk}
        )
    return redirect("web:console_autoships", member_id)


# --------------------------------------------------------------------------- payout details


@console_required("payouts")
def payout_profile_view(request: HttpRequest, member_id: str) -> HttpResponse:
    """The member's payout details (masked), their history, and the compliance hold, set or
    lifted with a reason (``do_set_compliance_hold``). Staff do not type bank details: the
    member changes them on their own page, confirmed by e-mail."""
    member = _member_or_404(member_id)
    profile = PayoutProfile.objects.filter(distributor=member).first()
    on_hold = bool(profile and profile.compliance_hold)
    form = forms.ComplianceHoldForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                do_set_compliance_hold(
                    member, hold=not on_hold, reason=form.cleaned_data["reason"], actor=request.user
                )
            except DownlineError as error:
                add_refusal(form, error)
            else:
                messages.success(
                    request,
                    (
                        _("The payouts of %(id)s are on compliance hold.")
                        if not on_hold
                        else _("The compliance hold on %(id)s is lifted.")
                    )
                    % {"id": member_id},
                )
                return redirect("web:console_payout_profile", member_id)
        status = 400
    context = {
        "m": member,
        "profile": profile,
        "on_hold": on_hold,
        "details": payout_details_summary(member),
        "form": form,
        "hold_history": ComplianceHoldChange.objects.filter(distributor=member).select_related(
            "changed_by"
        )[:50],
        "batch_holds": PayoutHold.objects.filter(distributor=member)
        .select_related("batch")
        .order_by("-batch_id")[:20],
    }
    return render(request, "web/console/payout_profile.html", context, status=status)


# --------------------------------------------------------------------------- periods


@console_required("runs")
def period_view(request: HttpRequest, code: str) -> HttpResponse:
    """A period: its status and events; closed (``do_close_period``) or reopened
    (``do_reopen_period``) with a reason."""
    period = get_object_or_404(Period.objects.select_related("closed_by"), code=code)
    form = forms.PeriodReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        closing = period.status == Period.Status.OPEN
        if form.is_valid():
            action = do_close_period if closing else do_reopen_period
            try:
                action(period, actor=request.user, reason=form.cleaned_data["reason"])
            except DownlineError as error:
                add_refusal(form, error)
            else:
                messages.success(
                    request,
                    (
                        _("Period %(period)s is closed.")
                        if closing
                        else _("Period %(period)s is open again.")
                    )
                    % {"period": period.code},
                )
                return redirect("web:console_period", period.code)
        status = 400
    context = {
        "period": period,
        "form": form,
        "events": PeriodEvent.objects.filter(period=period)
        .select_related("actor")
        .order_by("-at", "-id"),
    }
    return render(request, "web/console/period.html", context, status=status)
