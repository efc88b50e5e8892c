"""The assistant in the demo: a few conversations of the personas, with feedback, so the chat
and the console's figures (answers, refusals, unanswered questions) are not empty.

Answers are computed by the assistant itself from the demo's data (figures from the runs,
quotes from the knowledge base and the plan). The seeding uses BM25 alone so it stays fast;
the embedding model joins when the server answers its first question.
"""

from __future__ import annotations

from django.test import override_settings
from django.utils import translation

from downline.assistant.actions import conversation_for, do_ask, do_feedback
from downline.genealogy.models import Distributor

from .tools import ToolsContext

CONVERSATIONS = {
    "emma": (
        "en",
        [
            ("How far am I from the next rank?", True),
            ("Why was I not paid the unilevel bonus?", True),
            ("How does the fast start bonus work?", True),
            ("How much will I earn if I recruit ten people?", None),
            ("Can I pay for my order with cryptocurrency?", False),
        ],
    ),
    "olga": (
        "ru",
        [
            ("Сколько мне осталось до следующего ранга?", True),
            ("Как возврат влияет на мои комиссии?", True),
        ],
    ),
    "kasia": (
        "pl",
        [("Kiedy była moja ostatnia wypłata?", True), ("Jak działa bonus szybkiego startu?", None)],
    ),
    "jonas": (
        "de",
        [("Bin ich diesen Monat aktiv?", True), ("Heilt der Tee Diabetes?", None)],
    ),
}


def seed(ctx: ToolsContext) -> None:
    asked = 0
    with override_settings(DOWNLINE_ASSISTANT_EMBEDDINGS=False):
        for login, (language, questions) in CONVERSATIONS.items():
            member_id = ctx.persona_ids.get(login)
            member = Distributor.objects.filter(member_id=member_id).first()
            if member is None:
                continue
            conversation = conversation_for(member, language, new=True)
            with translation.override(language):
                for question, helped in questions:
                    answer = do_ask(member, question, language=language, conversation=conversation)
                    asked += 1
                    if helped is not None:
                        do_feedback(member, answer.pk, helpful=helped)
    ctx.say(f"Assistant: {asked} questions answered in the personas' conversations.")
