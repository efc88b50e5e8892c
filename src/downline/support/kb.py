"""The shipped content: hand-written articles (``articles/``) and canned answers.

:func:`ensure_content` writes both into the database when the files changed (a digest of the
article files, kept in ``ContentState`` "files") and renders the plan articles when the plan
changed (``plan_articles.sync_plan_articles``). Articles staff changed in the database keep
their text until the file of that article changes; an article whose text changed gets its
``version`` raised.
"""

from __future__ import annotations

import hashlib
import tomllib
from functools import lru_cache
from pathlib import Path

from django.db import transaction

from .search import token_field

ARTICLES = Path(__file__).with_name("articles")
LANGUAGES = ("en", "ru", "pl", "de")
REVISION = "1"

CANNED: dict[str, dict[str, tuple[str, str]]] = {
    "thanks-checking": {
        "en": (
            "We are checking",
            "Thank you for your message. We are checking this and will come back to you shortly.",
        ),
        "ru": (
            "Проверяем",
            "Спасибо за ваше сообщение. Мы проверяем вопрос и скоро вернёмся с ответом.",
        ),
        "pl": (
            "Sprawdzamy",
            "Dziękujemy za wiadomość. Sprawdzamy sprawę i wkrótce wrócimy z odpowiedzią.",
        ),
        "de": (
            "Wir prüfen das",
            "Danke für Ihre Nachricht. Wir prüfen das und melden uns in Kürze.",
        ),
    },
    "need-order-number": {
        "en": (
            "Order number needed",
            "Could you send us the order number? You find it under Orders in your back office.",
        ),
        "ru": (
            "Нужен номер заказа",
            "Пришлите, пожалуйста, номер заказа. Он указан в разделе «Заказы» личного кабинета.",
        ),
        "pl": (
            "Potrzebny numer zamówienia",
            "Prosimy o numer zamówienia. Znajdziesz go w zakładce Zamówienia w biurze.",
        ),
        "de": (
            "Bestellnummer benötigt",
            "Können Sie uns die Bestellnummer schicken? Sie finden sie im Backoffice unter Bestellungen.",
        ),
    },
    "see-trace": {
        "en": (
            "Why a bonus was not paid",
            "Your statement's trace shows each condition with the required and actual value. If something looks wrong, open a dispute from the line or the order.",
        ),
        "ru": (
            "Почему бонус не выплачен",
            "Трассировка в вашей выписке показывает каждое условие с требуемым и фактическим значением. Если что-то не так, откройте спор из строки или заказа.",
        ),
        "pl": (
            "Dlaczego premia nie została wypłacona",
            "Ślad na wyciągu pokazuje każdy warunek z wartością wymaganą i rzeczywistą. Jeśli coś się nie zgadza, otwórz spór z linii lub zamówienia.",
        ),
        "de": (
            "Warum ein Bonus nicht bezahlt wurde",
            "Die Spur Ihrer Abrechnung zeigt jede Bedingung mit dem geforderten und dem tatsächlichen Wert. Wenn etwas nicht stimmt, öffnen Sie eine Reklamation aus der Zeile oder der Bestellung.",
        ),
    },
    "resolved": {
        "en": (
            "Resolved",
            "We have resolved your request. If anything is still unclear, just reply to this ticket.",
        ),
        "ru": (
            "Решено",
            "Ваш запрос решён. Если что-то ещё неясно, просто ответьте на это обращение.",
        ),
        "pl": (
            "Rozwiązane",
            "Twoja sprawa została rozwiązana. Jeśli coś jest nadal niejasne, odpowiedz na to zgłoszenie.",
        ),
        "de": (
            "Erledigt",
            "Wir haben Ihr Anliegen erledigt. Wenn noch etwas unklar ist, antworten Sie einfach auf dieses Ticket.",
        ),
    },
}


@lru_cache(maxsize=1)
def _files_digest() -> str:
    digest = hashlib.sha256(REVISION.encode())
    for path in sorted(ARTICLES.iterdir()):
        if path.suffix in (".md", ".toml"):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    digest.update(repr(sorted(CANNED.items())).encode())
    return digest.hexdigest()[:40]


def read_article_files() -> dict[str, dict]:
    """``{key: {"category", "position", "related", "texts": {language: (title, body)}}}``."""
    index = tomllib.loads((ARTICLES / "index.toml").read_text(encoding="utf-8"))
    out = {}
    for key, meta in index.items():
        texts = {}
        for language in LANGUAGES:
            path = ARTICLES / f"{key}.{language}.md"
            if not path.exists():
                continue
            text = path.read_text(encoding="utf-8").strip()
            first, _newline, body = text.partition("\n")
            if not first.startswith("# "):
                raise ValueError(f"{path.name}:1: an article starts with '# Title'")
            texts[language] = (first[2:].strip(), body.strip())
        out[key] = {**meta, "texts": texts}
    return out


def load_articles() -> None:
    """Write the article files and canned answers into the database (idempotent)."""
    from .models import Article, ArticleText, CannedAnswer

    data = read_article_files()
    with transaction.atomic():
        articles = {}
        for key, meta in data.items():
            article, created = Article.objects.get_or_create(
                key=key,
                defaults={"category": meta["category"], "position": meta.get("position", 100)},
            )
            changed = False
            for language, (title, body) in meta["texts"].items():
                row = ArticleText.objects.filter(article=article, language=language).first()
                if row is not None and (row.title, row.body) == (title, body):
                    continue
                changed = True
                ArticleText.objects.update_or_create(
                    article=article,
                    language=language,
                    defaults={
                        "title": title,
                        "body": body,
                        "search_tokens": token_field(title, body, language),
                    },
                )
            if changed and not created:
                article.version += 1
                article.save(update_fields=["version", "updated_at"])
            articles[key] = article
        for key, meta in data.items():
            for other in meta.get("related", []):
                target = articles.get(other) or Article.objects.filter(key=other).first()
                if target is not None:
                    articles[key].related.add(target)
        for key, texts in CANNED.items():
            for language, (title, body) in texts.items():
                CannedAnswer.objects.update_or_create(
                    key=key, language=language, defaults={"title": title, "body": body}
                )


def ensure_content() -> None:
    """Load the files if they changed, then bring the plan articles up to date."""
    from .models import ContentState
    from .plan_articles import sync_plan_articles

    marker = _files_digest()
    state = ContentState.objects.filter(name="files").first()
    if state is None or state.marker != marker:
        load_articles()
        ContentState.objects.update_or_create(name="files", defaults={"marker": marker})
    sync_plan_articles()
