from django import template

from downline.genealogy.models import Distributor

from .. import selectors

register = template.Library()


@register.simple_tag
def growth_unread(user) -> int:
    """Unread notifications of the signed-in member (one query)."""
    return selectors.unread_count_for_user(user)


@register.simple_tag
def growth_radar_count(member: Distributor | None) -> int:
    if member is None:
        return 0
    return selectors.open_count(member)
