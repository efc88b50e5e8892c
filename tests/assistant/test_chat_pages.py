"""The chat pages: asking, feedback, tickets with the conversation, and whose data is whose."""

from __future__ import annotations

import pytest

from downline.assistant.models import Conversation, Feedback, Message

from .conftest import verified_staff

pytestmark = pytest.mark.django_db


def ask(client, question: str, **extra):
    return client.post("/assistant/ask/", {"question": question, **extra}, HTTP_HX_REQUEST="true")


def test_ask_stores_the_exchange_and_renders_it(dan_client, company):
    response = ask(dan_client, "Why was I not paid the unilevel bonus?")
    assert response.status_code == 200
    html = response.content.decode()
    assert "went past you" in html
    assert "/earnings/2026-10/" in html
    assert "/support/disputes/lines/?period=2026-10" in html
    conversation = Conversation.objects.get(member=company.dan)
    roles = list(conversation.messages.values_list("role", "kind"))
    assert roles == [("user", "question"), ("assistant", "own")]
    page = dan_client.get("/assistant/")
    assert page.status_code == 200
    assert "went past you" in page.content.decode()


def test_answers_in_the_readers_language(dan_client, company):
    dan_client.cookies["django_language"] = "de"
    response = ask(dan_client, "Bin ich diesen Monat aktiv?")
    assert "20,00" in response.content.decode()


def test_empty_question_is_refused_with_a_reason(dan_client, company):
    response = ask(dan_client, "   ")
    assert response.status_code == 200
    assert "Type a question." in response.content.decode()
    assert not Message.objects.exists()


def test_feedback_is_recorded_once_and_changeable(dan_client, company):
    ask(dan_client, "How does the fast start bonus work?")
    answer = Message.objects.get(role="assistant")
    url = f"/assistant/answers/{answer.pk}/feedback/"
    assert dan_client.post(url, {"helpful": "1"}, HTTP_HX_REQUEST="true").status_code == 200
    assert dan_client.post(url, {"helpful": "0"}, HTTP_HX_REQUEST="true").status_code == 200
    assert list(Feedback.objects.values_list("message_id", "helpful")) == [(answer.pk, False)]


def test_a_members_conversation_is_theirs(client, dan_client, company):
    ask(dan_client, "Why was I not paid the unilevel bonus?")
    answer = Message.objects.get(role="assistant")
    conversation = answer.conversation
    client.logout()
    client.force_login(company.eva_user)
    # EVA sees none of DAN's conversation, cannot rate it, attach it to a ticket or write in it
    assert "went past you" not in client.get("/assistant/").content.decode()
    assert (
        client.post(f"/assistant/answers/{answer.pk}/feedback/", {"helpful": "1"}).status_code
        == 404
    )
    assert client.post(f"/assistant/answers/{answer.pk}/ticket/").status_code == 404
    response = ask(client, "Am I active?", conversation=str(conversation.pk))
    assert response.status_code == 404
    assert not Feedback.objects.exists()
    assert conversation.messages.count() == 2


def test_anonymous_and_staff_without_membership_are_kept_out(client, company):
    assert client.get("/assistant/").status_code == 302  # to the login
    assert client.get("/console/assistant/").status_code in (302, 404)


def test_ticket_from_a_refusal_carries_the_conversation(dan_client, company):
    pytest.importorskip("downline.support.actions")
    from downline.support.models import Ticket

    ask(dan_client, "How much will I earn if I recruit ten people?")
    answer = Message.objects.get(role="assistant")
    assert answer.kind == "refusal"
    response = dan_client.post(f"/assistant/answers/{answer.pk}/ticket/")
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.member_id == company.dan.pk
    assert response["Location"] == f"/support/tickets/{ticket.pk}/"
    stored = str(ticket.__dict__) + str(list(ticket.messages.values()))
    assert "How much will I earn if I recruit ten people?" in stored


def test_console_lists_unanswered_questions(client, company):
    from downline.assistant.actions import do_ask

    do_ask(company.dan, "What is the capital of Mongolia?", language="en")
    verified_staff(client, "helper", "support")
    page = client.get("/console/assistant/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "What is the capital of Mongolia?" in html
