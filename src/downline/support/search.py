"""Knowledge-base search with stemming in English, Russian, Polish and German.

One approach on SQLite and PostgreSQL alike (PostgreSQL has no Polish text-search
configuration): each ``ArticleText`` stores ``search_tokens``, its title's and body's words
normalised (Unicode NFKC, lower case, ``ё`` → ``е``, German ``ß`` → ``ss``) and reduced by the
language's Snowball stemmer, space-separated with a space on both ends. A query is reduced the
same way; candidates are the texts of the language holding at least one of the query's stems
(``search_tokens LIKE '% stem %'``, OR-ed); they are ranked by the number of distinct query stems
they hold (a stem in the title counts twice), then by article position. So "выплаты" finds
"выплата" (both ``выплат``), "Auszahlungen" finds "Auszahlung".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer
from django.db.models import Q

STEMMERS = {"en": "english", "ru": "russian", "pl": "polish", "de": "german"}
WORD = re.compile(r"\w+", re.UNICODE)
MIN_LENGTH = 2
STOP = {
    "en": {"the", "a", "an", "of", "to", "and", "or", "is", "in", "on", "for", "my", "i", "how"},
    "ru": {"и", "в", "не", "на", "с", "по", "как", "что", "я", "мой", "мне", "а", "о", "за"},
    "pl": {"i", "w", "nie", "na", "z", "do", "jak", "co", "się", "mój", "o", "za", "to"},
    "de": {"und", "der", "die", "das", "ein", "eine", "in", "zu", "ist", "wie", "ich", "mein"},
}


@lru_cache(maxsize=8)
def _stemmer(language: str):
    return snowballstemmer.stemmer(STEMMERS.get(language, "english"))


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    return _stemmer(language).stemWord(word)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return text.replace("ё", "е").replace("ß", "ss")


def tokens(text: str, language: str) -> list[str]:
    """The stems of ``text``'s words in ``language`` (stop words and 1-letter words dropped)."""
    stop = STOP.get(language, set())
    words = [w for w in WORD.findall(normalise(text)) if len(w) >= MIN_LENGTH and w not in stop]
    return [stem(word, language) for word in words]


def token_field(title: str, body: str, language: str) -> str:
    """The ``search_tokens`` value of a text: distinct stems, each surrounded by spaces."""
    stems = dict.fromkeys(tokens(title, language) + tokens(body, language))
    return " " + " ".join(stems) + " "


def search_texts(query: str, language: str, *, limit: int = 10, published_only: bool = True):
    """The best-matching ``ArticleText`` rows of ``language`` for ``query``, best first."""
    from .models import Article, ArticleText

    stems = list(dict.fromkeys(tokens(query, language)))[:12]
    if not stems:
        return []
    condition = Q()
    for stem in stems:
        condition |= Q(search_tokens__contains=f" {stem} ")
    texts = ArticleText.objects.filter(condition, language=language).select_related("article")
    if published_only:
        texts = texts.filter(article__status=Article.Status.PUBLISHED)
    scored = []
    for text in texts[:500]:
        title = set(tokens(text.title, language))
        score = sum(
            (2 if stem in title else 0) + (1 if f" {stem} " in text.search_tokens else 0)
            for stem in stems
        )
        scored.append((-score, text.article.position, text.article.key, text))
    scored.sort(key=lambda row: row[:3])
    return [row[3] for row in scored[:limit]]
