"""Compliance pages of the console: the income disclosure statement and the pyramid-risk
indicators.

Both need the ``runs`` capability (roles admin and finance): anyone who is not staff with a
confirmed one-time code gets 404, staff of another role 403 (``web.roles``).

* **Statement.** The page checks the chosen range (``selectors.covered_periods``: final runs
  only) and shows the statement itself in a frame: the very document that is downloaded
  (``disclosure_render.render_html``), so what staff read and what is published cannot differ.
  That document carries its styles inline, so it is served with a policy of its own: inline
  styles only, no scripts, nothing loaded, sandboxed, framable by this site only. The PDF is
  the same document through WeasyPrint.
* **Indicators.** One row per indicator of ``selectors.indicators`` (company-wide, or over one
  leader's enrollment downline) with its value, formula, thresholds and status, written as
  colour, symbol and word. The chart shows the payout ratio (I14) of the final runs up to the
  period, with the amber and red lines; a table under it holds the same numbers.

Asking for a period or a leader that does not exist answers 404, with the reason on the page.
"""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from downline.accounts.console import console_required
from downline.compensation.models import Run
from downline.compensation.plans import loaded_plan, plan_version_for
from downline.compensation.selectors import final_run
from downline.periods.models import Period

from . import formatting as fmt
from .catalogue import NOTES
from .disclosure_render import LANGUAGES, render_html, render_pdf
from .errors import ComplianceError
from .forms import IndicatorsForm, StatementForm
from .selectors import IndicatorRow, _payout_history, covered_periods, indicators, statement_data

CAPABILITY = "runs"
TREND_PERIODS = 24
DOCUMENT_POLICY = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,
}

STATUS_TEXT = {
    "green": gettext_lazy("Green"),
    "amber": gettext_lazy("Amber"),
    "red": gettext_lazy("Red"),
    "unknown": gettext_lazy("Unknown"),
}
STATUS_SYMBOL = {"green": "✓", "amber": "!", "red": "✕", "unknown": "?"}

# The formula of each indicator in words (docs/compliance-indicators.md has the full rules).
FORMULAS = {
    "customer_share": gettext_lazy("Σ CV of retail customers' orders ÷ Σ CV of all orders."),
    "downline_customer_share": gettext_lazy(
        "Payees whose group's customer CV is at most the parameter share of the group's CV "
        "÷ payees."
    ),
    "customer_ratio": gettext_lazy(
        "Payees with PV whose customer PV is below the parameter share of their PV "
        "÷ payees with PV."
    ),
    "customer_base": gettext_lazy(
        "Distributors paid on others' volume with fewer distinct buying customers than the "
        "parameter and less customer PV than the second parameter ÷ all such distributors."
    ),
    "recruiting_share": gettext_lazy(
        "Σ recruiting-linked part of the lines (starter kits and first orders) ÷ Σ line amounts."
    ),
    "entry_payments": gettext_lazy(
        "Σ participants' starter-kit, fee and autoship orders (net of returns) ÷ Σ commissions."
    ),
    "threshold_bunching": gettext_lazy(
        "Own orders in the last days before the cut-off that lift the buyer just over a PV "
        "threshold of the plan ÷ own orders in those days."
    ),
    "overbuying": gettext_lazy(
        "Distributors whose own product and autoship orders exceed the parameter "
        "÷ distributors with such orders."
    ),
    "net_loss": gettext_lazy(
        "Distributors whose earnings minus own orders of every kind are below zero "
        "÷ all distributors."
    ),
    "zero_earners": gettext_lazy("Distributors who earned nothing ÷ all distributors."),
    "retention": gettext_lazy(
        "Distributors who joined the parameter number of periods earlier and have PV now "
        "÷ those joiners."
    ),
    "refund_rate": gettext_lazy(
        "Σ refunded in the period (returns after the close included) ÷ Σ amount of the orders "
        "paid in it."
    ),
    "recruiting_velocity": gettext_lazy(
        "(joiners ÷ joiners of the previous period) ÷ (customer CV ÷ customer CV of the "
        "previous period)."
    ),
    "payout_ratio": gettext_lazy("Σ commissions ÷ turnover (orders net of returns in the period)."),
    "payout_creep": gettext_lazy(
        "This period's payout ratio − the mean payout ratio of up to the parameter number of "
        "earlier final runs."
    ),
    "top_earner_source": gettext_lazy(
        "For the top 1 percent of payees: the part of their lines that came from participants' "
        "own purchases ÷ their total."
    ),
}


def _shown(kind: str, value: Fraction | None) -> str:
    if kind == "ratio":
        return fmt.ratio(value)
    if kind == "difference":
        return fmt.points(value)
    return fmt.percent(value)


def _row(row: IndicatorRow) -> dict:
    setting = row.setting
    indicator = setting.indicator
    value = row.measure.value
    note = NOTES.get(row.measure.note) if value is None else None
    sign = "≥" if indicator.higher_is_better else "≤"
    amber = _shown(indicator.kind, Fraction(setting.amber, 10_000))
    red = _shown(indicator.kind, Fraction(setting.red, 10_000))
    parameters = [p for p in (setting.parameter, setting.parameter_2) if p is not None]
    return {
        "code": indicator.code,
        "number": indicator.number,
        "title": indicator.title,
        "value": _shown(indicator.kind, value),
        "note": note,
        "status": row.status,
        "status_text": STATUS_TEXT[row.status],
        "symbol": STATUS_SYMBOL[row.status],
        "formula": FORMULAS.get(indicator.code, ""),
        "better": _("more is better") if indicator.higher_is_better else _("less is better"),
        "green_while": f"{sign} {amber}",
        "red_from": red,
        "parameters": ", ".join(fmt.count(p) for p in parameters),
        "parameter_help": indicator.parameter_help,
    }


def _final_period_codes() -> list[str]:
    return list(
        Period.objects.filter(runs__kind=Run.Kind.FINAL)
        .order_by("starts_at")
        .values_list("code", flat=True)
        .distinct()
    )


def _language(request: HttpRequest, asked: str | None = None) -> str:
    if asked in LANGUAGES:
        return asked
    current = translation.get_language() or "en"
    return current if current in LANGUAGES else "en"


# --------------------------------------------------------------------------- statement


@console_required(CAPABILITY)
@require_GET
def statement_view(request: HttpRequest) -> HttpResponse:
    """Choose the periods; see the statement of the final runs of those periods."""
    periods = _final_period_codes()
    offered = settings.LANGUAGES
    chosen = None
    status = 200
    if "first" in request.GET:
        form = StatementForm(request.GET, periods=periods, offered_languages=offered)
        if form.is_valid():
            first, last = form.cleaned_data["first"], form.cleaned_data["last"]
            try:
                covered = covered_periods(first, last)
            except ComplianceError as error:
                form.add_error(None, str(error))
                status = 400
            else:
                chosen = {
                    "first": first,
                    "last": last,
                    "language": _language(request, form.cleaned_data["language"]),
                    "periods": [p.code for p in covered],
                }
        else:
            status = 404 if any(f in form.errors for f in ("first", "last")) else 400
    else:
        initial = {"language": _language(request)}
        if periods:
            initial.update(first=periods[max(0, len(periods) - 12)], last=periods[-1])
        form = StatementForm(initial=initial, periods=periods, offered_languages=offered)
    context = {"form": form, "periods": periods, "chosen": chosen}
    return render(request, "compliance/pages/statement.html", context, status=status)


def _statement_request(request: HttpRequest) -> tuple[str, str, str]:
    first, last = request.GET.get("first", ""), request.GET.get("last", "")
    return first, last, _language(request, request.GET.get("language"))


def _refused(error: ComplianceError) -> HttpResponse:
    return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")


@console_required(CAPABILITY)
@require_GET
@xframe_options_sameorigin
@csp_override(DOCUMENT_POLICY)
def statement_html_view(request: HttpRequest) -> HttpResponse:
    """The statement as its HTML document (``?download=1``: as a file)."""
    first, last, language = _statement_request(request)
    try:
        html = render_html(statement_data(first, last), language)
    except ComplianceError as error:
        return _refused(error)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    if request.GET.get("download"):
        name = f"income-disclosure-{first}-{last}-{language}.html"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@console_required(CAPABILITY)
@require_GET
def statement_pdf_view(request: HttpRequest) -> HttpResponse:
    """The same statement as a PDF file."""
    first, last, language = _statement_request(request)
    try:
        pdf = render_pdf(statement_data(first, last), language)
    except ComplianceError as error:
        return _refused(error)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"income-disclosure-{first}-{last}-{language}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --------------------------------------------------------------------------- indicators


def _currency_of(period: Period) -> str | None:
    run = final_run(period)
    if run is not None:
        return run.currency
    version = plan_version_for(period)
    return loaded_plan(version).plan.currency_code if version is not None else None


def payout_trend(period: Period, amber: int, red: int) -> dict:
    """The company's payout ratio (final run's paid ÷ turnover of the period's orders net of
    returns, ``selectors._payout_history``) of up to ``TREND_PERIODS`` final runs up to and
    including ``period``, in percent with two decimals; ``None`` where there was no turnover."""
    currency = _currency_of(period)
    # every final run that starts before ``period`` ends: the earlier ones and its own
    until = SimpleNamespace(kind=period.kind, starts_at=period.ends_at)
    codes = list(
        Run.objects.filter(
            kind=Run.Kind.FINAL, period__kind=period.kind, period__starts_at__lt=period.ends_at
        )
        .order_by("-period__starts_at")
        .values_list("period__code", flat=True)[:TREND_PERIODS]
    )[::-1]
    history = _payout_history(until, currency, TREND_PERIODS) if currency else []
    ratios = [Fraction(paid, turnover) if turnover > 0 else None for paid, turnover in history]
    return {
        "periods": codes,
        "values": [None if r is None else round(float(r * 100), 2) for r in ratios],
        "shown": [fmt.percent(r) for r in ratios],
        "amber": amber / 100,
        "red": red / 100,
        "labels": {
            "series": _("Payout ratio (%)"),
            "amber": _("Amber from"),
            "red": _("Red from"),
        },
    }


@console_required(CAPABILITY)
@require_GET
def indicators_view(request: HttpRequest) -> HttpResponse:
    """The indicators of a period (and optionally of one leader's downline); without a choice,
    the latest period with a final run (else the latest period)."""
    periods = list(Period.objects.order_by("starts_at").values_list("code", flat=True))
    if "period" in request.GET:
        data = request.GET
    else:
        latest = (_final_period_codes() or periods)[-1:]
        data = {"period": latest[0]} if latest else None
    form = IndicatorsForm(data, periods=periods)
    context: dict = {"form": form, "rows": None, "trend": None, "leader": ""}
    if not form.is_bound:
        return render(request, "compliance/pages/indicators.html", context)
    if not form.is_valid():
        return render(request, "compliance/pages/indicators.html", context, status=404)
    period = Period.objects.get(code=form.cleaned_data["period"])
    leader = form.cleaned_data["leader"] or None
    try:
        rows = indicators(period, leader)
    except ComplianceError as error:
        form.add_error("leader" if leader else None, str(error))
        return render(
            request, "compliance/pages/indicators.html", context, status=404 if leader else 400
        )
    shown = [r for r in rows if r.setting.indicator.downline or not leader]
    payout = next(r for r in rows if r.setting.indicator.code == "payout_ratio")
    context.update(
        period=period,
        leader=leader or "",
        rows=[_row(r) for r in shown],
        counts=[
            {
                "status": key,
                "text": text,
                "symbol": STATUS_SYMBOL[key],
                "count": sum(1 for r in shown if r.status == key),
            }
            for key, text in STATUS_TEXT.items()
        ],
        trend=payout_trend(period, payout.setting.amber, payout.setting.red),
    )
    context["trend_rows"] = list(
        zip(context["trend"]["periods"], context["trend"]["shown"], strict=True)
    )
    return render(request, "compliance/pages/indicators.html", context)
