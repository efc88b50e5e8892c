"""The search keys of a contact: one lower-case string without diacritics (``search_text``) and
the tags between bars (``tag_text``), so a search is ``LIKE '%word%'`` over one owner's rows
(index ``contacts_owner_activity``), the same on SQLite and PostgreSQL."""

from __future__ import annotations

import unicodedata

_EXTRA = str.maketrans({"ł": "l", "ё": "е", "ø": "o", "đ": "d"})


def search_key(text: str) -> str:
    text = unicodedata.normalize("NFKD", (text or "").casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_EXTRA)
    return " ".join(text.replace("|", " ").split())


def search_text_of(contact) -> str:
    phone_digits = "".join(c for c in contact.phone if c.isdigit())
    parts = [
        contact.first_name,
        contact.last_name,
        contact.email,
        contact.phone,
        phone_digits,
        " ".join(contact.tags or []),
    ]
    return search_key(" ".join(p for p in parts if p))[:600]


def tag_text_of(tags) -> str:
    keys = [search_key(t) for t in tags or [] if search_key(t)]
    return ("|" + "|".join(keys) + "|")[:600] if keys else ""
