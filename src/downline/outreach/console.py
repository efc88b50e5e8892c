"""The console's outreach pages (capability ``outreach``): page templates, sequences and their
steps, company news, webinars, blog articles, and the log of what was sent."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from downline.accounts.console import console_required

from . import selectors
from .actions import do_send_broadcast
from .forms import ArticleForm, NewsForm, PageTemplateForm, SequenceForm, StepForm, WebinarForm
from .models import (
    Article,
    Broadcast,
    OutboundMail,
    PageTemplate,
    Sequence,
    SequenceStep,
    Webinar,
)
from .webinars import do_create_webinar

CAP = "outreach"


def _form_page(request, form, title: str, back: str, extra=None):
    return render(
        request,
        "outreach/console/form.html",
        {"form": form, "title": title, "back": back, **(extra or {})},
    )


@console_required(CAP)
def sent(request):
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    rows = Paginator(selectors.sent_log(state, kind), 100).get_page(request.GET.get("page"))
    selectors_counts = selectors.state_counts()
    return render(
        request,
        "outreach/console/sent.html",
        {
            "rows": rows,
            "state": state,
            "kind": kind,
            "states": OutboundMail.State.choices,
            "counts": [
                (label, selectors_counts.get(value, 0))
                for value, label in OutboundMail.State.choices
            ],
        },
    )


@console_required(CAP)
def templates(request):
    rows = PageTemplate.objects.annotate(n=Count("pages")).order_by("name")
    return render(request, "outreach/console/templates.html", {"rows": rows})


@console_required(CAP)
@require_http_methods(["GET", "POST"])
def template_edit(request, pk: int | None = None):
    item = get_object_or_404(PageTemplate, pk=pk) if pk else None
    initial = {}
    if item is not None:
        initial = {
            "key": item.key,
            "name": item.name,
            "video_url": item.video_url,
            "lead_course": item.lead_course,
            "active": item.active,
            "headline_b": (item.content_b.get("en") or {}).get("headline", ""),
            "body_b": (item.content_b.get("en") or {}).get("body", ""),
        }
    form = PageTemplateForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        content=item.content if item else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        clash = PageTemplate.objects.filter(key=data["key"]).exclude(pk=pk or 0).exists()
        if clash:
            form.add_error("key", _("Another template has this key."))
        else:
            item = item or PageTemplate()
            item.key, item.name = data["key"], data["name"]
            item.content = form.content()
            item.content_b = (
                {"en": {"headline": data["headline_b"], "body": data["body_b"]}}
                if data["headline_b"]
                else {}
            )
            item.video_url, item.lead_course = data["video_url"], data["lead_course"] or ""
            item.active = data["active"]
            if data.get("video_file"):
                item.video_file = data["video_file"].read()
                item.video_type = data["video_file"].content_type or "video/mp4"
            if data.get("ebook"):
                item.ebook = data["ebook"].read()
                item.ebook_name = data["ebook"].name
            item.save()
            messages.success(request, _("Saved."))
            return redirect("outreach:console_templates")
    return _form_page(request, form, _("Page template"), "outreach:console_templates")


@console_required(CAP)
def sequences(request):
    rows = Sequence.objects.annotate(
        steps_n=Count("steps", distinct=True),
        active_n=Count("enrollments", filter=Q(enrollments__state="active"), distinct=True),
    ).order_by("name")
    return render(request, "outreach/console/sequences.html", {"rows": rows})


@console_required(CAP)
@require_http_methods(["GET", "POST"])
def sequence_edit(request, pk: int | None = None):
    item = get_object_or_404(Sequence, pk=pk) if pk else None
    initial = (
        {
            "key": item.key,
            "name": item.name,
            "trigger": item.trigger,
            "reentry": item.reentry,
            "reentry_days": item.reentry_days,
            "active": item.active,
        }
        if item
        else {}
    )
    form = SequenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if Sequence.objects.filter(key=data["key"]).exclude(pk=pk or 0).exists():
            form.add_error("key", _("Another sequence has this key."))
        else:
            item = item or Sequence()
            for name in ("key", "name", "trigger", "reentry", "reentry_days", "active"):
                setattr(item, name, data[name])
            item.save()
            messages.success(request, _("Saved."))
            return redirect("outreach:console_sequence", pk=item.pk)
    steps = item.steps.order_by("position") if item else []
    return _form_page(
        request,
        form,
        _("Sequence"),
        "outreach:console_sequences",
        {"steps": steps, "sequence": item},
    )


@console_required(CAP)
@require_http_methods(["GET", "POST"])
def step_add(request, pk: int):
    sequence = get_object_or_404(Sequence, pk=pk)
    form = StepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            last = sequence.steps.aggregate(m=Max("position"))["m"] or 0
            SequenceStep.objects.create(
                sequence=sequence,
                position=last + 1,
                delay_minutes=form.cleaned_data["delay_minutes"],
                condition=form.cleaned_data["condition"] or "",
                content=form.content(),
            )
        messages.success(request, _("Step added."))
        return redirect("outreach:console_sequence", pk=sequence.pk)
    return _form_page(
        request,
        form,
        _("New step of %(name)s") % {"name": sequence.name},
        "outreach:console_sequences",
    )


@console_required(CAP)
@require_http_methods(["GET", "POST"])
def news(request):
    form = NewsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        broadcast = do_send_broadcast(
            None, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
        )
        messages.success(request, _("Queued for %(n)s distributors.") % {"n": broadcast.recipients})
        return redirect("outreach:console_news")
    recent = Broadcast.objects.select_related("owner").order_by("-created_at")[:30]
    return _form_page(request, form, _("Company news"), "outreach:console_sent", {"recent": recent})


@console_required(CAP)
def webinars(request):
    rows = (
        Webinar.objects.select_related("lesson__course")
        .annotate(
            registered=Count("registrations"),
            attended=Count("registrations", filter=Q(registrations__attended=True)),
        )
        .order_by("-starts_at", "-pk")
    )
    return render(request, "outreach/console/webinars.html", {"rows": rows})


@console_required(CAP)
@require_http_methods(["GET", "POST"])
def webinar_new(request):
    form = WebinarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        times = [t.strip() for t in data["viewing_times"].split(",") if t.strip()]
        try:
            do_create_webinar(
                content=form.content(),
                kind=data["kind"],
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                provider=data["provider"],
                viewing_times=times,
                video_url=data["video_url"],
                lesson=data.get("lesson"),
            )
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Webinar scheduled."))
            return redirect("outreach:console_webinars")
    return _form_page(request, form, _("New webinar"), "outreach:console_webinars")


@console_required(CAP)
def webinar_host(request, pk: int):
    """The moderator's way into the BigBlueButton room."""
    from .webinars import host_join_url

    webinar = get_object_or_404(Webinar, pk=pk, provider=Webinar.Provider.BBB)
    try:
        return redirect(
            host_join_url(webinar, request.user.get_full_name() or request.user.username)
        )
    except Exception as error:
        messages.error(
            request, _("The video server cannot be reached: %(error)s") % {"error": error}
        )
        return redirect("outreach:console_webinars")


@console_required(CAP)
def articles(request):
    rows = Article.objects.order_by("-published_at", "-pk")
    return render(request, "outreach/console/articles.html", {"rows": rows})


@console_required(CAP)
@require_http_methods(["GET", "POST"])
def article_edit(request, pk: int | None = None):
    item = get_object_or_404(Article, pk=pk) if pk else None
    initial = {"slug": item.slug, "publish": item.published_at is not None} if item else {}
    form = ArticleForm(
        request.POST or None, initial=initial, content=item.content if item else None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if Article.objects.filter(slug=data["slug"]).exclude(pk=pk or 0).exists():
            form.add_error("slug", _("Another article has this address."))
        else:
            item = item or Article()
            item.slug, item.content = data["slug"], form.content()
            if data["publish"] and item.published_at is None:
                item.published_at = timezone.now()
            elif not data["publish"]:
                item.published_at = None
            item.save()
            messages.success(request, _("Saved."))
            return redirect("outreach:console_articles")
    return _form_page(request, form, _("Article"), "outreach:console_articles")
