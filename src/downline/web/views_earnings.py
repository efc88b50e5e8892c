"""The distributor's earnings: wallet, statements per period (lines, sources, trace,
clawbacks), ledger history and payouts; a statement as CSV or PDF. A distributor reaches only
their own statements: the period code is looked up for the signed-in member alone, so any
other code (or a period without a final run) is 404."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from downline.compensation.reports import statements_of
from downline.compensation.selectors import clawback_lines
from downline.genealogy.models import Distributor
from downline.ledger.selectors import balances, statement_entries
from downline.payouts.models import Payout

from .access import member_required
from .selectors import current_period
from .statements import PDF_LINES, file_stem, statement_csv, statement_for, statement_pdf

ENTRIES_PER_PAGE = 50


@member_required
def earnings_view(request: HttpRequest, member: Distributor) -> HttpResponse:
    period = current_period().period
    entries = Paginator(statement_entries(member), ENTRIES_PER_PAGE)
    page = entries.get_page(request.GET.get("page"))
    context = {
        "member": member,
        "balances": balances(member),
        "statements": statements_of(member),
        "pending_clawbacks": clawback_lines(period, member) if period is not None else [],
        "entries": page,
        "payouts": list(
            Payout.objects.filter(distributor=member)
            .select_related("batch")
            .order_by("-batch__created_at", "-id")[:50]
        ),
    }
    return render(request, "web/earnings.html", context)


def _statement(member: Distributor, code: str, limit: int | None):
    statement = statement_for(member, code, limit=limit)
    if statement is None:
        raise Http404
    return statement


@member_required
def statement_view(request: HttpRequest, member: Distributor, code: str) -> HttpResponse:
    statement = _statement(member, code, limit=None if request.GET.get("all") else 500)
    return render(request, "web/statement.html", {"member": member, "s": statement})


@member_required
def statement_csv_view(request: HttpRequest, member: Distributor, code: str) -> HttpResponse:
    statement = _statement(member, code, limit=None)
    response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_stem(statement)}.csv"'
    return response


@member_required
def statement_pdf_view(request: HttpRequest, member: Distributor, code: str) -> HttpResponse:
    statement = _statement(member, code, limit=PDF_LINES)
    html = render_to_string(
        "web/statement_pdf.html", {"member": member, "s": statement}, request=request
    )
    response = HttpResponse(statement_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_stem(statement)}.pdf"'
    return response
