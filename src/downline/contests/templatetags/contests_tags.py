"""Template helpers of the contests app: metric values, money of the residual view, the
dashboard card (two or three queries)."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from downline.core.formatting import format_money, format_volume

register = template.Library()


@register.filter
def metric_value(value, contest) -> str:
    """A score in the contest's unit: PV (hundredths) for volume metrics, else a count."""
    metric = contest.metric if hasattr(contest, "metric") else str(contest)
    if metric in ("customer_volume", "pv"):
        hundredths = int(value or 0)
        text = format_volume(hundredths, "").strip()
        if hundredths % 100 == 0 and len(text) > 3 and text[-3] in ".," and text.endswith("00"):
            text = text[:-3]  # whole PV: "340", not "340.00"
        return text
    return str(int(value or 0))


@register.filter
def cmoney(minor, currency: str) -> str:
    return format_money(int(minor or 0), currency)


@register.filter
def basis_points(value) -> str:
    """``1234`` → ``"12.34%"``."""
    if value is None:
        return "–"
    value = int(value)
    return f"{value // 100}.{value % 100:02d}%"


@register.filter
def text_in(texts, language: str = "") -> str:
    texts = texts or {}
    language = (language or get_language() or "en")[:2]
    return texts.get(language) or texts.get("en") or ""


@register.inclusion_tag("contests/_card.html")
def contest_card(member):
    from ..selectors import running_contest, tracker

    contest = running_contest()
    if contest is None:
        return {"contest": None}
    return {
        "contest": contest,
        "tracker": tracker(contest, member),
        "title": contest.title_in((get_language() or "en")[:2]),
    }
