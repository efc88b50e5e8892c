"""Forms of the support pages (validation of shape; the actions check the rest)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import CATEGORIES
from .models import Article, Ticket

CATEGORY_LABELS = {
    "general": _("General question"),
    "orders": _("Orders"),
    "returns": _("Returns"),
    "payouts": _("Payouts"),
    "commissions": _("Commissions"),
    "account": _("Account and profile"),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class TicketForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Topic"),
        choices=[(key, CATEGORY_LABELS[key]) for key in CATEGORIES if key in CATEGORY_LABELS],
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Your question"), widget=forms.Textarea(attrs={"rows": 6}))
    order = forms.CharField(label=_("Order number (optional)"), max_length=64, required=False)
    attachments = MultipleFileField(label=_("Attachments (PDF, images, text)"), required=False)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class RatingForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with the answer?"),
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class StaffReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("public", _("Public reply")), ("internal", _("Internal note"))],
        initial="public",
    )
    wait = forms.BooleanField(label=_("Wait for the member (pause the clock)"), required=False)


class TicketSettingsForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    group = forms.ChoiceField(
        label=_("Group"),
        choices=[("support", _("support")), ("finance", _("finance")), ("admin", _("admin"))],
    )
    assignee = forms.CharField(label=_("Assignee (login)"), required=False, max_length=150)


class DisputeForm(forms.Form):
    message = forms.CharField(
        label=_("What did you expect, and why?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )


class DisputeDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("adjust", _("Adjust the balance")), ("reject", _("Reject"))],
    )
    amount = forms.CharField(label=_("Amount (e.g. 12.50)"), required=False, max_length=30)
    reason = forms.CharField(
        label=_("Reason (the member reads it)"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ArticleForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("en", "English"), ("ru", "Русский"), ("pl", "Polski"), ("de", "Deutsch")],
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text (Markdown)"), widget=forms.Textarea(attrs={"rows": 12}))
    status = forms.ChoiceField(label=_("Status"), choices=Article.Status.choices)
