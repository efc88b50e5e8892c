"""Texts in four languages with a fallback, and Markdown rendered safely.

``pick(texts, language, source)`` returns the text in ``language``, else in the course's source
language, else any text there is. ``render_markdown`` turns a lesson body into HTML with
markdown-it-py (CommonMark + tables; raw HTML allowed) and then cleans it with nh3, which keeps
only the tags and attributes listed here (images, the browser's own video player with captions,
links, tables) — whatever an author pastes, no script reaches a reader.
"""

from __future__ import annotations

from collections.abc import Mapping

import nh3
from markdown_it import MarkdownIt

from .models import LANGUAGES

_md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "source", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "track", "ul", "video", "details",
    "summary",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "video": {"src", "controls", "width", "height", "poster", "preload", "playsinline"},
    "source": {"src", "type"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "td": {"align"},
    "th": {"align"},
}


def pick(texts: Mapping[str, str] | None, language: str | None, source: str = "en") -> str:
    """The text in ``language``, else in ``source``, else the first non-empty one."""
    if not texts:
        return ""
    for code in (language, source, *LANGUAGES):
        if code and texts.get(code):
            return texts[code]
    return next((value for value in texts.values() if value), "")


def render_markdown(text: str) -> str:
    """Sanitized HTML of a Markdown text (see the module docstring)."""
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
