"""``{% academy_card member %}``: the academy's card on the distributor's dashboard (two queries)."""

from __future__ import annotations

from django import template

from ..selectors import dashboard_card

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
