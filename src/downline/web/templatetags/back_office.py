"""Filters for the back-office templates: money, volumes, numbers and dates from integer units,
in the reader's locale. Every filter is a thin wrapper of ``downline.core.formatting`` (the one
formatter, built on Babel); nothing here formats by itself."""

from datetime import date, datetime

from django import template

from downline.core.formatting import (
    format_date,
    format_datetime,
    format_fixed,
    format_money,
    format_money_number,
    format_number,
    format_volume,
)

register = template.Library()


@register.filter
def volume(hundredths) -> str:
    """``1250`` → ``"12.50"`` (en), ``"12,50"`` (de): hundredths of a volume point; empty is 0."""
    return format_volume(int(hundredths or 0), "")


@register.filter
def money(minor, currency: str) -> str:
    """Minor units of ``currency`` with its symbol: ``4990|money:"EUR"`` → ``"€49.90"`` (en),
    ``"49,90 €"`` (de)."""
    return format_money(int(minor or 0), currency)


@register.filter
def pv_met(pv, requirement) -> bool | None:
    """Whether ``pv`` (hundredths) meets the plan's PV condition; ``None`` when no plan says."""
    if requirement is None or requirement.pv_at_least is None:
        return None
    return int(pv or 0) >= requirement.pv_at_least


@register.filter
def minor(amount, digits) -> str:
    """Integer minor units with ``digits`` decimals as a localized number:
    ``1234567|minor:2`` → ``"12,345.67"`` (en), ``"12.345,67"`` (de)."""
    return format_fixed(int(amount or 0), int(digits))


@register.filter
def money_of(amount, currency: str) -> str:
    """Minor units of ``currency`` as a localized number (its own decimals), no symbol: for a
    column or sentence that names the currency itself."""
    return format_money_number(int(amount or 0), currency)


@register.filter
def run_money(minor, run) -> str:
    """Minor units of a run's currency with the run's minor digits (a plan's point currency
    has its own), with the symbol or code: ``{{ total|run_money:run }}``."""
    return format_money(int(minor or 0), run.currency, places=run.minor_digits)


@register.filter
def run_number(minor, run) -> str:
    """Minor units of a run's currency as a localized number alone (the run's digits)."""
    return format_fixed(int(minor or 0), run.minor_digits)


@register.filter
def number(value) -> str:
    """A count, grouped in the reader's locale: ``18545`` → ``"18,545"`` / ``"18 545"``."""
    return format_number(int(value or 0))


@register.filter
def day(value: date | datetime | None, style: str = "medium") -> str:
    """A date in the reader's locale (``6 Dec 2026``, ``06.12.2026``); empty stays empty."""
    return "" if value is None else format_date(value, style)


@register.filter
def moment(value: datetime | None, style: str = "short") -> str:
    """A date and time in the reader's locale and time zone; empty stays empty."""
    return "" if value is None else format_datetime(value, style)


@register.filter
def negate(value) -> int:
    return -int(value or 0)


@register.filter
def basis_points(value) -> str:
    """``1234`` basis points → ``"12.34%"`` (en), ``"12,34%"`` (de); empty is a dash."""
    if value is None:
        return "–"
    return format_fixed(int(value), 2) + "%"


@register.filter
def trace_value(value) -> str:
    """A trace's required or actual value in the reader's words and locale
    (``web.projection_slot.show_trace_value``)."""
    from downline.web.projection_slot import show_trace_value

    return show_trace_value(value)
