"""Forms of the distributor's and the console's outreach pages. Company texts are written in
the four languages: one field per language, gathered into the ``{lang: {...}}`` JSON maps."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from downline.academy.models import Lesson

from .models import LANGUAGES, Sequence, SequenceStep, Webinar

LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "pl": "Polski", "de": "Deutsch"}


class MultiLanguageForm(forms.Form):
    """Adds ``<name>_<lang>`` fields for each of ``TEXTS`` ((name, label, long?))."""

    TEXTS: tuple[tuple[str, object, bool], ...] = ()
    REQUIRED_EN: tuple[str, ...] = ()

    def __init__(self, *args, content: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for lang in LANGUAGES:
            for name, label, long in self.TEXTS:
                field = forms.CharField(
                    label=f"{label} ({LANGUAGE_NAMES[lang]})",
                    required=lang == "en" and name in self.REQUIRED_EN,
                    widget=forms.Textarea(attrs={"rows": 4}) if long else forms.TextInput,
                )
                self.fields[f"{name}_{lang}"] = field
                if content:
                    self.initial.setdefault(
                        f"{name}_{lang}", (content.get(lang) or {}).get(name, "")
                    )

    def content(self) -> dict:
        data = self.cleaned_data
        result = {}
        for lang in LANGUAGES:
            texts = {name: data.get(f"{name}_{lang}", "") for name, _l, _long in self.TEXTS}
            if any(texts.values()):
                result[lang] = texts
        return result


class PageTemplateForm(MultiLanguageForm):
    TEXTS = (("headline", _("Headline"), False), ("body", _("Text (Markdown)"), True))
    REQUIRED_EN = ("headline",)
    key = forms.SlugField(label=_("Key"), max_length=80)
    name = forms.CharField(label=_("Name"), max_length=200)
    video_url = forms.URLField(label=_("Video URL"), required=False)
    video_file = forms.FileField(label=_("Video file"), required=False)
    lead_course = forms.SlugField(label=_("Academy course (lead magnet)"), required=False)
    ebook = forms.FileField(label=_("E-book (lead magnet)"), required=False)
    headline_b = forms.CharField(label=_("Variant B headline (English)"), required=False)
    body_b = forms.CharField(
        label=_("Variant B text (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class SequenceForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=80)
    name = forms.CharField(label=_("Name"), max_length=200)
    trigger = forms.ChoiceField(label=_("Started by"), choices=Sequence.Trigger.choices)
    reentry = forms.ChoiceField(label=_("Re-entry"), choices=Sequence.Reentry.choices)
    reentry_days = forms.IntegerField(label=_("Re-entry after days"), min_value=0, initial=0)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class StepForm(MultiLanguageForm):
    TEXTS = (("subject", _("Subject"), False), ("body", _("Text"), True))
    REQUIRED_EN = ("subject", "body")
    delay_minutes = forms.IntegerField(label=_("Delay (minutes)"), min_value=0, initial=0)
    condition = forms.ChoiceField(
        label=_("Condition"), choices=SequenceStep.Condition.choices, required=False
    )


class WebinarLessonField(forms.ModelChoiceField):
    """An academy lesson of the kind webinar, shown as ``course/lesson``."""

    def label_from_instance(self, obj: Lesson) -> str:
        return f"{obj.course.slug}/{obj.key}"


class WebinarForm(MultiLanguageForm):
    TEXTS = (("title", _("Title"), False), ("description", _("Description"), True))
    REQUIRED_EN = ("title",)
    kind = forms.ChoiceField(label=_("Kind"), choices=Webinar.Kind.choices)
    provider = forms.ChoiceField(label=_("Video server"), choices=Webinar.Provider.choices)
    starts_at = forms.DateTimeField(label=_("Starts at (live)"), required=False)
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=5, initial=60)
    viewing_times = forms.CharField(
        label=_("Viewing times (evergreen, HH:MM, comma-separated)"), required=False
    )
    video_url = forms.URLField(label=_("Recording URL (evergreen)"), required=False)
    lesson = WebinarLessonField(
        label=_("Academy lesson completed by attending"),
        queryset=Lesson.objects.none(),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lesson"].queryset = (
            Lesson.objects.filter(kind=Lesson.Kind.WEBINAR)
            .select_related("course")
            .order_by("course__slug", "position", "pk")
        )


class ArticleForm(MultiLanguageForm):
    TEXTS = (
        ("title", _("Title"), False),
        ("summary", _("Summary"), False),
        ("body", _("Text (Markdown)"), True),
    )
    REQUIRED_EN = ("title", "body")
    slug = forms.SlugField(label=_("Address"), max_length=120)
    publish = forms.BooleanField(label=_("Published"), required=False, initial=True)


class NewsForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))


class PageEditForm(forms.Form):
    headline = forms.CharField(
        label=_("Headline (empty: the template's)"), max_length=200, required=False
    )
    greeting = forms.CharField(
        label=_("Your greeting"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    photo = forms.ImageField(label=_("Your photo"), required=False)

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > 2 * 1024 * 1024:
            raise forms.ValidationError(_("The photo may be at most 2 MB."))
        return photo


class BroadcastForm(forms.Form):
    STAGES = (
        ("new", _("new")),
        ("contacted", _("contacted")),
        ("presented", _("presented")),
        ("customer", _("customer")),
        ("distributor", _("distributor")),
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("{{first_name}} is replaced by each contact's first name."),
    )
    stages = forms.MultipleChoiceField(
        label=_("Only these stages (none: all)"),
        choices=STAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.CharField(label=_("Only with these tags (comma-separated)"), required=False)
