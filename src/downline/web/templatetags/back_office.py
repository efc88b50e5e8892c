"""Filters for the back-office templates: volumes and money from integer units."""

from django import template

from downline.core.formatting import format_money, format_volume

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
