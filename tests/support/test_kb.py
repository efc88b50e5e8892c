"""The knowledge base: shipped articles in four languages, stemmed search, plan articles that
follow the active plan, votes, and the assistant's documents."""

from __future__ import annotations

import pytest

from downline.support.kb import ensure_content, read_article_files
from downline.support.models import Article, ArticleText
from downline.support.search import tokens
from downline.support.selectors import kb_documents, search

from .conftest import PLAN


def test_every_shipped_article_has_four_languages():
    articles = read_article_files()
    assert len(articles) >= 8
    for key, data in articles.items():
        assert set(data["texts"]) == {"en", "ru", "pl", "de"}, key


@pytest.mark.parametrize(
    ("language", "query", "expected"),
    [
        ("ru", "выплаты", "payouts"),  # "выплата" in the text
        ("ru", "возвратов", "returns"),
        ("pl", "wypłaty", "payouts"),
        ("pl", "prowizji", "how-commissions-are-computed"),
        ("de", "Auszahlungen", "payouts"),
        ("de", "Rückgaben", "returns"),
        ("en", "payout", "payouts"),
        ("en", "refunds", "returns"),
    ],
)
def test_search_stems_each_language(db, language, query, expected):
    ensure_content()
    found = [article.key for article, _text in search(query, language)]
    assert expected in found[:3], found


def test_stems_match_across_word_forms():
    assert tokens("выплаты", "ru") == tokens("выплата", "ru")
    assert tokens("wypłaty", "pl") == tokens("wypłata", "pl")
    assert tokens("Auszahlungen", "de") == tokens("Auszahlung", "de")


def test_search_finds_nothing_for_nonsense(db):
    ensure_content()
    assert search("xyzzyplugh", "en") == []


def test_kb_documents_fall_back_to_english_and_link(db):
    ensure_content()
    docs = kb_documents("ru")
    keys = {doc.key for doc in docs}
    assert "kb:payouts" in keys
    payouts = next(doc for doc in docs if doc.key == "kb:payouts")
    assert payouts.language == "ru"
    assert payouts.title == "Выплаты"
    assert payouts.url == "/support/kb/payouts/"


def _activate(text: str, period_code: str = "2026-08"):
    from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
    from downline.periods.actions import do_ensure_period

    version = do_create_plan_version(text)
    do_activate_plan_version(version, do_ensure_period(period_code))
    return version


def test_plan_articles_follow_the_active_plan(db, time_machine):
    time_machine.move_to("2026-08-15T12:00:00+00:00")
    _activate(PLAN.read_text(encoding="utf-8"))
    docs = {doc.key: doc for doc in kb_documents("en")}
    ranks = docs["kb:plan-ranks"].text
    assert "Leader" in ranks
    assert "at least 20" in ranks
    assert "at least 30" in ranks
    bonuses = docs["kb:plan-bonuses"].text
    assert "level 1: 10%" in bonuses
    assert "level 2: 5%" in bonuses
    assert "Leader 100 EUR" in bonuses
    de = {doc.key: doc for doc in kb_documents("de")}
    assert "Ebene 1: 10%" in de["kb:plan-bonuses"].text
    ru = {doc.key: doc for doc in kb_documents("ru")}
    assert "уровень 1: 10%" in ru["kb:plan-bonuses"].text
    version_before = Article.objects.get(key="plan-bonuses").version

    # a new plan version with a 12% first level, activated for the open period
    changed = PLAN.read_text(encoding="utf-8").replace("levels: [10%, 5%]", "levels: [12%, 5%]")
    _activate(changed, "2026-08")
    bonuses = {doc.key: doc for doc in kb_documents("en")}["kb:plan-bonuses"].text
    assert "level 1: 12%" in bonuses
    assert "level 1: 10%" not in bonuses
    assert Article.objects.get(key="plan-bonuses").version == version_before + 1
    # the search index follows too (Polish: "premie" → plan-bonuses)
    text = ArticleText.objects.get(article__key="plan-bonuses", language="pl")
    assert "12%" in text.body
    assert "plan-bonuses" in [a.key for a, _t in search("premie", "pl")]


def test_article_page_and_votes(alice_client, team):
    response = alice_client.get("/support/kb/payouts/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    response = alice_client.post("/support/kb/payouts/", {"helpful": "yes"})
    assert response.status_code == 302
    article = Article.objects.get(key="payouts")
    assert article.votes.get().helpful is True
    alice_client.post("/support/kb/payouts/", {"helpful": "no"})
    assert article.votes.count() == 1
    assert article.votes.get().helpful is False
    response = alice_client.get("/support/kb/?q=bank")
    assert b"/support/kb/bank-details/" in response.content


def test_tasks_run(db):
    from downline.support.models import Article
    from downline.support.tasks import mark_breaches, refresh_plan_articles

    assert refresh_plan_articles.call("2026-10-01") == {"changed": False}
    assert Article.objects.filter(key="payouts").exists()
    assert mark_breaches.call() == {"escalated": 0, "disputes_followed": 0}
