"""Sentences stored as a key and parameters, rendered in the reader's language when read.

Design rule 12 ("numbers stored, words rendered"): a ledger memo or a history reason the
platform writes itself is stored as a stable *key* (``ledger.commissions``) and its
parameters (``{"period": "2026-07", "run": 12}``), next to the English text kept for the
record. Reading it renders the key's message through gettext in the active language.

* Each app registers its phrases once (:func:`register`), each with its English msgid marked by
  ``gettext_noop`` so the catalogues carry it; a key never changes meaning, a new wording gets
  a new key.
* Rows written before keys existed (or by a writer that stored free text) have no key:
  :func:`render_stored` recognises the English text of a registered phrase and renders it in
  the reader's language; any other text (a reason a person typed) is shown as written.
* A message whose translation does not take the stored parameters falls back to English
  rather than fail the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

Params = dict[str, str | int]

_MESSAGES: dict[str, str] = {}
_PATTERNS: list[tuple[re.Pattern[str], str]] = []
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass(frozen=True)
class Phrase:
    """A registered message ``key`` with its parameters (strings and whole numbers only)."""

    key: str
    params: Params = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.key not in _MESSAGES:
            raise KeyError(f"unknown phrase key {self.key!r}")

    def render(self, language: str | None = None) -> str:
        """The sentence in ``language`` (``None``: the active language)."""
        return render(self.key, self.params, language)

    def english(self) -> str:
        """The sentence in English: what the text column keeps for the record."""
        return render(self.key, self.params, "en")


def register(key: str, message: str) -> str:
    """Register ``message`` (an English msgid marked with ``gettext_noop``) under ``key``;
    returns ``key``. Registering the same key again with another message is an error."""
    known = _MESSAGES.get(key)
    if known is not None and known != message:
        raise ValueError(f"phrase key {key!r} is already registered with another message")
    if known is None:
        _MESSAGES[key] = message
        _PATTERNS.append((_pattern_of(message), key))
    return key


def _pattern_of(message: str) -> re.Pattern[str]:
    """A regular expression matching ``message`` with any value in each placeholder."""
    parts, position = [], 0
    for match in _PLACEHOLDER.finditer(message):
        parts.append(re.escape(message[position : match.start()]))
        parts.append(f"(?P<{match.group(1)}>.+?)")
        position = match.end()
    parts.append(re.escape(message[position:]))
    return re.compile("".join(parts), re.DOTALL)


def render(key: str, params: Mapping[str, Any] | None, language: str | None = None) -> str:
    """The message of ``key`` with ``params``, translated into ``language`` (or the active one)."""
    message = _MESSAGES[key]
    values = dict(params or {})
    with translation.override(language) if language else nullcontext():
        try:
            return translation.gettext(message) % values
        except (KeyError, TypeError, ValueError):
            return message % values


def recognise(text: str) -> Phrase | None:
    """The registered phrase whose English wording ``text`` is, with its parameters."""
    for pattern, key in _PATTERNS:
        match = pattern.fullmatch(text or "")
        if match:
            values: Params = {
                name: int(value) if value.isdigit() and str(int(value)) == value else value
                for name, value in match.groupdict().items()
            }
            if render(key, values, "en") == text:
                return Phrase(key, values)
    return None


def render_stored(key: str | None, params: Mapping[str, Any] | None, text: str) -> str:
    """What a reader sees of a stored sentence: the key rendered in their language; a row
    without a key is recognised from its English ``text``, or else shown as written."""
    if key and key in _MESSAGES:
        return render(key, params)
    phrase = recognise(text)
    return phrase.render() if phrase is not None else text


def split(value: str | Phrase) -> tuple[str, str | None, Params | None]:
    """``(text, key, params)`` to store for ``value``: a phrase keeps its key and parameters
    next to its English text; plain text has no key."""
    if isinstance(value, Phrase):
        return value.english(), value.key, dict(value.params)
    return value, None, None
