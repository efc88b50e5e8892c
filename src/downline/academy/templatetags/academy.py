"""``{% academy_card member %}``: the academy's card on the distributor's dashboard (two queries)."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from ..selectors import dashboard_card
from ..texts import pick

register = template.Library()


@register.inclusion_tag("academy/_card.html")
def academy_card(member):
    return {"card": dashboard_card(member)}


@register.filter
def cert_state(cert, day) -> str:
    return cert.state_on(day)


@register.filter
def cert_state_label(state: str) -> str:
    from django.utils.translation import gettext as _

    return {
        "valid": _("valid"),
        "expired": _("expired"),
        "revoked": _("revoked"),
        "failed": _("not passed"),
    }.get(state, state)


@register.filter
def title_in_language(content) -> str:
    """The ``title`` of a ``{language: {"title": …}}`` mapping (a linked webinar's texts) in the
    reader's language, with the academy's fallback (``texts.pick``)."""
    titles = {code: (entry or {}).get("title", "") for code, entry in (content or {}).items()}
    return pick(titles, (get_language() or "en")[:2])
