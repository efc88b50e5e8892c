from django import template

from ..selectors import page_of, signups_this_week

register = template.Library()


@register.inclusion_tag("outreach/_card.html")
def outreach_card(member):
    """The dashboard card: the member's page and its sign-ups this week (two queries)."""
    page = page_of(member)
    return {"page": page, "signups": signups_this_week(member) if page else 0}
