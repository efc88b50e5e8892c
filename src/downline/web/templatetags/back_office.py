"""Filters for the back-office templates: volumes and money from integer units."""

from django import template

from downline.core.formatting import format_amount, format_money, format_volume
from downline.money import format_decimal

register = template.Library()


@register.filter
def volume(hundredths) -> str:
    """``1250`` → ``"12.50"`` (hundredths of a volume point; empty becomes 0.00)."""
    return format_volume(int(hundredths or 0), "")


@register.filter
def money(minor, currency: str) -> str:
    return format_money(int(minor or 0), currency)


@register.filter
def pv_met(pv, requirement) -> bool | None:
    """Whether ``pv`` (hundredths) meets the plan's PV condition; ``None`` when no plan says."""
    if requirement is None or requirement.pv_at_least is None:
        return None
    return int(pv or 0) >= requirement.pv_at_least


@register.filter
def minor(amount, digits) -> str:
    """Integer minor units with ``digits`` decimals: ``12345|minor:2`` → ``"123.45"``."""
    return format_decimal(int(amount or 0), int(digits))


@register.filter
def money_of(amount, currency: str) -> str:
    """Minor units of ``currency`` as a plain number (its own decimals), no code."""
    return format_amount(int(amount or 0), currency)


@register.filter
def negate(value) -> int:
    return -int(value or 0)


@register.filter
def basis_points(value) -> str:
    """``1234`` basis points → ``"12.34%"``; empty stays empty."""
    if value is None:
        return "–"
    return format_decimal(int(value), 2) + "%"
