"""The capture page's whole HTML, rendered once and served from the shared cache.

An anonymous visitor's ``GET`` (no session cookie, no pending messages: the page then looks
the same for everyone) is answered from one cache read (``get_many``) and no database query.
It fetches:

1. the page's **snapshot** ``outreach:page:<slug>`` (its id, whether its template has a B
   variant, and the stamp ``<page updated_at µs>.<template updated_at µs>``), valid while it
   carries the current template **generation** ``outreach:pages:gen``, read with it;
2. the **HTML** ``outreach:html:<slug>:<language>:<variant>`` of both variants, each valid
   while it carries the snapshot's stamp and generation: the full page rendered for an
   anonymous visitor with two markers, replaced per request: the CSRF token (``get_token``,
   so the sign-up form and the language switch post as before) and the request's path (the
   language switch returns to it).

**Invalidation.** A saved or deleted page drops its snapshot and HTML; a saved or deleted page
template draws a new generation (a random token), which retires every snapshot and every
HTML at once (templates change rarely). Both happen at once and again when the transaction
commits (so a request in between cannot leave the old rows cached), through ``post_save``/``post_delete``
receivers connected when this module is imported (``OutreachConfig.ready`` imports it);
writes that bypass signals (``QuerySet.update``) call ``forget_page``. Entries also expire
after ``DOWNLINE_PAGE_CACHE_SECONDS`` (default 300), a bound for any write that does neither.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypedDict

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import Page, PageTemplate

GENERATION_KEY = "outreach:pages:gen"
CSRF_MARK = "dl-csrf-token-mark"
PATH_MARK = "/dl-path-mark/"


class Snapshot(TypedDict):
    pk: int
    has_b: bool
    stamp: str
    generation: str


def _us(moment) -> int:
    return int(moment.timestamp() * 1_000_000)


def _snapshot_key(slug: str) -> str:
    return f"outreach:page:{slug}"


def _html_key(slug: str, language: str, variant: str) -> str:
    return f"outreach:html:{slug}:{language}:{variant}"


def _new_generation() -> str:
    generation = secrets.token_hex(8)
    cache.set(GENERATION_KEY, generation, None)
    return generation


class CachedPage:
    """What one ``get_many`` found for a page and a language."""

    def __init__(self, slug: str, language: str) -> None:
        self.slug, self.language = slug, language
        keys = [GENERATION_KEY, _snapshot_key(slug)] + [_html_key(slug, language, v) for v in "ab"]
        self._found = cache.get_many(keys)

    def snapshot(self) -> Snapshot | None:
        """The page as the cache knows it, read from the database when the cache has no
        current one (``None``: no live page at the slug)."""
        from .pages import cache_seconds, page_for

        generation = self._found.get(GENERATION_KEY) or _new_generation()
        current = self._found.get(_snapshot_key(self.slug))
        if current is not None and current["generation"] == generation:
            return current
        page = page_for(self.slug)
        if page is None:
            return None
        current = Snapshot(
            pk=page.pk,
            has_b=page.template.has_b,
            stamp=f"{_us(page.updated_at)}.{_us(page.template.updated_at)}",
            generation=generation,
        )
        cache.set(_snapshot_key(self.slug), current, cache_seconds())
        return current

    def html(self, snapshot: Snapshot, variant: str, render: Callable[[], str]) -> str:
        """The variant's HTML of this snapshot, rendered by ``render`` when the cache has
        none (or an older one)."""
        from .pages import cache_seconds

        key = _html_key(self.slug, self.language, variant)
        entry = self._found.get(key)
        if entry and (entry["stamp"], entry["generation"]) == (
            snapshot["stamp"],
            snapshot["generation"],
        ):
            return entry["html"]
        html = render()
        entry = {"stamp": snapshot["stamp"], "generation": snapshot["generation"], "html": html}
        cache.set(key, entry, cache_seconds())
        return html


def forget_page(slug: str) -> None:
    """Drop the page's snapshot and HTML now and again once the current transaction commits."""
    from .models import LANGUAGES

    keys = [_snapshot_key(slug)] + [_html_key(slug, lang, v) for lang in LANGUAGES for v in "ab"]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget_all_pages() -> None:
    """Retire every snapshot and every cached page, now and again once the current
    transaction commits."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _page_changed(sender, instance: Page, **kwargs) -> None:
    forget_page(instance.slug)


def _template_changed(sender, instance: PageTemplate, **kwargs) -> None:
    forget_all_pages()


post_save.connect(_page_changed, sender=Page, dispatch_uid="downline.outreach.page_saved")
post_delete.connect(_page_changed, sender=Page, dispatch_uid="downline.outreach.page_deleted")
post_save.connect(
    _template_changed, sender=PageTemplate, dispatch_uid="downline.outreach.template_saved"
)
post_delete.connect(
    _template_changed, sender=PageTemplate, dispatch_uid="downline.outreach.template_deleted"
)
