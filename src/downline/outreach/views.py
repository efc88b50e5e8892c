"""The distributor's outreach pages (``outreach/…``): my page with its stats and QR code, my
webinars' registration links, my contacts in sequences, a broadcast to my contacts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from downline.genealogy.access import member_required

from . import pages, selectors
from .actions import do_remove_enrollment, do_send_broadcast
from .forms import BroadcastForm, PageEditForm
from .models import PageTemplate, Registration


def _errors_into(form, error: ValidationError, field: str) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else field, errors)
    else:
        form.add_error(field, error.messages)


@member_required
@require_http_methods(["GET", "POST"])
def my_page(request, member):
    page = selectors.page_of(member)
    templates = PageTemplate.objects.filter(active=True).order_by("name")
    if request.method == "POST" and request.POST.get("action") == "create":
        template = templates.filter(pk=request.POST.get("template")).first()
        if template is not None:
            pages.do_create_page(member, template)
            messages.success(request, _("Your page is ready."))
        return redirect("outreach:my_page")
    if page is None:
        return render(request, "outreach/my_page.html", {"page": None, "templates": templates})
    review = pages.sync_review(page)
    if review in ("approved", "rejected"):
        page.refresh_from_db()
    form = PageEditForm(
        request.POST or None,
        request.FILES or None,
        initial={"headline": page.headline, "greeting": page.greeting},
    )
    if request.method == "POST" and form.is_valid():
        try:
            outcome = pages.do_edit_page(
                page,
                greeting=form.cleaned_data["greeting"],
                headline=form.cleaned_data["headline"],
                author=member,
            )
        except ValidationError as error:
            _errors_into(form, error, "greeting")
        else:
            photo = form.cleaned_data.get("photo")
            if photo:
                pages.do_set_photo(page, photo.read(), photo.content_type or "image/jpeg")
            if outcome == "review":
                messages.warning(
                    request,
                    _(
                        "Your text waits for a compliance review; the page shows the old text meanwhile."
                    ),
                )
            else:
                messages.success(request, _("Your page is updated."))
            return redirect("outreach:my_page")
    url = pages.page_url(page)
    return render(
        request,
        "outreach/my_page.html",
        {
            "page": page,
            "form": form,
            "url": url,
            "share": pages.share_links(url, page.template.name),
            "stats": pages.page_stats(page),
            "review": pages.sync_review(page) if page.has_pending else "none",
        },
    )


@member_required
def my_webinars(request, member):
    page = selectors.page_of(member)
    webinars = list(selectors.upcoming_webinars().order_by("starts_at"))
    counts = dict(
        Registration.objects.filter(owner=member).values_list("webinar_id").annotate(n=Count("pk"))
    )
    attended = dict(
        Registration.objects.filter(owner=member, attended=True)
        .values_list("webinar_id")
        .annotate(n=Count("pk"))
    )
    language = request.LANGUAGE_CODE[:2]
    rows = [
        {
            "webinar": w,
            "title": w.title(language),
            "registered": counts.get(w.pk, 0),
            "attended": attended.get(w.pk, 0),
        }
        for w in webinars
    ]
    return render(request, "outreach/my_webinars.html", {"rows": rows, "page": page})


@member_required
def my_sequences(request, member):
    rows = selectors.enrollments_of(member)[:200]
    return render(request, "outreach/my_sequences.html", {"rows": rows})


@member_required
@require_POST
def remove_enrollment(request, member, enrollment_id: int):
    try:
        do_remove_enrollment(member, enrollment_id)
    except ValidationError:
        from django.http import Http404

        raise Http404 from None
    messages.success(request, _("The contact left the sequence."))
    return redirect("outreach:my_sequences")


@member_required
@require_http_methods(["GET", "POST"])
def broadcast(request, member):
    form = BroadcastForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tags = [t.strip() for t in form.cleaned_data["tags"].split(",") if t.strip()]
        try:
            sent = do_send_broadcast(
                member,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                language=member.language or "en",
                stages=form.cleaned_data["stages"],
                tags=tags,
            )
        except ValidationError as error:
            _errors_into(form, error, "body")
        else:
            if sent.state == sent.State.HELD:
                messages.warning(request, _("Your broadcast waits for a compliance review."))
            else:
                messages.success(
                    request,
                    _("Your broadcast is on its way to %(n)s contacts.") % {"n": sent.recipients},
                )
            return redirect("outreach:broadcast")
    recent = member.outreach_broadcasts.order_by("-created_at")[:10]
    return render(request, "outreach/broadcast.html", {"form": form, "recent": recent})
