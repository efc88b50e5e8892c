"""The assistant's pages: the distributor's chat, the active plan's page, the console's figures."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.views.decorators.http import require_POST

from downline.accounts.console import console_required
from downline.genealogy.access import member_required

from . import actions, selectors
from .documents import LANGUAGES, plan_documents
from .models import Conversation, Message
from .views_render import show


def _language() -> str:
    code = (translation.get_language() or "en").split("-")[0]
    return code if code in LANGUAGES else "en"


def _entries(messages: list[Message]) -> list[dict]:
    language = _language()
    return [
        {"message": m, "shown": show(m, language) if m.role == Message.Role.ASSISTANT else None}
        for m in messages
    ]


@member_required
def chat_view(request: HttpRequest, member) -> HttpResponse:
    conversation = selectors.latest_conversation(member)
    return render(
        request,
        "assistant/chat.html",
        {
            "conversation": conversation,
            "entries": _entries(selectors.conversation_messages(conversation)),
        },
    )


@member_required
@require_POST
def ask_view(request: HttpRequest, member) -> HttpResponse:
    conversation = None
    if request.POST.get("conversation"):
        conversation = Conversation.objects.filter(
            pk=request.POST.get("conversation"), member=member
        ).first()
        if conversation is None:
            raise Http404
    error = ""
    answer = None
    try:
        answer = actions.do_ask(
            member,
            request.POST.get("question", ""),
            language=_language(),
            conversation=conversation,
        )
    except ValidationError as problem:
        error = " ".join(problem.messages)
    if not request.headers.get("HX-Request"):
        return redirect("assistant:chat")
    entries = _entries([answer.question, answer]) if answer is not None else []
    return render(request, "assistant/_exchange.html", {"entries": entries, "error": error})


@member_required
@require_POST
def new_conversation_view(request: HttpRequest, member) -> HttpResponse:
    actions.conversation_for(member, _language(), new=True)
    return redirect("assistant:chat")


@member_required
@require_POST
def feedback_view(request: HttpRequest, member, pk: int) -> HttpResponse:
    try:
        feedback = actions.do_feedback(member, pk, helpful=request.POST.get("helpful") == "1")
    except PermissionDenied as error:
        raise Http404 from error
    if not request.headers.get("HX-Request"):
        return redirect("assistant:chat")
    return render(request, "assistant/_feedback.html", {"feedback": feedback, "pk": pk})


@member_required
@require_POST
def ticket_view(request: HttpRequest, member, pk: int) -> HttpResponse:
    try:
        ticket = actions.do_ticket_from_answer(member, pk)
    except PermissionDenied as error:
        raise Http404 from error
    except ImportError as error:  # the help desk is not installed
        raise Http404 from error
    try:
        return redirect(reverse("support:ticket", args=[ticket.pk]))
    except NoReverseMatch:
        return redirect("assistant:chat")


@member_required
def plan_view(request: HttpRequest, member) -> HttpResponse:
    docs = plan_documents(_language())
    return render(request, "assistant/plan.html", {"docs": docs})


@console_required("helpdesk")
def console_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "assistant/console.html",
        {"stats": selectors.console_stats(), "unanswered": selectors.unanswered_questions()},
    )
