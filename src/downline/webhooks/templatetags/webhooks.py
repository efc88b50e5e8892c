"""``{% webhook_notice %}``: the console banner for endpoints disabled after failures."""

from django import template

from ..models import Subscription

register = template.Library()


@register.inclusion_tag("webhooks/_notice.html", takes_context=True)
def webhook_notice(context) -> dict:
    """The endpoints disabled automatically, for staff who may manage webhooks (one query)."""
    caps = context.get("console_caps") or set()
    if "webhooks" not in caps:
        return {"disabled": []}
    disabled = list(
        Subscription.objects.filter(enabled=False, disabled_automatically=True).only(
            "pk", "url", "disabled_at"
        )
    )
    return {"disabled": disabled}
