"""Translations for the modules that run without Django (engine, dataset, command line).

They use the standard library's gettext over the same compiled catalogues Django uses
(``downline/locale/<lang>/LC_MESSAGES/django.mo``), so one set of ``.po`` files serves the web
app and the command line. The language comes from :func:`use_language` (the app passes the
user's language) or the ``DOWNLINE_LANGUAGE`` environment variable; English is the default.
"""

from __future__ import annotations

import gettext as stdlib_gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "ru", "pl", "de")

_language: ContextVar[str | None] = ContextVar("downline_language", default=None)


@lru_cache(maxsize=8)
def _catalogue(language: str) -> stdlib_gettext.NullTranslations:
    return stdlib_gettext.translation(
        "django", localedir=LOCALE_DIR, languages=[language], fallback=True
    )


def current_language() -> str:
    language = _language.get() or os.environ.get("DOWNLINE_LANGUAGE", "en")
    return language if language in LANGUAGES else "en"


def gettext(message: str) -> str:
    """``message`` translated into the current language (English text is the message id)."""
    language = current_language()
    if language == "en":
        return message
    return _catalogue(language).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    language = current_language()
    if language == "en":
        return singular if count == 1 else plural
    return _catalogue(language).ngettext(singular, plural, count)


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Translate messages into ``language`` inside the ``with`` block."""
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)
