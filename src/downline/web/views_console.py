"""The company console: overview with charts, distributors, plans, periods and runs, payouts,
adjustments and returns. Every view is guarded by ``roles.console_required`` (see
``roles.py`` for who may do what); writes go through the apps' ``do_*`` actions and show their
refusal as it is, next to the form."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from downline.compensation.compare import compare_runs, impact, meaning_diff, text_diff
from downline.compensation.labels import rank_label
from downline.compensation.models import PlanActivation, PlanVersion, Run
from downline.compensation.plans import (
    PlanVersionError,
    do_activate_plan_version,
    do_create_plan_version,
    do_update_plan_version,
    loaded_plan,
)
from downline.compensation.reports import period_figures, rank_counts, rank_names, results_page
from downline.compensation.selectors import final_run
from downline.core.errors import DownlineError
from downline.core.jobs import do_fail_if_lost
from downline.genealogy.actions import do_change_status, do_move
from downline.genealogy.models import Distributor, StructureEvent
from downline.genealogy.rules import company_today
from downline.ledger.actions import (
    approval_limit,
    do_adjust_balance,
    do_approve_adjustment_request,
    do_reject_adjustment_request,
    do_request_adjustment,
    needs_approval,
)
from downline.ledger.models import Adjustment, AdjustmentRequest
from downline.ledger.selectors import balances
from downline.orders.actions import do_return_order
from downline.orders.models import Order
from downline.orders.selectors import returnable_quantities
from downline.payouts.actions import (
    do_approve_payout_batch,
    do_cancel_payout_batch,
    do_create_payout_batch,
    do_export_payout_batch,
    do_mark_batch_paid,
    do_mark_payout_failed,
)
from downline.payouts.instructions import Debtor
from downline.payouts.models import Payout, PayoutBatch
from downline.periods.models import Period

from . import console_forms as forms
from .actions import do_add_note, do_start_run
from .models import Note, RunJob
from .pagination import clamp_page, page_number
from .projection_slot import activity_requirement
from .roles import console_required
from .selectors import count_active, current_period

RESULTS_PER_PAGE = 50
SEARCH_LIMIT = 50


def error_text(error: Exception) -> str:
    """The sentence of a refused action (``DownlineError`` or a model ``ValidationError``)."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --------------------------------------------------------------------------- overview


@console_required("overview")
def overview_view(request: HttpRequest) -> HttpResponse:
    """Counts, open periods and the charts (their data from ``charts_view``).

    "Active" is the plan's activity rule, as on the dashboards and in the charts (there from
    the final runs; here the current period so far, from its live volumes); distributors whose
    account is merely not suspended are counted apart, under "account status active"."""
    counts = Distributor.objects.aggregate(
        distributors=Count("id", filter=Q(kind=Distributor.Kind.DISTRIBUTOR)),
        account_active=Count(
            "id",
            filter=Q(kind=Distributor.Kind.DISTRIBUTOR, status=Distributor.Status.ACTIVE),
        ),
        customers=Count("id", filter=Q(kind=Distributor.Kind.CUSTOMER)),
    )
    current = current_period()
    requirement = activity_requirement(current.period)
    counts["active"] = count_active(current.period, requirement)
    periods = Period.objects.filter(status=Period.Status.OPEN).order_by("starts_at")
    context = {
        "counts": counts,
        "periods": periods,
        "current": current,
        "requirement": requirement,
    }
    return render(request, "web/console/overview.html", context)


@console_required("overview")
def charts_view(request: HttpRequest) -> JsonResponse:
    """The chart data per closed period (final runs): money as decimal strings of the
    currency, ratios in percent with two decimals, counts as integers."""
    from downline.money import format_decimal

    rows = period_figures()
    latest = (
        Run.objects.filter(kind=Run.Kind.FINAL)
        .select_related("plan_version")
        .order_by("-period__starts_at")
        .first()
    )
    ranks = rank_counts(latest) if latest is not None else []
    currency = rows[-1].currency if rows else ""
    return JsonResponse(
        {
            "periods": [row.code for row in rows],
            "currency": currency,
            "revenue": [format_decimal(row.revenue, row.minor_digits) for row in rows],
            "paid": [format_decimal(row.paid, row.minor_digits) for row in rows],
            "cv": [format_decimal(row.cv, 2) for row in rows],
            "active": [row.active for row in rows],
            "new": [row.new for row in rows],
            "retention": [
                None if row.retention_bp is None else format_decimal(row.retention_bp, 2)
                for row in rows
            ],
            "payout_ratio": [
                None if row.payout_ratio_bp is None else format_decimal(row.payout_ratio_bp, 2)
                for row in rows
            ],
            "ranks": {
                "period": latest.period.code if latest else None,
                "names": [rank_label(latest.plan_version, name) for name, _count in ranks],
                "counts": [count for _name, count in ranks],
            },
            "labels": {
                "revenue": _("Revenue"),
                "paid": _("Commissions paid"),
                "cv": _("CV"),
                "active": _("Active distributors (plan's activity rule)"),
                "new": _("New distributors"),
                "retention": _("Retention (%)"),
                "payout_ratio": _("Payout ratio (%)"),
                "ranks": _("Paid-as ranks"),
            },
        }
    )


# --------------------------------------------------------------------------- distributors


@console_required("distributors")
def distributors_view(request: HttpRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET or None)
    results: list[Distributor] = []
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
    if len(query) >= 2:
        results = list(
            Distributor.objects.filter(
                Q(member_id__istartswith=query) | Q(name__icontains=query) | Q(email__iexact=query)
            )
            .order_by("member_id")
            .only("id", "member_id", "name", "email", "status", "kind", "joined_on")[:SEARCH_LIMIT]
        )
    context = {"form": form, "results": results, "query": query}
    if _is_htmx(request):
        return render(request, "web/console/partials/distributor_results.html", context)
    return render(request, "web/console/distributors.html", context)


def _distributor_context(member: Distributor, request: HttpRequest, **forms_given) -> dict:
    return {
        "m": member,
        "notes": Note.objects.filter(distributor=member).select_related("author")[:50],
        "events": StructureEvent.objects.filter(distributor=member)
        .select_related("actor")
        .order_by("-effective_at", "-id")[:20],
        "balances": balances(member),
        "status_form": forms_given.get("status_form") or forms.StatusForm(),
        "move_form": forms_given.get("move_form") or forms.MoveForm(),
        "note_form": forms_given.get("note_form") or forms.NoteForm(),
    }


def _member_or_404(member_id: str) -> Distributor:
    member = (
        Distributor.objects.select_related("sponsor", "placement_parent")
        .filter(member_id=member_id)
        .first()
    )
    if member is None:
        raise Http404
    return member


@console_required("distributors")
def distributor_view(request: HttpRequest, member_id: str) -> HttpResponse:
    member = _member_or_404(member_id)
    return render(request, "web/console/distributor.html", _distributor_context(member, request))


@require_POST
@console_required("moves")
def distributor_status_view(request: HttpRequest, member_id: str) -> HttpResponse:
    member = _member_or_404(member_id)
    form = forms.StatusForm(request.POST)
    if form.is_valid():
        try:
            do_change_status(
                member,
                form.cleaned_data["status"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except (DownlineError, ValidationError) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("The status of %(id)s changed.") % {"id": member_id})
            return redirect("web:console_distributor", member_id)
    context = _distributor_context(member, request, status_form=form)
    return render(request, "web/console/distributor.html", context, status=400)


@require_POST
@console_required("moves")
def distributor_move_view(request: HttpRequest, member_id: str) -> HttpResponse:
    member = _member_or_404(member_id)
    form = forms.MoveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        sponsor = Distributor.objects.filter(member_id=data["sponsor"].strip()).first()
        parent = None
        if data.get("placement_parent"):
            parent = Distributor.objects.filter(member_id=data["placement_parent"].strip()).first()
            if parent is None:
                form.add_error("placement_parent", _("No member has this id."))
        if sponsor is None:
            form.add_error("sponsor", _("No member has this id."))
        if not form.errors:
            try:
                do_move(
                    member,
                    sponsor=sponsor,
                    placement_parent=parent,
                    position=data.get("position"),
                    actor=request.user,
                    reason=data["reason"],
                )
            except (DownlineError, ValidationError) as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, _("%(id)s was moved.") % {"id": member_id})
                return redirect("web:console_distributor", member_id)
    context = _distributor_context(member, request, move_form=form)
    return render(request, "web/console/distributor.html", context, status=400)


@require_POST
@console_required("notes")
def distributor_note_view(request: HttpRequest, member_id: str) -> HttpResponse:
    member = _member_or_404(member_id)
    form = forms.NoteForm(request.POST)
    if form.is_valid():
        try:
            do_add_note(member, form.cleaned_data["text"], author=request.user)
        except DownlineError as error:
            form.add_error("text", error_text(error))
        else:
            return redirect("web:console_distributor", member_id)
    context = _distributor_context(member, request, note_form=form)
    return render(request, "web/console/distributor.html", context, status=400)


# --------------------------------------------------------------------------- plans


def _plan_issues(error: PlanVersionError) -> list[dict]:
    """Each issue ``plan.yaml:LINE: path: message`` split for the page (line may be empty)."""
    out = []
    for issue in error.issues:
        _source, _sep, rest = issue.partition(":")
        line, _sep2, text = rest.partition(":")
        if line.strip().isdigit():
            out.append({"line": int(line), "text": text.strip(), "raw": issue})
        else:
            out.append({"line": None, "text": issue, "raw": issue})
    return out


def _numbered(text: str, issues: list[dict]) -> list[dict]:
    bad = {}
    for issue in issues:
        if issue["line"]:
            bad.setdefault(issue["line"], []).append(issue["text"])
    return [
        {"number": n, "text": line, "issues": bad.get(n, [])}
        for n, line in enumerate(text.splitlines(), start=1)
    ]


@console_required("plans_read")
def plans_view(request: HttpRequest) -> HttpResponse:
    from .roles import can

    versions = PlanVersion.objects.select_related("author").order_by("name", "-number")
    activations = PlanActivation.objects.select_related("period", "version").order_by(
        "-period__starts_at"
    )
    form = forms.PlanForm()
    issues: list[dict] = []
    status = 200
    if request.method == "POST":
        if not can(request.user, "plans_write"):
            raise PermissionDenied
        form = forms.PlanForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                version = do_create_plan_version(
                    form.cleaned_data["text"], author=request.user, note=form.cleaned_data["note"]
                )
            except PlanVersionError as error:
                issues = _plan_issues(error)
                status = 400
            else:
                messages.success(request, _("%(version)s stored.") % {"version": version})
                return redirect("web:console_plan", version.pk)
        else:
            status = 400
    compare = forms.CompareForm(versions=versions, periods=Period.objects.order_by("-starts_at"))
    context = {
        "versions": versions,
        "activations": activations,
        "form": form,
        "issues": issues,
        "numbered": _numbered(form.cleaned_data.get("text", ""), issues) if issues else [],
        "compare_form": compare,
    }
    return render(request, "web/console/plans.html", context, status=status)


@console_required("plans_read")
def plan_view(request: HttpRequest, pk: int) -> HttpResponse:
    from .roles import can

    version = get_object_or_404(PlanVersion.objects.select_related("author"), pk=pk)
    form = forms.PlanForm(initial={"text": version.text, "note": version.note})
    activate = forms.ActivateForm()
    issues: list[dict] = []
    status = 200
    if request.method == "POST":
        if not can(request.user, "plans_write"):
            raise PermissionDenied
        if "activate" in request.POST:
            activate = forms.ActivateForm(request.POST)
            if activate.is_valid():
                period = Period.objects.filter(code=activate.cleaned_data["period"].strip()).first()
                if period is None:
                    activate.add_error("period", _("No period has this code."))
                else:
                    try:
                        do_activate_plan_version(version, period, actor=request.user)
                    except DownlineError as error:
                        activate.add_error(None, error_text(error))
                    else:
                        messages.success(
                            request,
                            _("%(version)s is the plan from %(period)s on.")
                            % {"version": version, "period": period.code},
                        )
                        return redirect("web:console_plan", version.pk)
            status = 400
        else:
            form = forms.PlanForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    do_update_plan_version(
                        version, form.cleaned_data["text"], note=form.cleaned_data["note"]
                    )
                except PlanVersionError as error:
                    issues = _plan_issues(error)
                except DownlineError as error:
                    form.add_error(None, error_text(error))
                else:
                    messages.success(request, _("%(version)s saved.") % {"version": version})
                    return redirect("web:console_plan", version.pk)
            status = 400
    plan = loaded_plan(version).plan
    context = {
        "version": version,
        "plan": plan,
        "form": form,
        "activate_form": activate,
        "issues": issues,
        "numbered": _numbered(form.cleaned_data.get("text", ""), issues) if issues else [],
        "activations": PlanActivation.objects.filter(version=version).select_related("period"),
        "runs": Run.objects.filter(plan_version=version).select_related("period")[:20],
    }
    return render(request, "web/console/plan.html", context, status=status)


@console_required("plans_read")
def plan_compare_view(request: HttpRequest) -> HttpResponse:
    """Text diff and meaning diff of two versions; with a period, the impact report."""
    versions = PlanVersion.objects.order_by("name", "-number")
    form = forms.CompareForm(
        request.GET or None, versions=versions, periods=Period.objects.order_by("-starts_at")
    )
    context: dict = {"form": form}
    if form.is_valid():
        a, b = form.cleaned_data["a"], form.cleaned_data["b"]
        context.update(a=a, b=b, diff=text_diff(a, b), changes=meaning_diff(a, b))
        period = form.cleaned_data.get("period")
        if period is not None:
            try:
                context["impact"] = impact(period, a, b)
                context["impact_period"] = period
            except DownlineError as error:
                context["impact_error"] = error_text(error)
    return render(request, "web/console/plan_compare.html", context)


# --------------------------------------------------------------------------- periods and runs


def _periods():
    return Period.objects.order_by("-starts_at")


@console_required("runs")
def periods_view(request: HttpRequest) -> HttpResponse:
    periods = list(_periods()[:24])
    runs = Run.objects.filter(period__in=periods).select_related("period", "plan_version")
    by_period: dict[int, list[Run]] = {}
    for run in runs.order_by("-computed_at"):
        by_period.setdefault(run.period_id, []).append(run)
    for period in periods:
        period.run_list = by_period.get(period.pk, [])
    context = {
        "periods": periods,
        "form": forms.StartRunForm(periods=_periods()),
        "jobs": RunJob.objects.select_related("period", "run", "started_by")[:10],
    }
    return render(request, "web/console/periods.html", context)


@require_POST
@console_required("runs")
def run_start_view(request: HttpRequest) -> HttpResponse:
    form = forms.StartRunForm(request.POST, periods=_periods())
    if form.is_valid():
        try:
            job = do_start_run(
                form.cleaned_data["period"], form.cleaned_data["kind"], actor=request.user
            )
        except DownlineError as error:
            messages.error(request, error_text(error))
        else:
            return redirect("web:console_job", job.pk)
    else:
        messages.error(request, _("Choose a period and a kind of run."))
    return redirect("web:console_periods")


@console_required("runs")
def job_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A run job's progress; HTMX polls the fragment until the job is finished (or failed,
    also when its worker is found gone while it polls)."""
    job = get_object_or_404(RunJob.objects.select_related("period", "run"), pk=pk)
    do_fail_if_lost(job)
    context = {"job": job}
    if _is_htmx(request):
        return render(request, "web/console/partials/job_progress.html", context)
    return render(request, "web/console/job.html", context)


@console_required("runs")
def run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A run: its totals, a preview compared with the last final, and its results by page."""
    run = get_object_or_404(Run.objects.select_related("period", "plan_version"), pk=pk)
    page = page_number(request)
    query = request.GET.get("q", "").strip()
    rows, total = results_page(run, page, RESULTS_PER_PAGE, query)
    if clamp_page(page, total, RESULTS_PER_PAGE) != page:  # beyond the last page: the last
        page = clamp_page(page, total, RESULTS_PER_PAGE)
        rows, total = results_page(run, page, RESULTS_PER_PAGE, query)
    names = [rank_label(run.plan_version, name) for name in rank_names(run)]
    for row in rows:
        row.paid_as_name = names[row.paid_as_rank]
        row.highest_name = names[row.highest_rank]
    comparison = against = None
    if run.kind != Run.Kind.FINAL:
        against = final_run(run.period) or (
            Run.objects.filter(kind=Run.Kind.FINAL, period__starts_at__lt=run.period.starts_at)
            .select_related("period")
            .order_by("-period__starts_at")
            .first()
        )
        if against is not None:
            comparison = compare_runs(against, run, limit=50)
    pages = Paginator(range(total), RESULTS_PER_PAGE).get_page(page)
    context = {
        "run": run,
        "rows": rows,
        "total": total,
        "pages": pages,
        "query": query,
        "comparison": comparison,
        "against": against,
    }
    if _is_htmx(request):
        return render(request, "web/console/partials/results.html", context)
    return render(request, "web/console/run.html", context)


# --------------------------------------------------------------------------- payouts


@console_required("payouts")
def payouts_view(request: HttpRequest) -> HttpResponse:
    form = forms.BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and form.cleaned_data.get("minimum_minor"):
        try:
            batch = do_create_payout_batch(
                form.cleaned_data["currency"],
                minimum=form.cleaned_data["minimum_minor"],
                actor=request.user,
            )
        except DownlineError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Batch #%(id)s drafted.") % {"id": batch.pk})
            return redirect("web:console_batch", batch.pk)
    batches = PayoutBatch.objects.select_related("created_by", "approved_by")[:50]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "web/console/payouts.html", {"form": form, "batches": batches}, status=status
    )


def _batch_context(batch: PayoutBatch, **extra) -> dict:
    context = {
        "batch": batch,
        "payouts": batch.payouts.select_related("distributor").order_by("id")[:500],
        "holds": batch.holds.select_related("distributor").order_by("id")[:500],
        "export_form": forms.ExportForm(
            initial={"execution_date": company_today() + timedelta(days=1)}
        ),
        "fail_form": forms.FailPayoutForm(),
    }
    context.update(extra)
    return context


@console_required("payouts")
def batch_view(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(
        PayoutBatch.objects.select_related("created_by", "approved_by"), pk=pk
    )
    return render(request, "web/console/batch.html", _batch_context(batch))


def _batch_action(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    batch = get_object_or_404(PayoutBatch, pk=pk)
    try:
        action(batch, actor=request.user)
    except DownlineError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, done % {"id": batch.pk})
    return redirect("web:console_batch", batch.pk)


@require_POST
@console_required("payouts")
def batch_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_action(request, pk, do_approve_payout_batch, _("Batch #%(id)s approved."))


@require_POST
@console_required("payouts")
def batch_paid_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_action(request, pk, do_mark_batch_paid, _("Batch #%(id)s marked paid."))


@require_POST
@console_required("payouts")
def batch_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_action(request, pk, do_cancel_payout_batch, _("Batch #%(id)s cancelled."))


@require_POST
@console_required("payouts")
def batch_export_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch file as a download (CSV or SEPA pain.001); the batch becomes exported."""
    batch = get_object_or_404(PayoutBatch, pk=pk)
    form = forms.ExportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            debtor = None
            if data["file_format"] == "sepa" or data.get("debtor_iban"):
                debtor = Debtor(data["debtor_name"], data["debtor_iban"], data["debtor_bic"])
            content = do_export_payout_batch(
                batch,
                file_format=data["file_format"],
                debtor=debtor,
                execution_date=data["execution_date"],
                actor=request.user,
            )
        except DownlineError as error:
            form.add_error(None, error_text(error))
        else:
            extension, kind = (
                ("xml", "application/xml")
                if data["file_format"] == "sepa"
                else ("csv", "text/csv; charset=utf-8")
            )
            response = HttpResponse(content, content_type=kind)
            response["Content-Disposition"] = (
                f'attachment; filename="payout-batch-{batch.pk}.{extension}"'
            )
            return response
    batch.refresh_from_db()
    return render(
        request, "web/console/batch.html", _batch_context(batch, export_form=form), status=400
    )


@require_POST
@console_required("payouts")
def payout_failed_view(request: HttpRequest, pk: int) -> HttpResponse:
    payout = get_object_or_404(Payout, pk=pk)
    form = forms.FailPayoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the payout failed."))
        return redirect("web:console_batch", payout.batch_id)
    try:
        do_mark_payout_failed(payout, reason=form.cleaned_data["reason"], actor=request.user)
    except DownlineError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("The payout to %(id)s failed; its amount is back in the wallet.")
            % {"id": payout.distributor.member_id},
        )
    return redirect("web:console_batch", payout.batch_id)


# --------------------------------------------------------------------------- money


def _post_or_request_adjustment(request: HttpRequest, form: forms.AdjustmentForm) -> None:
    """Post the adjustment of a valid form, or, above the approval limit, ask a second staff
    member for it; the outcome is a message, a refusal an error on the form."""
    data = form.cleaned_data
    amount = data["amount_minor"]
    arguments = {
        "currency": data["currency"],
        "reason": data["reason"],
        "reference": data["reference"],
        "actor": request.user,
    }
    if needs_approval(
        amount, actor=request.user, distributor=data["member"], currency=data["currency"]
    ):
        pending = do_request_adjustment(data["member"], amount, **arguments)
        messages.success(
            request,
            _(
                "The adjustment is above the limit one person may post; request #%(id)s waits "
                "for a second staff member's approval."
            )
            % {"id": pending.pk},
        )
    else:
        do_adjust_balance(data["member"], amount, **arguments)
        messages.success(request, _("The adjustment is posted."))


def _decide_adjustment(request: HttpRequest, form: forms.AdjustmentDecisionForm) -> None:
    """Approve (post) or reject a pending adjustment request, as the signed-in staff member."""
    pending = get_object_or_404(AdjustmentRequest, pk=form.cleaned_data["request"])
    if form.cleaned_data["decision"] == "approve":
        do_approve_adjustment_request(pending, actor=request.user)
        messages.success(request, _("Request #%(id)s is approved and posted.") % {"id": pending.pk})
    else:
        do_reject_adjustment_request(
            pending, reason=form.cleaned_data["reason"], actor=request.user
        )
        messages.success(request, _("Request #%(id)s is rejected.") % {"id": pending.pk})


@console_required("adjustments")
def adjustments_view(request: HttpRequest) -> HttpResponse:
    """Adjustments: up to ``DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT`` posted at once, larger ones
    requested and decided by a second staff member (``ledger.actions``, four eyes)."""
    deciding = request.method == "POST" and "decision" in request.POST
    form = forms.AdjustmentForm(None if deciding else (request.POST or None))
    decision = forms.AdjustmentDecisionForm(request.POST if deciding else None)
    if request.method == "POST":
        try:
            if deciding and decision.is_valid():
                _decide_adjustment(request, decision)
                return redirect("web:console_adjustments")
            if not deciding and form.is_valid() and form.cleaned_data.get("amount_minor"):
                _post_or_request_adjustment(request, form)
                return redirect("web:console_adjustments")
        except DownlineError as error:
            target = decision if deciding else form
            field = error.field if error.field in target.fields else None
            target.add_error(field if field != "request" else None, error_text(error))
    recent = Adjustment.objects.select_related(
        "distributor", "created_by", "request__decided_by"
    ).order_by("-created_at", "-id")[:50]
    requests = AdjustmentRequest.objects.select_related(
        "distributor", "requested_by", "decided_by"
    ).order_by("-requested_at", "-id")[:50]
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "decision_form": decision,
        "recent": recent,
        "pending": [r for r in requests if r.status == AdjustmentRequest.Status.PENDING],
        "decided": [r for r in requests if r.status != AdjustmentRequest.Status.PENDING],
        "approval_limit": approval_limit(),
        "limit_currency": settings.DOWNLINE_CURRENCY,
    }
    return render(request, "web/console/adjustments.html", context, status=status)


@console_required("returns")
def returns_view(request: HttpRequest) -> HttpResponse:
    """Find an order by number, then return some or all of its lines with a reason."""
    lookup = forms.ReturnLookupForm(request.GET or None)
    order = None
    form = None
    if lookup.is_valid():
        order = (
            Order.objects.filter(number=lookup.cleaned_data["order"].strip(), returns_order=None)
            .select_related("buyer", "distributor", "period")
            .first()
        )
        if order is None:
            lookup.add_error("order", _("No order (that is not itself a return) has this number."))
    if order is not None:
        left = returnable_quantities(order)
        lines = [(line, left.get(line.pk, 0)) for line in order.lines.order_by("id")]
        lines = [(line, qty) for line, qty in lines if qty > 0]
        form = forms.ReturnForm(request.POST or None, lines=lines)
        if request.method == "POST" and form.is_valid():
            quantities = form.quantities()
            if not quantities:
                form.add_error(None, _("Choose at least one unit to return."))
            else:
                try:
                    refund = do_return_order(
                        order, quantities, reason=form.cleaned_data["reason"], actor=request.user
                    )
                except DownlineError as error:
                    form.add_error(None, error_text(error))
                else:
                    messages.success(
                        request,
                        _("Return %(number)s recorded.") % {"number": refund.number}
                        + (" " + _("It creates clawbacks.") if refund.after_close else ""),
                    )
                    return redirect(reverse("web:console_returns") + f"?order={order.number}")
    recent = (
        Order.objects.filter(returns_order__isnull=False)
        .select_related("returns_order", "buyer")
        .order_by("-created_at", "-id")[:20]
    )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "web/console/returns.html",
        {"lookup": lookup, "order": order, "form": form, "recent": recent},
        status=status,
    )
