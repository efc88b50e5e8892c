"""The certificate as PDF (WeasyPrint) with a QR code (segno) to its public verification page."""

from __future__ import annotations

import segno
from django.template.loader import render_to_string

from downline.genealogy.models import Distributor

from .models import Certificate
from .texts import pick


def qr_svg(url: str) -> str:
    """An SVG QR code of ``url`` (inline markup)."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2)


def certificate_pdf(
    cert: Certificate, member: Distributor, verify_url: str, *, language: str
) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "academy/certificate_pdf.html",
        {
            "cert": cert,
            "holder": member.name or member.member_id,
            "course_title": pick(cert.course.title, language, cert.course.source_language),
            "verify_url": verify_url,
            "qr": qr_svg(verify_url),
        },
    )
    return HTML(string=html).write_pdf()
