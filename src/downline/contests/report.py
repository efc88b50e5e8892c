"""The monthly recognition report (PDF) for events and stages: the opted-in members'
advancements, anniversaries, certificates and contest winners of one month."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .selectors import recognition_month


def recognition_html(month: date, language: str) -> str:
    with translation.override(language):
        return render_to_string(
            "contests/recognition_pdf.html",
            {
                "items": recognition_month(month.year, month.month),
                "month": month,
                "company_name": settings.DOWNLINE_COMPANY_NAME,
            },
        )


def recognition_pdf(month: date, language: str) -> bytes:
    html = recognition_html(month, language)
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: the system's Pango library is missing
        raise ValidationError(
            _("A PDF needs WeasyPrint and the Pango library: %(why)s") % {"why": error}
        ) from error
    return HTML(string=html).write_pdf()
