"""The income disclosure statement as HTML and PDF, in English, Russian, Polish or German.

One template (``compliance/disclosure.html``) gives both: the HTML as it is, the PDF through
WeasyPrint (HTML and CSS to PDF; it needs the Pango library of the system, see
docs/income-disclosure.md). The disclaimer is the company's text for the language
(``DisclaimerText``), else :data:`DEFAULT_DISCLAIMER`, unless the caller gives one.
"""

from __future__ import annotations

from datetime import date

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from downline.compensation.labels import rank_label
from downline.core.formatting import format_date

from . import formatting as fmt
from .disclosure import EARLIER, NEW, RECENT, Figures, Statement, statement
from .errors import ComplianceError
from .models import DisclaimerText
from .selectors import StatementData

LANGUAGES = ("en", "ru", "pl", "de")
DEFAULT_DISCLAIMER = _(
    "The figures above are gross earnings paid by the company to participants; they are not "
    "profits. They do not include what participants spent on their business beyond the orders "
    "shown (travel, events, marketing, phone, internet), taxes or social contributions. Most "
    "participants earned little or nothing. Your results depend on your own effort, skill and "
    "market conditions; past results of others are no promise of what you will earn."
)
BAND_TITLES = {
    NEW: _("Joined in the covered periods"),
    RECENT: _("Joined in the 12 months before"),
    EARLIER: _("Joined earlier"),
}
COST_TITLES = {
    "starter_kits": _("Starter kits"),
    "autoship": _("Autoship orders"),
    "products": _("Other product orders"),
    "fees": _("Fees"),
    "all": _("All own orders"),
}


def disclaimer_for(language: str) -> str:
    stored = DisclaimerText.objects.filter(language=language).first()
    if stored is not None and stored.text.strip():
        return stored.text
    with translation.override(language):
        return str(DEFAULT_DISCLAIMER)


def _row(title: str, figures: Figures, money) -> dict[str, str]:
    return {
        "title": title,
        "participants": fmt.count(figures.participants),
        "share_of_all": fmt.percent(figures.share_of_all),
        "nothing": fmt.percent(figures.nothing_share),
        "median": money(figures.median),
        "mean": money(figures.mean),
        "p90": money(figures.p90),
        "top_1pct": fmt.percent(figures.top_1pct_share),
    }


def _context(data: StatementData, result: Statement, disclaimer: str) -> dict:
    def money(minor: int | None) -> str:
        return fmt.money(minor, data.currency, data.minor_digits)

    def day(value: date) -> str:
        return format_date(value, "long")

    return {
        "first_day": day(data.first_day),
        "last_day": day(data.last_day),
        "periods": ", ".join(data.periods),
        "currency": data.currency,
        "overall": _row(gettext("All participants"), result.overall, money),
        "by_rank": [
            _row(rank_label(data.rank_version, name), figures, money)
            for name, figures in result.by_rank
        ],
        "by_tenure": [_row(str(BAND_TITLES[band]), f, money) for band, f in result.by_tenure],
        "costs": [
            {
                "title": str(COST_TITLES[key]),
                "total": money(cost.total),
                "mean": money(cost.mean),
                "buyers": fmt.percent(cost.buyers_share),
                "mean_of_buyers": money(cost.mean_of_buyers),
            }
            for key, cost in result.costs.items()
        ],
        "net_negative": fmt.percent(result.net_negative_share),
        "net_median": money(result.net_median),
        "net_mean": money(result.net_mean),
        "total_paid": money(result.overall.total),
        "other_currency_orders": data.other_currency_orders,
        "disclaimer": disclaimer,
    }


def render_html(data: StatementData, language: str, disclaimer: str | None = None) -> str:
    """The statement of ``data`` as a complete HTML page in ``language``."""
    if language not in LANGUAGES:
        raise ComplianceError(
            gettext("Language %(language)s is not one of %(languages)s.")
            % {"language": language, "languages": ", ".join(LANGUAGES)}
        )
    result = statement(data.participants, data.rank_names)
    text = disclaimer if disclaimer is not None else disclaimer_for(language)
    with translation.override(language):
        context = _context(data, result, text)
        context["language"] = language
        return render_to_string("compliance/disclosure.html", context)


def render_pdf(data: StatementData, language: str, disclaimer: str | None = None) -> bytes:
    """The same statement as a PDF document."""
    html = render_html(data, language, disclaimer)
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: the system's Pango library is missing
        raise ComplianceError(
            gettext("A PDF needs WeasyPrint and the Pango library: %(why)s") % {"why": error}
        ) from error
    return HTML(string=html).write_pdf()
