"""Capture pages: the company's templates, each distributor's copy, edits through the claim
scanner, the cached rendering, visits and sign-ups per variant.

**What goes live.** A distributor's greeting and headline pass
``compliance.claims.submit_text`` (source kind ``outreach.page``, source id
``<page id>:<revision>``): "block" refuses the edit (the form names the phrase); "review" keeps
the live text and holds the new one as ``pending_*`` until staff decide (event
``claim.reviewed``, consumed with the sequences; ``sync_review`` also asks on the owner's
page); "allow"/"disclose" put it live at once.

**Fast.** An anonymous visitor's ``GET`` is served whole from the shared cache with no
database query (``outreach.page_cache``: the HTML per page, variant, language and version,
invalidated when the page or its template changes). Otherwise the page is read with its
template and owner in one query and its body (template Markdown, the owner's texts) is cached
per page, template version, language and variant (``DOWNLINE_PAGE_CACHE_SECONDS``, default
300). A visit is counted in the shared cache and folded into ``PageStat`` every few seconds
(``outreach.visits``); a sign-up is counted in ``PageStat`` at once, in the sign-up's
transaction.
"""

from __future__ import annotations

import hashlib
import io
import random
import time

import nh3
import segno
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext, override
from markdown_it import MarkdownIt

from downline.genealogy.models import Distributor

from . import page_cache, visits
from .mail import zone
from .models import LANGUAGES, Page, PageStat, PageTemplate, pick
from .subdomains import page_address

SOURCE_KIND = "outreach.page"
_md = MarkdownIt("commonmark", {"html": False, "linkify": False})


def markdown(text: str) -> str:
    return nh3.clean(_md.render(text or ""))


# --------------------------------------------------------------------------- addresses


def page_url_of(owner: Distributor) -> str:
    """The public address of the owner's page ("" without one): ``subdomains.page_address``."""
    slug = Page.objects.filter(owner=owner).values_list("slug", flat=True).first()
    return page_address(slug) if slug else ""


def page_url(page: Page) -> str:
    return page_address(page.slug)


def qr_code(url: str, kind: str = "png") -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind=kind, scale=6, border=2)
    return buffer.getvalue()


def share_links(url: str, text: str) -> dict[str, str]:
    from urllib.parse import quote

    u, t = quote(url, safe=""), quote(text, safe="")
    return {
        "WhatsApp": f"https://wa.me/?text={t}%20{u}",
        "Telegram": f"https://t.me/share/url?url={u}&text={t}",
        "Facebook": f"https://www.facebook.com/sharer/sharer.php?u={u}",
        "X": f"https://twitter.com/intent/tweet?url={u}&text={t}",
        "LinkedIn": f"https://www.linkedin.com/sharing/share-offsite/?url={u}",
        "E-mail": f"mailto:?subject={t}&body={u}",
    }


# --------------------------------------------------------------------------- writing


def _free_slug(member: Distributor) -> str:
    base = slugify(member.name or member.member_id)[:60] or slugify(member.member_id) or "page"
    slug, n = base, 1
    while Page.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def do_create_page(owner: Distributor, template: PageTemplate, *, slug: str = "") -> Page:
    """The distributor's page on ``template`` (their one page; an existing one is returned
    with its template switched)."""
    with transaction.atomic():
        page = Page.objects.filter(owner=owner).first()
        if page is not None:
            if page.template_id != template.pk:
                page.template = template
                page.save(update_fields=["template", "updated_at"])
            return page
        try:
            with transaction.atomic():
                return Page.objects.create(
                    owner=owner,
                    template=template,
                    slug=slugify(slug) or _free_slug(owner),
                    display_name=owner.name or owner.member_id,
                )
        except IntegrityError:
            return Page.objects.create(
                owner=owner,
                template=template,
                slug=_free_slug(owner),
                display_name=owner.name or owner.member_id,
            )


def do_edit_page(page: Page, *, greeting: str, headline: str, author: Distributor) -> str:
    """Scan and apply a distributor's edit. Returns "live" or "review"; raises
    ``ClaimBlocked`` (a ``ValidationError`` naming the phrase) when the scanner blocks it."""
    from downline.compliance.claims import ClaimVerdict, submit_text

    greeting, headline = greeting.strip(), headline.strip()
    with transaction.atomic():
        page = Page.objects.select_for_update().get(pk=page.pk)
        revision = page.revision + 1
        result = submit_text(
            f"{headline}\n\n{greeting}".strip(),
            author=author,
            source_kind=SOURCE_KIND,
            source_id=f"{page.pk}:{revision}",
            language=author.language or None,
        )
        page.revision = revision
        if result.verdict == ClaimVerdict.REVIEW:
            page.pending_greeting, page.pending_headline, page.has_pending = (
                greeting,
                headline,
                True,
            )
            outcome = "review"
        else:
            page.greeting, page.headline = greeting, headline
            page.pending_greeting, page.pending_headline, page.has_pending = "", "", False
            outcome = "live"
        page.save()
    return outcome


def do_set_photo(page: Page, data: bytes, content_type: str) -> None:
    with transaction.atomic():
        Page.objects.filter(pk=page.pk).update(
            photo=data, photo_type=content_type, updated_at=timezone.now()
        )
        page_cache.forget_page(page.slug)


def _apply_decision(page: Page, decision: str) -> None:
    if decision == "approved":
        page.greeting, page.headline = page.pending_greeting, page.pending_headline
    page.pending_greeting, page.pending_headline, page.has_pending = "", "", False
    page.save()


def on_claim_reviewed(payload: dict) -> None:
    """Staff decided on a held edit (event ``claim.reviewed``)."""
    if payload.get("source_kind") != SOURCE_KIND:
        return
    pk, _sep, revision = str(payload.get("source_id", "")).partition(":")
    page = Page.objects.filter(pk=pk, has_pending=True).first()
    if page is None or str(page.revision) != revision:
        return  # an older edit, replaced since
    _apply_decision(page, payload.get("decision", ""))


def sync_review(page: Page) -> str:
    """The review state of the page's held edit, applying a decision already taken."""
    if not page.has_pending:
        return "none"
    from downline.compliance.claims import review_status

    status = review_status(SOURCE_KIND, page.source_id)
    if status in ("approved", "rejected"):
        _apply_decision(page, status)
    return status


# --------------------------------------------------------------------------- reading


def page_for(slug: str) -> Page | None:
    return (
        Page.objects.select_related("template", "owner")
        .defer("photo", "template__video_file", "template__ebook")
        .filter(slug=slug, template__active=True)
        .first()
    )


def choose_variant(page: Page, cookie: str | None) -> str:
    return pick_variant(page.template.has_b, cookie)


def pick_variant(has_b: bool, cookie: str | None) -> str:
    """ "a" without a B variant; else the visitor's earlier variant, or one at random."""
    if not has_b:
        return "a"
    if cookie in ("a", "b"):
        return cookie
    return random.choice("ab")


def cache_seconds() -> int:
    return int(getattr(settings, "DOWNLINE_PAGE_CACHE_SECONDS", 300))


def rendered_body(page: Page, language: str, variant: str) -> str:
    """The page's body HTML (without the form), cached."""
    template = page.template
    stamp = int(template.updated_at.timestamp() * 1000), int(page.updated_at.timestamp() * 1000)
    key = f"outreach:page:{page.pk}:{stamp[0]}:{stamp[1]}:{language}:{variant}"
    html = cache.get(key)
    if html is None:
        content = template.content_b if variant == "b" else template.content
        with override(language):
            html = render_to_string(
                "outreach/_page_body.html",
                {
                    "page": page,
                    "template": template,
                    "headline": page.headline or pick(content, language, "headline"),
                    "body": markdown(pick(content, language, "body")),
                    "greeting": markdown(page.greeting),
                    "language": language,
                },
            )
        cache.set(key, html, cache_seconds())
    return html


def consent_text(page: Page, language: str) -> str:
    """The exact consent sentence shown under the form (recorded with the sign-up)."""
    with override(language):
        return gettext(
            "I agree that %(name)s may send me the free material and follow-up e-mails. "
            "I can unsubscribe at any time with one click."
        ) % {"name": page.display_name}


def record_visit(page: Page, variant: str) -> None:
    """One visit of the page's ``variant`` (counted in the shared cache, see ``visits``)."""
    visits.count_visit(page.pk, variant)


def _count_signup(page: Page, variant: str) -> None:
    day = timezone.now().astimezone(zone(None)).date()
    if not PageStat.objects.filter(page=page, day=day, variant=variant).update(
        signups=F("signups") + 1
    ):
        PageStat.objects.create(page=page, day=day, variant=variant, signups=1)


def do_capture(
    page: Page,
    *,
    email: str,
    first_name: str,
    language: str,
    variant: str,
    ref: str = "",
    address: str = "",
    time_zone: str = "",
):
    """A sign-up on ``page``: a contact of the page's owner, the visit on its timeline, the
    variant's sign-up counted. Returns the contact."""
    from downline.contacts.actions import do_add_timeline, do_capture_contact

    with transaction.atomic():
        contact = do_capture_contact(
            page.owner,
            email=email,
            first_name=first_name,
            language=language if language in LANGUAGES else "en",
            source="page",
            source_ref=page.slug,
            consent_text=consent_text(page, language),
            consent_email=True,
            address=address,
        )
        set_time_zone(contact, time_zone)
        params = {"page": page.slug, "variant": variant}
        if ref:
            params["ref"] = ref
        do_add_timeline(contact, "page_visit", params)
        _count_signup(page, variant)
    return contact


def set_time_zone(contact, time_zone: str) -> None:
    """Remember the visitor's time zone (for quiet hours) if the contact has none yet."""
    from django.core.exceptions import ValidationError

    from downline.contacts.actions import do_update_contact

    if time_zone and not contact.time_zone:
        try:
            with transaction.atomic():
                do_update_contact(contact, time_zone=time_zone)
        except ValidationError:
            pass  # not a time zone we know: the company's is used


def rate_limited(address: str, *, now: float | None = None) -> bool:
    """Counts one sign-up attempt from ``address``; True when over
    ``DOWNLINE_CAPTURE_RATE`` (default (10, 600): 10 per 10 minutes) — the same fixed-window
    counter in the shared cache as the login limits."""
    limit, window = getattr(settings, "DOWNLINE_CAPTURE_RATE", (10, 600))
    moment = time.time() if now is None else now
    hashed = hashlib.sha256(f"capture\0{address}".encode()).hexdigest()[:32]
    key = f"downline:rl:capture:{hashed}:{int(moment // window)}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


# --------------------------------------------------------------------------- figures


def page_stats(page: Page) -> list[dict]:
    """Visits, sign-ups and conversion (per mille, an integer: sign-ups × 1000 // visits) per
    variant, all time; visits include those still in the cache (``visits.pending_visits``)."""
    totals: dict[str, dict[str, int]] = {}
    rows = (
        PageStat.objects.filter(page=page)
        .values("variant")
        .annotate(visits=Sum("visits"), signups=Sum("signups"))
    )
    for row in rows:
        totals[row["variant"]] = {"visits": row["visits"], "signups": row["signups"]}
    for (_day, variant), n in visits.pending_visits(page.pk).items():
        totals.setdefault(variant, {"visits": 0, "signups": 0})["visits"] += n
    return [
        {
            "variant": variant,
            **row,
            "conversion_pm": (row["signups"] * 1000 // row["visits"]) if row["visits"] else 0,
        }
        for variant, row in sorted(totals.items())
    ]
