"""Writes of the assistant: a question and its answer, feedback, a ticket from a conversation."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .answers import draft_answer
from .models import Conversation, Feedback, Message

MAX_QUESTION = 1000


def conversation_for(member, language: str, *, new: bool = False) -> Conversation:
    """The member's latest conversation (a new one when asked or when there is none)."""
    if not new:
        latest = Conversation.objects.filter(member=member).first()
        if latest is not None:
            return latest
    return Conversation.objects.create(member=member, language=language)


def do_ask(member, question: str, *, language: str, conversation: Conversation | None = None):
    """Answer ``question`` for ``member`` and store both messages; returns the answer."""
    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": _("Type a question.")})
    if len(question) > MAX_QUESTION:
        raise ValidationError(
            {"question": _("A question may have at most %(n)d characters.") % {"n": MAX_QUESTION}}
        )
    if conversation is not None and conversation.member_id != member.pk:
        raise PermissionDenied
    draft = draft_answer(member, question, language)
    with transaction.atomic():
        conversation = conversation or conversation_for(member, language)
        asked = Message.objects.create(
            conversation=conversation,
            role=Message.Role.USER,
            kind=Message.Kind.QUESTION,
            text=question,
            language=language,
        )
        answer = Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            kind=draft.kind,
            language=language,
            payload=draft.payload,
            sources=draft.sources,
            intent=draft.intent,
            score=draft.score,
            latency_ms=draft.latency_ms,
            question=asked,
        )
        conversation.save(update_fields=["updated_at"])
    return answer


def _own_answer(member, message_id: int) -> Message:
    message = (
        Message.objects.filter(pk=message_id, role=Message.Role.ASSISTANT)
        .select_related("conversation")
        .first()
    )
    if message is None or message.conversation.member_id != member.pk:
        raise PermissionDenied
    return message


@transaction.atomic
def do_feedback(member, message_id: int, *, helpful: bool) -> Feedback:
    """Record whether the answer helped (the member's own answers only; changeable)."""
    message = _own_answer(member, message_id)
    feedback, _created = Feedback.objects.update_or_create(
        message=message, defaults={"helpful": bool(helpful)}
    )
    return feedback


def transcript(conversation: Conversation, upto: Message | None = None) -> list[dict]:
    """The conversation as ``[{"role", "text", "kind", "sources", "at"}]`` for a ticket."""
    from .views_render import answer_text

    out = []
    for message in conversation.messages.order_by("created_at", "id"):
        text = message.text if message.role == Message.Role.USER else answer_text(message)
        out.append(
            {
                "role": message.role,
                "text": text,
                "kind": message.kind,
                "sources": list(message.sources),
                "at": message.created_at.isoformat(),
            }
        )
        if upto is not None and message.pk == upto.pk:
            break
    return out


def do_ticket_from_answer(member, message_id: int):
    """Open a support ticket with the conversation attached (``support.actions.do_open_ticket``)."""
    from downline.support.actions import do_open_ticket

    message = _own_answer(member, message_id)
    question = message.question.text if message.question_id else ""
    return do_open_ticket(
        member,
        subject=(_("Question to the assistant: %(q)s") % {"q": question})[:200],
        body=question or _("See the conversation with the assistant."),
        category_key="general",
        conversation=transcript(message.conversation, upto=message),
    )
