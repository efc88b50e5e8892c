"""Forms of the webhook console pages; nothing here writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from downline.core.events import KINDS

from .models import Delivery, Subscription

KIND_LABELS = {
    "member.joined": _("member joined"),
    "order.paid": _("order paid"),
    "order.returned": _("order returned"),
    "rank.advanced": _("rank advanced"),
    "run.finished": _("run finished"),
    "payout.sent": _("payout sent"),
    "clawback.created": _("clawback"),
    "lesson.completed": _("lesson completed"),
    "quiz.passed": _("quiz passed"),
    "quiz.failed": _("quiz failed"),
    "certificate.earned": _("certificate earned"),
    "certificate.expiring": _("certificate expiring"),
    "certificate.revoked": _("certificate revoked"),
    "contact.signed_up": _("contact signed up"),
    "contact.converted": _("contact converted"),
    "webinar.registered": _("webinar registration"),
    "webinar.attended": _("webinar attended"),
    "webinar.missed": _("webinar missed"),
    "message.sent": _("message sent"),
    "mentor.assigned": _("mentor assigned"),
    "sponsor.changed": _("sponsor changed"),
    "contest.finished": _("contest finished"),
    "badge.awarded": _("badge awarded"),
    "ticket.opened": _("ticket opened"),
    "ticket.answered": _("ticket answered"),
    "dispute.opened": _("dispute opened"),
    "dispute.resolved": _("dispute resolved"),
    "claim.reviewed": _("claim reviewed"),
}


class SubscriptionForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The address that receives a signed POST for each event."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    kinds = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(kind, f"{kind} ({KIND_LABELS[kind]})") for kind in KINDS],
        widget=forms.CheckboxSelectMultiple,
    )


class DeliveryFilterForm(forms.Form):
    subscription = forms.ModelChoiceField(
        label=_("Endpoint"), queryset=Subscription.objects.all(), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("any")), *Delivery.Status.choices],
        required=False,
    )
