"""The distributor's contact pages and the contact's own pages.

Distributor pages (``member_required``) read only through ``selectors.contacts_of(member)``: a
contact of anyone else — a downline member's, an upline's — answers 404 like one that does not
exist. Staff have no page that shows contacts.

The contact's own pages need no login; they are found by the contact's random token:
``confirm`` (double opt-in: a button, so a mail scanner following the link confirms nothing)
and ``my_data`` (what we hold, unsubscribe, ask for deletion).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from downline.genealogy.access import member_required

from . import selectors
from .actions import (
    do_add_note,
    do_add_task,
    do_complete_task,
    do_confirm_email_consent,
    do_create_contact,
    do_delete_contact_data,
    do_merge_contacts,
    do_set_stage,
    do_unsubscribe,
    do_update_contact,
)
from .forms import ContactForm, ImportForm, MergeForm, NoteForm, StageForm, TaskForm
from .models import Contact, FollowUpTask
from .timeline import describe, details
from .transfer import ImportRefused, do_import, export_csv, export_vcard

PAGE_SIZE = 50


def _contact_or_404(member, pk) -> Contact:
    contact = selectors.contact_of(member, pk)
    if contact is None:
        raise Http404
    return contact


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@member_required
def contact_list(request: HttpRequest, member) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    stage = request.GET.get("stage", "")
    stage = stage if stage in Contact.Stage.values else ""
    tag = request.GET.get("tag", "").strip()[:40]
    contacts = selectors.search_contacts(member, query=query, stage=stage, tag=tag)
    counts = selectors.stage_counts(member)
    paginator = Paginator(selectors.list_rows(contacts), PAGE_SIZE)
    more_than = 0
    if not query and not tag:  # the count is known already: no second pass over the list
        paginator.__dict__["count"] = counts[stage] if stage else sum(counts.values())
    else:  # a search counts up to the cap only
        paginator.__dict__["count"] = selectors.count_matches(contacts)
        more_than = selectors.COUNT_CAP if paginator.count > selectors.COUNT_CAP else 0
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "more_than": more_than,
        "query": query,
        "stage": stage,
        "tag": tag,
        "stages": Contact.Stage.choices,
        "counts": counts,
        "tags": selectors.tags_of(member),
        "due_count": selectors.tasks_due(member).count(),
    }
    if request.headers.get("HX-Request"):
        return render(request, "contacts/_list_rows.html", context)
    return render(request, "contacts/list.html", context)


@member_required
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest, member) -> HttpResponse:
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = do_create_contact(member, source="manual", **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Contact added."))
            return redirect("contacts:detail", contact.pk)
    return render(
        request,
        "contacts/form.html",
        {"form": form, "contact": None},
        status=400 if form.errors else 200,
    )


@member_required
def contact_detail(request: HttpRequest, member, pk: int) -> HttpResponse:
    contact = _contact_or_404(member, pk)
    entries = list(contact.timeline.all()[:200])
    for entry in entries:
        entry.sentence = describe(entry)
        entry.details = details(entry)
    return render(
        request,
        "contacts/detail.html",
        {
            "contact": contact,
            "timeline": entries,
            "notes": contact.notes.all()[:100],
            "tasks": selectors.open_tasks(contact),
            "done_tasks": contact.tasks.filter(done_at__isnull=False).order_by("-done_at")[:20],
            "consents": contact.consents.all()[:20],
            "note_form": NoteForm(),
            "task_form": TaskForm(initial={"due_date": timezone.localdate()}),
            "stage_form": StageForm(initial={"stage": contact.stage}),
            "merge_form": MergeForm(),
            "now": timezone.now(),
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, member, pk: int) -> HttpResponse:
    contact = _contact_or_404(member, pk)
    initial = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "language": contact.language,
        "time_zone": contact.time_zone,
        "tags": ", ".join(contact.tags or []),
        "stage": contact.stage,
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        stage = data.pop("stage")
        try:
            do_update_contact(contact, **data)
            do_set_stage(contact, stage)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("contacts:detail", contact.pk)
    return render(
        request,
        "contacts/form.html",
        {"form": form, "contact": contact},
        status=400 if form.errors else 200,
    )


def _back(contact: Contact, error: ValidationError | None, request) -> HttpResponse:
    if error is not None:
        for message in error.messages:
            messages.error(request, message)
    return redirect("contacts:detail", contact.pk)


@member_required
@require_POST
def contact_stage(request: HttpRequest, member, pk: int) -> HttpResponse:
    contact = _contact_or_404(member, pk)
    try:
        do_set_stage(contact, request.POST.get("stage", ""))
    except ValidationError as error:
        return _back(contact, error, request)
    return _back(contact, None, request)


@member_required
@require_POST
def contact_note(request: HttpRequest, member, pk: int) -> HttpResponse:
    contact = _contact_or_404(member, pk)
    try:
        do_add_note(contact, request.POST.get("text", ""))
    except ValidationError as error:
        return _back(contact, error, request)
    return _back(contact, None, request)


@member_required
@require_POST
def contact_task(request: HttpRequest, member, pk: int) -> HttpResponse:
    contact = _contact_or_404(member, pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        return _back(
            contact,
            ValidationError([f"{k}: {' '.join(v)}" for k, v in form.errors.items()]),
            request,
        )
    try:
        do_add_task(contact, title=form.cleaned_data["title"], due_at=form.due_at())
    except ValidationError as error:
        return _back(contact, error, request)
    messages.success(request, _("Follow-up planned."))
    return _back(contact, None, request)


@member_required
@require_POST
def task_done(request: HttpRequest, member, pk: int) -> HttpResponse:
    task = (
        FollowUpTask.objects.filter(pk=pk, owner=member, contact__erased_at__isnull=True)
        .select_related("contact")
        .first()
    )
    if task is None:
        raise Http404
    do_complete_task(task)
    if request.POST.get("next") == "tasks":
        return redirect("contacts:tasks")
    return redirect("contacts:detail", task.contact_id)


@member_required
@require_POST
def contact_merge(request: HttpRequest, member, pk: int) -> HttpResponse:
    contact = _contact_or_404(member, pk)
    wanted = request.POST.get("other", "").strip()
    contacts = selectors.contacts_of(member)
    other = (
        contacts.filter(pk=int(wanted)).first()
        if wanted.isdigit()
        else contacts.filter(email=wanted.lower()).first()
    )
    if other is None:
        messages.error(request, _("You have no contact “%(other)s”.") % {"other": wanted})
        return redirect("contacts:detail", contact.pk)
    try:
        do_merge_contacts(contact, other)
    except ValidationError as error:
        return _back(contact, error, request)
    messages.success(request, _("The duplicate was merged into this contact."))
    return redirect("contacts:detail", contact.pk)


@member_required
@require_POST
def contact_erase(request: HttpRequest, member, pk: int) -> HttpResponse:
    contact = _contact_or_404(member, pk)
    do_delete_contact_data(contact, reason="owner")
    messages.success(request, _("The contact's personal data were erased."))
    return redirect("contacts:list")


@member_required
def tasks_due_view(request: HttpRequest, member) -> HttpResponse:
    tasks = list(selectors.tasks_due(member)[:500])
    now = timezone.now()
    return render(request, "contacts/tasks.html", {"tasks": tasks, "now": now})


@member_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest, member) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list = []
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        fmt = form.cleaned_data["format"]
        if fmt == "auto":
            name = (upload.name or "").lower()
            fmt = "vcard" if name.endswith((".vcf", ".vcard")) else "csv"
        try:
            result = do_import(member, upload.read(), fmt=fmt)
        except ImportRefused as refused:
            errors = refused.errors
    status = 400 if errors or form.errors else 200
    return render(
        request,
        "contacts/import.html",
        {"form": form, "errors": errors[:200], "error_count": len(errors), "result": result},
        status=status,
    )


def _download(body: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@member_required
def export_csv_view(request: HttpRequest, member) -> HttpResponse:
    contacts = selectors.contacts_of(member).order_by("pk")
    return _download(export_csv(contacts), "text/csv; charset=utf-8", "contacts.csv")


@member_required
def export_vcard_view(request: HttpRequest, member) -> HttpResponse:
    contacts = selectors.contacts_of(member).order_by("pk")
    return _download(export_vcard(contacts), "text/vcard; charset=utf-8", "contacts.vcf")


# --------------------------------------------------------------------------- the contact's own


def _by_token(token: str) -> Contact | None:
    if not token or len(token) > 64 or token.startswith("erased-"):
        return None
    return (
        Contact.objects.filter(unsubscribe_token=token, erased_at__isnull=True)
        .select_related("owner")
        .first()
    )


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def public_confirm(request: HttpRequest, token: str) -> HttpResponse:
    contact = _by_token(token)
    if contact is None or not contact.email:
        return _private(render(request, "contacts/public_gone.html", status=404))
    with translation.override(contact.language or "en"):
        confirmed = False
        if request.method == "POST":
            if contact.email_consent == Contact.Consent.WITHDRAWN:
                # a withdrawn consent is only given again through a new sign-up
                pass
            else:
                contact = do_confirm_email_consent(contact)
                confirmed = True
        return _private(
            render(
                request,
                "contacts/public_confirm.html",
                {"contact": contact, "confirmed": confirmed, "token": token},
            )
        )


@never_cache
@require_http_methods(["GET", "POST"])
def public_my_data(request: HttpRequest, token: str) -> HttpResponse:
    contact = _by_token(token)
    if contact is None:
        return _private(render(request, "contacts/public_gone.html", status=404))
    with translation.override(contact.language or "en"):
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "delete" and request.POST.get("confirm") == "yes":
                do_delete_contact_data(contact, reason="contact")
                return _private(render(request, "contacts/public_erased.html"))
            if action == "unsubscribe":
                contact = do_unsubscribe(contact)
        entries = list(contact.timeline.all()[:200])
        for entry in entries:
            entry.sentence = describe(entry)
        return _private(
            render(
                request,
                "contacts/public_my_data.html",
                {
                    "contact": contact,
                    "owner_name": contact.owner.name or contact.owner.member_id,
                    "consents": contact.consents.all(),
                    "timeline": entries,
                    "token": token,
                },
            )
        )
