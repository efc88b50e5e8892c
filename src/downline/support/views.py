"""Support pages: the distributor's help desk, knowledge base and disputes; the console's queue,
ticket page, SLA figures and disputes. Views are thin: forms check shape, actions do the rest."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from downline.accounts.console import can, console_required
from downline.accounts.models import User
from downline.compensation.models import RunResult
from downline.compensation.traces import trace_of
from downline.core.formatting import parse_money
from downline.genealogy.access import member_required

from . import actions, selectors
from .evidence import EvidenceError, line_evidence, order_evidence
from .forms import (
    ArticleForm,
    DisputeDecisionForm,
    DisputeForm,
    RatingForm,
    ReplyForm,
    StaffReplyForm,
    TicketForm,
    TicketSettingsForm,
)
from .kb import ensure_content
from .models import Article, CannedAnswer, Dispute, Ticket


def _language(request) -> str:
    return (translation.get_language() or "en").split("-")[0]


def _form_error(form, error: actions.SupportError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error))


# ------------------------------------------------------------------------ distributor pages


@member_required
def home(request, member):
    tickets = selectors.tickets_of(member)[:50]
    disputes = selectors.disputes_of(member)[:50]
    return render(
        request,
        "support/home.html",
        {"tickets": tickets, "disputes": disputes, "query": request.GET.get("q", "")},
    )


@member_required
def ticket_new(request, member):
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        links = {"order": data["order"]} if data["order"] else None
        try:
            ticket = actions.do_open_ticket(
                member,
                subject=data["subject"],
                body=data["body"],
                category_key=data["category"],
                links=links,
                attachments=data["attachments"],
                language=_language(request),
            )
        except actions.SupportError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Your ticket %(token)s is open.") % {"token": ticket.token})
            return redirect("support:ticket", ticket.pk)
    return render(request, "support/ticket_new.html", {"form": form})


@member_required
def suggest(request, member):
    """htmx: knowledge-base articles matching what the member types."""
    ensure_content()
    query = " ".join([request.GET.get("subject", ""), request.GET.get("body", "")]).strip()
    found = selectors.search(query, _language(request), limit=5) if query else []
    return render(request, "support/_suggestions.html", {"found": found})


@member_required
def ticket(request, member, pk: int):
    ticket = get_object_or_404(Ticket, pk=pk, member=member)  # someone else's: 404
    reply_form = ReplyForm()
    rating_form = RatingForm()
    if request.method == "POST":
        try:
            if "satisfaction" in request.POST:
                rating_form = RatingForm(request.POST)
                if rating_form.is_valid():
                    actions.do_rate_ticket(
                        ticket,
                        member,
                        rating_form.cleaned_data["satisfaction"],
                        rating_form.cleaned_data["comment"],
                    )
                    messages.success(request, _("Thank you for your rating."))
                    return redirect("support:ticket", ticket.pk)
            else:
                reply_form = ReplyForm(request.POST, request.FILES)
                if reply_form.is_valid():
                    actions.do_member_reply(
                        ticket,
                        member,
                        reply_form.cleaned_data["body"],
                        attachments=reply_form.cleaned_data["attachments"],
                    )
                    return redirect("support:ticket", ticket.pk)
        except actions.SupportError as error:
            _form_error(rating_form if "satisfaction" in request.POST else reply_form, error)
    return render(
        request,
        "support/ticket.html",
        {
            "ticket": ticket,
            "thread": selectors.public_messages(ticket),
            "reply_form": reply_form,
            "rating_form": rating_form,
            "dispute": getattr(ticket, "dispute", None) if hasattr(ticket, "dispute") else None,
        },
    )


@member_required
def kb(request, member):
    ensure_content()
    language = _language(request)
    query = request.GET.get("q", "").strip()
    found = selectors.search(query, language, limit=20) if query else None
    return render(
        request,
        "support/kb.html",
        {
            "query": query,
            "found": found,
            "categories": None if query else selectors.articles_by_category(language),
        },
    )


@member_required
def article(request, member, key: str):
    ensure_content()
    article = get_object_or_404(Article, key=key, status=Article.Status.PUBLISHED)
    language = _language(request)
    if request.method == "POST":
        helpful = request.POST.get("helpful") == "yes"
        actions.do_vote_article(article, member, helpful, language)
        messages.success(request, _("Thank you for your feedback."))
        return redirect("support:article", article.key)
    return render(
        request,
        "support/article.html",
        {
            "article": article,
            "text": selectors.article_text(article, language),
            "related": selectors.related_of(article, language),
        },
    )


def _trace_for(dispute_or_evidence) -> dict:
    run, member = dispute_or_evidence.run, dispute_or_evidence.member
    if run is None:
        return {}
    result = RunResult.objects.filter(run=run, distributor=member).first()
    return trace_of(result) if result is not None else {}


@member_required
def dispute_new(request, member):
    line = request.GET.get("line") or request.POST.get("line")
    order = request.GET.get("order") or request.POST.get("order")
    if not line and not order:
        raise Http404
    try:
        evidence = (
            line_evidence(member, int(line)) if line else order_evidence(member, _order(order))
        )
    except (EvidenceError, ValueError) as error:
        return render(request, "support/dispute_refused.html", {"reason": str(error)}, status=404)
    form = DisputeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dispute = actions.do_open_dispute(
                member,
                line_id=int(line) if line else None,
                order_id=order if not line else None,
                message=form.cleaned_data["message"],
            )
        except actions.SupportError as error:
            _form_error(form, error)
        else:
            messages.success(
                request, _("Your dispute %(ref)s is open.") % {"ref": dispute.reference}
            )
            return redirect("support:dispute", dispute.pk)
    return render(
        request,
        "support/dispute_new.html",
        {
            "form": form,
            "evidence": evidence,
            "trace": _trace_for(evidence),
            "line": line or "",
            "order": order or "",
        },
    )


@member_required
def dispute_lines(request, member):
    """The member's commission lines of a closed period, each with "dispute this line"."""
    from downline.compensation.labels import bonus_label

    from .evidence import lines_of

    runs = list(selectors.closed_runs_of(member)[:24])
    code = request.GET.get("period") or (runs[0].period.code if runs else "")
    run = next((r for r in runs if r.period.code == code), None)
    rows = []
    if run is not None:
        from downline.genealogy.models import Distributor
        from downline.orders.models import Order

        lines = lines_of(member, run)
        sources = dict(
            Distributor.objects.filter(
                pk__in={line["source_id"] for _i, line in lines if line["source_id"]}
            ).values_list("pk", "member_id")
        )
        orders = dict(
            Order.objects.filter(
                pk__in={line["order_id"] for _i, line in lines if line["order_id"]}
            ).values_list("pk", "number")
        )
        for identifier, line in lines:
            rows.append(
                {
                    "id": identifier,
                    "bonus": bonus_label(run.plan_version, line["bonus"]),
                    "level": line["level"],
                    "source": sources.get(line["source_id"], ""),
                    "order": orders.get(line["order_id"], ""),
                    "amount": line["amount"],
                }
            )
    return render(
        request,
        "support/dispute_lines.html",
        {"runs": runs, "run": run, "rows": rows, "code": code},
    )


def _order(value: str):
    order = actions._find_order(value)
    if order is None:
        raise EvidenceError(_("No such order."), "order")
    return order


@member_required
def dispute(request, member, pk: int):
    dispute = get_object_or_404(Dispute, pk=pk, member=member)
    dispute = actions.sync_dispute(dispute)
    return render(
        request,
        "support/dispute.html",
        {"dispute": dispute, "trace": _trace_for(dispute), "staff": False},
    )


# ------------------------------------------------------------------------------ console


@console_required("helpdesk")
def console_queue(request):
    status = request.GET.get("status", "active")
    group = request.GET.get("group", "")
    mine = request.GET.get("mine") == "1"
    tickets = selectors.queue(status=status, group=group, assignee=request.user if mine else None)[
        :200
    ]
    return render(
        request,
        "support/console/queue.html",
        {
            "tickets": tickets,
            "status": status,
            "group": group,
            "mine": mine,
            "statuses": Ticket.Status.choices,
            "in_console": True,
        },
    )


@console_required("helpdesk")
def console_ticket(request, pk: int):
    ticket = get_object_or_404(Ticket.objects.select_related("member", "assignee"), pk=pk)
    reply_form = StaffReplyForm()
    canned_pk = request.GET.get("canned", "")
    if canned_pk.isdigit():
        answer = CannedAnswer.objects.filter(pk=int(canned_pk)).first()
        if answer is not None:
            reply_form = StaffReplyForm(initial={"body": answer.body, "kind": "public"})
    settings_form = TicketSettingsForm(
        initial={
            "priority": ticket.priority,
            "status": ticket.status,
            "group": ticket.assignee_group,
            "assignee": ticket.assignee.username if ticket.assignee else "",
        }
    )
    if request.method == "POST":
        try:
            if request.POST.get("form") == "settings":
                settings_form = TicketSettingsForm(request.POST)
                if settings_form.is_valid():
                    data = settings_form.cleaned_data
                    assignee = None
                    if data["assignee"]:
                        assignee = User.objects.filter(
                            username=data["assignee"], is_staff=True
                        ).first()
                        if assignee is None:
                            raise actions.SupportError(_("No such staff login."), "assignee")
                    actions.do_assign(ticket, request.user, group=data["group"], assignee=assignee)
                    if data["priority"] != ticket.priority:
                        actions.do_set_priority(ticket, request.user, data["priority"])
                    if data["status"] != ticket.status:
                        actions.do_set_status(ticket, request.user, data["status"])
                    return redirect("support:console_ticket", ticket.pk)
            else:
                reply_form = StaffReplyForm(request.POST)
                if reply_form.is_valid():
                    data = reply_form.cleaned_data
                    actions.do_staff_reply(
                        ticket,
                        request.user,
                        data["body"],
                        internal=data["kind"] == "internal",
                        wait_for_member=data["wait"] and data["kind"] == "public",
                    )
                    return redirect("support:console_ticket", ticket.pk)
        except actions.SupportError as error:
            target = settings_form if request.POST.get("form") == "settings" else reply_form
            _form_error(target, error)
    return render(
        request,
        "support/console/ticket.html",
        {
            "ticket": ticket,
            "thread": ticket.messages.select_related("author_user").prefetch_related("attachments"),
            "reply_form": reply_form,
            "settings_form": settings_form,
            "canned": selectors.canned_answers(ticket.language),
            "dispute": Dispute.objects.filter(ticket=ticket).first(),
            "can_disputes": can(request.user, "disputes"),
            "in_console": True,
        },
    )


@console_required("helpdesk")
def console_sla(request):
    days = max(1, min(int(request.GET.get("days", "30") or 30), 366))
    until = timezone.now()
    figures = selectors.sla_figures(until - timedelta(days=days), until)
    return render(
        request,
        "support/console/sla.html",
        {"figures": figures, "days": days, "in_console": True},
    )


@console_required("disputes")
def console_disputes(request):
    status = request.GET.get("status", "")
    disputes = Dispute.objects.select_related("member", "period").order_by("-opened_at")
    if status:
        disputes = disputes.filter(status=status)
    return render(
        request,
        "support/console/disputes.html",
        {
            "disputes": disputes[:200],
            "figures": selectors.dispute_figures(),
            "status": status,
            "statuses": Dispute.Status.choices,
            "in_console": True,
        },
    )


@console_required("disputes")
def console_dispute(request, pk: int):
    dispute = get_object_or_404(
        Dispute.objects.select_related("member", "period", "order", "adjustment"), pk=pk
    )
    dispute = actions.sync_dispute(dispute)
    form = DisputeDecisionForm(
        initial={
            "amount": "",
            "decision": "adjust",
        }
    )
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "approve":
                actions.do_approve_dispute_adjustment(dispute, request.user)
                return redirect("support:console_dispute", dispute.pk)
            form = DisputeDecisionForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                if data["decision"] == "reject":
                    actions.do_reject_dispute(dispute, request.user, reason=data["reason"])
                else:
                    currency = dispute.currency or dispute.member.currency
                    try:
                        amount = parse_money(data["amount"], currency)
                    except ValueError as error:
                        raise actions.SupportError(str(error), "amount") from error
                    actions.do_resolve_dispute_with_adjustment(
                        dispute, request.user, amount=amount, reason=data["reason"]
                    )
                return redirect("support:console_dispute", dispute.pk)
        except actions.SupportError as error:
            _form_error(form, error)
    return render(
        request,
        "support/console/dispute.html",
        {
            "dispute": dispute,
            "trace": _trace_for(dispute),
            "form": form,
            "staff": True,
            "in_console": True,
        },
    )


@console_required("helpdesk")
def console_articles(request):
    from django.db.models import Count, Q

    ensure_content()
    articles = (
        Article.objects.annotate(
            yes=Count("votes", filter=Q(votes__helpful=True)),
            no=Count("votes", filter=Q(votes__helpful=False)),
        )
        .prefetch_related("texts")
        .order_by("category", "position", "key")
    )
    rows = [(a, selectors.article_text(a, _language(request))) for a in articles]
    return render(request, "support/console/articles.html", {"rows": rows, "in_console": True})


@console_required("helpdesk")
def console_article(request, key: str):
    article = get_object_or_404(Article, key=key)
    language = request.GET.get("language") or request.POST.get("language") or "en"
    current = article.texts.filter(language=language).first()
    form = ArticleForm(
        request.POST or None,
        initial={
            "language": language,
            "title": current.title if current else "",
            "body": current.body if current else "",
            "status": article.status,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_edit_article(
                article,
                request.user,
                language=data["language"],
                title=data["title"],
                body=data["body"],
                status=data["status"],
            )
        except actions.SupportError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{request.path}?language={data['language']}")
    return render(
        request,
        "support/console/article.html",
        {
            "article": article,
            "form": form,
            "language": language,
            "votes": selectors.votes_of(article),
            "in_console": True,
        },
    )
