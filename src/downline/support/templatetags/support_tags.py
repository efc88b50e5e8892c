"""Template helpers of support: money, rates, SLA badges, the dashboard card."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.core.formatting import format_money
from downline.support import sla

register = template.Library()


@register.filter
def support_money(minor, currency) -> str:
    if minor is None:
        return "–"
    try:
        return format_money(int(minor), str(currency or "EUR"))
    except (ValueError, KeyError):
        return f"{minor} {currency}"


@register.filter
def sla_state(ticket) -> str:
    return sla.status(ticket, timezone.now())


SLA_WORDS = {
    "ok": lambda: _("on time"),
    "due_soon": lambda: _("due soon"),
    "breached": lambda: _("breached"),
    "paused": lambda: _("paused (waiting on the member)"),
    "done": lambda: _("done"),
}


@register.filter
def sla_label(state: str) -> str:
    return SLA_WORDS.get(state, lambda: state)()


@register.inclusion_tag("support/_card.html")
def support_card(member):
    from downline.support.models import Dispute, Ticket

    open_tickets = Ticket.objects.filter(
        member=member, status__in=["new", "open", "waiting_on_member"]
    ).count()
    waiting = Ticket.objects.filter(member=member, status="waiting_on_member").count()
    disputes = Dispute.objects.filter(
        member=member, status__in=["open", "pending_approval"]
    ).count()
    return {"open_tickets": open_tickets, "waiting": waiting, "disputes": disputes}


@register.filter
def support_markdown(text: str):
    """Markdown (no raw HTML) rendered and sanitised."""
    import nh3
    from django.utils.safestring import mark_safe
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": False}).render(text or "")
    return mark_safe(nh3.clean(html))


@register.filter
def rate_percent(dispute) -> str:
    if not dispute.rate_den:
        return "–"
    from decimal import ROUND_DOWN, Decimal

    value = (Decimal(dispute.rate_num) * 100 / Decimal(dispute.rate_den)).quantize(
        Decimal("0.01"), rounding=ROUND_DOWN
    )
    return f"{value:f}".rstrip("0").rstrip(".") + "%"


CAUSES = {
    "cap": lambda: _("a cap limited the line"),
    "bonus": lambda: _("the line was paid as computed"),
    "eligible": lambda: _("you were not eligible in the period"),
    "activity": lambda: _("you were not active in the period"),
    "requires": lambda: _("a requirement of the bonus was not met"),
    "depth": lambda: _("the order was beyond the levels your rank is paid"),
    "no_result": lambda: _("the period has no result for you"),
}


@register.filter
def cause_text(cause: str) -> str:
    head = (cause or "").split(":")[0]
    return CAUSES.get(head, lambda: cause or "–")()
