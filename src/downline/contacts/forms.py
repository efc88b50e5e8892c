"""Forms of the distributor's contact pages; the actions validate again and name the field."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Contact


class ContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, initial="en")
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        required=False,
        help_text=_("For example Europe/Warsaw; e-mails respect the contact's quiet hours."),
    )
    tags = forms.CharField(
        label=_("Tags"), max_length=600, required=False, help_text=_("Separated by commas.")
    )
    stage = forms.ChoiceField(label=_("Stage"), choices=Contact.Stage.choices, initial="new")


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class TaskForm(forms.Form):
    title = forms.CharField(label=_("What to do"), max_length=200)
    due_date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(
        label=_("Time"),
        required=False,
        initial=time(9, 0),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )

    def due_at(self) -> datetime:
        moment = datetime.combine(
            self.cleaned_data["due_date"], self.cleaned_data.get("due_time") or time(9, 0)
        )
        return timezone.make_aware(moment, timezone.get_current_timezone())


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Contact.Stage.choices)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or vCard, at most 5 MB)"))
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("auto", _("recognise")), ("csv", "CSV"), ("vcard", "vCard")],
        initial="auto",
    )


class MergeForm(forms.Form):
    other = forms.CharField(
        label=_("The duplicate's e-mail address or number"),
        max_length=254,
        help_text=_("Its notes, tasks, timeline and consents move here; then it is deleted."),
    )
