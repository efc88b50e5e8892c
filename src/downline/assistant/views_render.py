"""A stored answer put into words in the reader's language (design rule 12)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _

from . import own_numbers
from .models import Message


@dataclass
class Shown:
    kind: str
    lines: list[str] = field(default_factory=list)
    quotes: list[dict] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    summary: str = ""
    offer_ticket: bool = False
    dispute_url: str = ""


def refusal_reason(category: str) -> str:
    reasons = {
        "income": _(
            "I cannot say how much you will or could earn: income depends on your own work and"
            " your team's, most distributors earn little, and no amount can be promised. The"
            " company's income disclosure shows what distributors actually earned."
        ),
        "health": _(
            "I cannot answer health claims: our products are not medicines, and only a doctor can"
            " advise you about an illness or a treatment."
        ),
        "legal": _(
            "I cannot give legal or tax advice: please ask a lawyer or a tax adviser. Support can"
            " answer questions about the company's own rules."
        ),
    }
    return reasons.get(category, _("I cannot help with that."))


def show(message: Message, language: str | None = None) -> Shown:
    language = language or translation.get_language() or message.language
    with translation.override(language):
        payload = message.payload or {}
        shown = Shown(kind=message.kind)
        if message.kind == Message.Kind.REFUSAL:
            shown.lines.append(refusal_reason(payload.get("category", "")))
            shown.offer_ticket = True
        elif message.kind == Message.Kind.OWN:
            rendered = own_numbers.render(payload, language)
            shown.lines, shown.links = rendered.lines, [link for link in rendered.links if link[1]]
            shown.dispute_url = rendered.offer_dispute
            shown.offer_ticket = True
        elif message.kind == Message.Kind.CITED:
            shown.quotes = list(payload.get("quotes", []))
            shown.links = [(r["title"], r["url"]) for r in payload.get("related", [])]
            shown.summary = payload.get("summary", "")
        else:
            shown.lines.append(
                _(
                    "I found nothing in the knowledge base, the academy or the plan that answers"
                    " this. Support can help: open a ticket and the conversation goes with it."
                )
            )
            shown.offer_ticket = True
        return shown


def answer_text(message: Message, language: str | None = None) -> str:
    """The answer as plain text (for a ticket's transcript)."""
    shown = show(message, language)
    parts = list(shown.lines)
    if shown.summary:
        parts.append(shown.summary)
    parts += [f"«{q['text']}» — {q['title']} {q['url']}".strip() for q in shown.quotes]
    parts += [f"{label}: {url}" for label, url in shown.links]
    return "\n".join(parts)
