"""The plan lab in the console: start a simulation, follow its progress, read its results.

Every page needs the ``plans_read`` capability (roles admin and finance); anyone who is not
staff with a confirmed one-time code gets 404, staff of another role 403 (``web.roles``). A run
that does not exist is 404.

The results page shows the key figures of ``metrics.json`` per plan, side by side when two
plans were compared (with the difference of the means), and embeds the offline report. The
report is rendered from the stored metrics on each request, in the reader's language; it
carries its own scripts and styles inline, so it is served with a policy of its own: scripts
and styles inline only, nothing loaded from anywhere, ``sandbox allow-scripts`` (an opaque
origin: no cookies, no requests as the signed-in user) and framable by this site only.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_http_methods

from downline.accounts.console import console_required
from downline.core.formatting import format_money, format_number
from downline.core.jobs import do_fail_if_lost
from downline.i18n import use_language

from .actions import SimulationInputError, do_start_simulation
from .forms import StartSimulationForm
from .models import SimulationRun
from .report import render_report

CAPABILITY = "plans_read"
RUNS_SHOWN = 30
REPORT_POLICY = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.UNSAFE_INLINE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": ["data:"],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
    "sandbox": ["allow-scripts"],
}


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _runs():
    return SimulationRun.objects.select_related("started_by").defer("metrics", "plan_text")


def _latest_runs() -> list[SimulationRun]:
    """The latest runs; a running one whose worker died is failed on the way (with why)."""
    runs = list(_runs()[:RUNS_SHOWN])
    for run in runs:
        do_fail_if_lost(run)
    return runs


# --------------------------------------------------------------------------- pages


@console_required(CAPABILITY)
@require_http_methods(["GET", "POST"])
def lab_view(request: HttpRequest) -> HttpResponse:
    """The form to start a simulation and the latest runs."""
    form = StartSimulationForm()
    status = 200
    if request.method == "POST":
        form = StartSimulationForm(request.POST)
        if form.is_valid():
            try:
                run = do_start_simulation(form.simulation_request(), actor=request.user)
            except SimulationInputError as error:
                for field, message in error.problems:
                    form.add_error(field, message)
            else:
                messages.success(request, _("Simulation #%(number)s started.") % {"number": run.pk})
                return redirect("planlab:run", run.pk)
        status = 400
    runs = _latest_runs()
    context = {"form": form, "runs": runs, "polling": any(not r.is_finished for r in runs)}
    return render(request, "simulation/lab.html", context, status=status)


@console_required(CAPABILITY)
@require_GET
def runs_view(request: HttpRequest) -> HttpResponse:
    """The list of runs alone (HTMX polls it while a run is unfinished)."""
    runs = _latest_runs()
    context = {"runs": runs, "polling": any(not r.is_finished for r in runs)}
    return render(request, "simulation/partials/runs.html", context)


@console_required(CAPABILITY)
@require_GET
def run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: its settings and progress, and once done its key figures and the report."""
    run = get_object_or_404(SimulationRun.objects.select_related("started_by"), pk=pk)
    do_fail_if_lost(run)  # a run whose worker died shows as failed, with the reason
    if _is_htmx(request):
        response = render(request, "simulation/partials/progress.html", {"run": run})
        if run.is_finished:
            response["HX-Refresh"] = "true"  # the results replace the progress
        return response
    context = {"run": run, "table": None}
    if run.status == SimulationRun.Status.DONE and run.metrics:
        context["table"] = key_figures(run.metrics)
    return render(request, "simulation/run.html", context)


def _done_run(pk: int) -> SimulationRun:
    """A finished run with results; a run still under way or failed has none (404)."""
    run = get_object_or_404(SimulationRun, pk=pk)
    if run.status != SimulationRun.Status.DONE or not run.metrics:
        raise Http404(_("This simulation has no results yet."))
    return run


@console_required(CAPABILITY)
@require_GET
@xframe_options_sameorigin
@csp_override(REPORT_POLICY)
def report_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The offline report of a finished run (``?download=1``: as a file)."""
    run = _done_run(pk)
    with use_language(translation.get_language() or "en"):
        html = render_report(run.metrics)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Referrer-Policy"] = "no-referrer"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="simulation-{run.pk}.html"'
    return response


@console_required(CAPABILITY)
@require_GET
def metrics_view(request: HttpRequest, pk: int) -> HttpResponse:
    """``metrics.json`` of a finished run, as a file."""
    run = _done_run(pk)
    response = JsonResponse(run.metrics, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="simulation-{run.pk}-metrics.json"'
    return response


# --------------------------------------------------------------------------- key figures


def _number(value: Decimal | int, places: int) -> str:
    return format_number(value, places)


class Shown:
    """How one kind of figure is written: money (minor units), a share, a count or a ratio."""

    def __init__(self, currency: str, minor_digits: int) -> None:
        self.currency = currency
        self.minor_digits = minor_digits

    def money(self, value: int | None) -> str:
        if value is None:
            return "–"
        return format_money(int(value), self.currency, places=self.minor_digits)

    @staticmethod
    def share(value: float | None) -> str:
        """``0.1234`` → ``12.3%`` (English), ``12,3 %`` (German, Polish, Russian)."""
        if value is None:
            return "–"
        number = _number(Decimal(str(round(value * 100, 1))), 1)
        return f"{number}%" if translation.get_language() in (None, "en") else f"{number}\u00a0%"

    @staticmethod
    def count(value: int | None) -> str:
        return "–" if value is None else _number(int(value), 0)

    @staticmethod
    def decimal(value: float | None) -> str:
        return "–" if value is None else _number(Decimal(str(round(value, 3))), 3)

    def difference(self, kind: str, a, b) -> str:
        if a is None or b is None:
            return "–"
        delta = b - a
        sign = "+" if delta > 0 else ""
        if kind == "share":
            return f"{sign}{_number(Decimal(str(round(delta * 100, 1))), 1)}\u00a0pp"
        if kind == "money":
            return sign + self.money(delta)
        if kind == "decimal":
            return sign + self.decimal(delta)
        return sign + self.count(delta)


# (title, where in a plan's metrics, kind); the path ends at a band {mean, p10, p90}
KEY_FIGURES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (gettext_lazy("Total commissions"), ("totals", "commissions"), "money"),
    (gettext_lazy("Payout ratio (of CV)"), ("totals", "payout_ratio_cv"), "share"),
    (gettext_lazy("Payout ratio (of turnover)"), ("totals", "payout_ratio_turnover"), "share"),
    (gettext_lazy("Breakage"), ("totals", "breakage"), "money"),
    (gettext_lazy("Recruiting-linked share of pay"), ("totals", "linked_share"), "share"),
    (gettext_lazy("Participants"), ("income", "participants"), "count"),
    (gettext_lazy("Earned nothing"), ("income", "nothing_share"), "share"),
    (gettext_lazy("Median earnings"), ("income", "median"), "money"),
    (gettext_lazy("Mean earnings"), ("income", "mean"), "money"),
    (gettext_lazy("90th percentile"), ("income", "p90"), "money"),
    (gettext_lazy("99th percentile"), ("income", "p99"), "money"),
    # xgettext:no-python-format
    (gettext_lazy("Top 1% share"), ("income", "top_1pct_share"), "share"),
    (gettext_lazy("Gini coefficient"), ("income", "gini"), "decimal"),
    (
        gettext_lazy("Below zero after own purchases"),
        ("net_of_purchases", "negative_share"),
        "share",
    ),
    (gettext_lazy("Median net of own purchases"), ("net_of_purchases", "median"), "money"),
)


def _band_at(plan: dict, path: tuple[str, ...]) -> dict | None:
    node = plan
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node if isinstance(node, dict) and "mean" in node else None


def key_figures(metrics: dict) -> dict:
    """The table of the results page: one column per plan, rows of (mean, p10–p90) and, when
    two plans were compared, the second plan's mean minus the first's."""
    shown = Shown(metrics["currency"]["code"], metrics["currency"]["minor_digits"])
    plans = metrics["plans"]
    writer = {
        "money": shown.money,
        "share": shown.share,
        "count": shown.count,
        "decimal": shown.decimal,
    }
    rows = []
    for title, path, kind in KEY_FIGURES:
        write = writer[kind]
        cells = []
        means = []
        for plan in plans:
            band = _band_at(plan, path)
            means.append(None if band is None else band["mean"])
            cells.append(
                {"mean": "–", "band": "", "label": plan["label"]}
                if band is None
                else {
                    "mean": write(band["mean"]),
                    "band": f"{write(band['p10'])} – {write(band['p90'])}",
                    "label": plan["label"],
                }
            )
        row = {"title": str(title), "cells": cells, "difference": None}
        if len(plans) == 2:
            row["difference"] = shown.difference(kind, means[0], means[1])
        rows.append(row)
    network = metrics["network"]
    reached = network.get("distributors_reached") or {}
    share = network.get("customer_cv_share_total") or {}
    return {
        "plans": [{"label": p["label"], "name": p["name"]} for p in plans],
        "rows": rows,
        "compares": len(plans) == 2,
        "currency": shown.currency,
        "reached": {
            "mean": shown.count(reached.get("mean")),
            "band": f"{shown.count(reached.get('p10'))} – {shown.count(reached.get('p90'))}",
        },
        "customer_share": {
            "mean": shown.share(share.get("mean")),
            "band": f"{shown.share(share.get('p10'))} – {shown.share(share.get('p90'))}",
        },
        "months": metrics.get("months", []),
    }
