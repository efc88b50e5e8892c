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
from .pagination import page_number
from .selectors import current_period
from .statements import (
    Statement,
    file_stem,
    show_whole_level,
    statement_csv,
    statement_for,
    statement_pdf,
)

ENTRIES_PER_PAGE = 50


@member_required
def earnings_view(request: HttpRequest, member: Distributor) -> HttpResponse:
    period = current_period().period
    entries = Paginator(statement_entries(member), ENTRIES_PER_PAGE)
    page = entries.get_page(page_number(request))
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


def _statement(member: Distributor, code: str) -> Statement:
    statement = statement_for(member, code)
    if statement is None:
        raise Http404
    return statement


def _level_asked(request: HttpRequest) -> tuple[str, int] | None:
    """``(bonus, level)`` of ``?bonus=<name>&level=<n>``; ``None`` when not asked; 404 when
    either is malformed."""
    bonus, level = request.GET.get("bonus"), request.GET.get("level")
    if bonus is None and level is None:
        return None
    if not bonus or level is None or not level.lstrip("-").isdigit():
        raise Http404
    return bonus, int(level)


@member_required
def statement_view(request: HttpRequest, member: Distributor, code: str) -> HttpResponse:
    """The statement grouped by bonus, level and source; with ``?bonus=&level=`` the page of
    one level with every source and its lines (an unknown bonus or level is 404)."""
    statement = _statement(member, code)
    asked = _level_asked(request)
    if asked is None:
        return render(request, "web/statement.html", {"member": member, "s": statement})
    group = statement.level(*asked)
    if group is None:
        raise Http404
    section = next(section for section in statement.sections if section.name == asked[0])
    context = {
        "member": member,
        "s": statement,
        "section": section,
        "group": show_whole_level(group),
    }
    return render(request, "web/statement_level.html", context)


@member_required
def statement_csv_view(request: HttpRequest, member: Distributor, code: str) -> HttpResponse:
    statement = _statement(member, code)
    response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_stem(statement)}.csv"'
    return response


@member_required
def statement_pdf_view(request: HttpRequest, member: Distributor, code: str) -> HttpResponse:
    """The statement as PDF: level subtotals with their line counts (the CSV has the lines)."""
    statement = _statement(member, code)
    html = render_to_string(
        "web/statement_pdf.html", {"member": member, "s": statement, "pdf": True}, request=request
    )
    response = HttpResponse(statement_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_stem(statement)}.pdf"'
    return response
