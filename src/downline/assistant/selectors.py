"""Reads of the assistant: a member's conversation, and the console's figures."""

from __future__ import annotations

from django.db.models import Count, Q

from .models import Conversation, Feedback, Message


def conversation_messages(conversation: Conversation | None) -> list[Message]:
    if conversation is None:
        return []
    return list(conversation.messages.select_related("feedback").order_by("created_at", "id")[:200])


def latest_conversation(member) -> Conversation | None:
    return Conversation.objects.filter(member=member).first()


def console_stats() -> dict:
    answers = Message.objects.filter(role=Message.Role.ASSISTANT)
    by_kind = dict(answers.values_list("kind").annotate(n=Count("id")).order_by())
    feedback = Feedback.objects.aggregate(
        helped=Count("id", filter=Q(helpful=True)), not_helped=Count("id", filter=Q(helpful=False))
    )
    total = sum(by_kind.values())
    latencies = sorted(answers.values_list("latency_ms", flat=True)[:5000])
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0
    return {
        "answers": total,
        "cited": by_kind.get(Message.Kind.CITED, 0),
        "own": by_kind.get(Message.Kind.OWN, 0),
        "refusals": by_kind.get(Message.Kind.REFUSAL, 0),
        "unanswered": by_kind.get(Message.Kind.NONE, 0),
        "helped": feedback["helped"],
        "not_helped": feedback["not_helped"],
        "conversations": Conversation.objects.count(),
        "p95_ms": p95,
    }


def unanswered_questions(limit: int = 50) -> list[Message]:
    """Questions the assistant found nothing for, or whose answer did not help, newest first."""
    return list(
        Message.objects.filter(role=Message.Role.ASSISTANT)
        .filter(Q(kind=Message.Kind.NONE) | Q(feedback__helpful=False))
        .select_related("question", "conversation")
        .order_by("-created_at", "-id")[:limit]
    )
