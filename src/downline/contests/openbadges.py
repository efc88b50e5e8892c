"""Open Badges 2.0 documents hosted by the platform (hosted verification).

* ``badges/issuer.json``: the issuer Profile, naming the revocation list;
* ``badges/classes/<slug>.json``: a BadgeClass (image ``badges/classes/<slug>.svg``);
* ``badges/assertions/<uuid>.json``: an Assertion whose recipient is the member's e-mail,
  hashed with a salt (``sha256$`` + hex of sha256(email + salt)); a revoked assertion answers
  410 Gone with ``revoked: true`` (the spec's hosted-verification rule);
* ``badges/revocations.json``: the RevocationList.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.urls import reverse

from .models import BadgeAssertion, BadgeClass

CONTEXT = "https://w3id.org/openbadges/v2"


def _url(request, name: str, *args) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


def issuer(request) -> dict:
    return {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": _url(request, "contests:badge_issuer"),
        "name": settings.DOWNLINE_COMPANY_NAME,
        "url": request.build_absolute_uri("/"),
        "email": getattr(settings, "DEFAULT_FROM_EMAIL", "") or "badges@example.com",
        "revocationList": _url(request, "contests:badge_revocations"),
    }


def badge_class(request, badge: BadgeClass, language: str = "en") -> dict:
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": _url(request, "contests:badge_class", badge.slug),
        "name": badge.name.get(language) or badge.name.get("en", badge.slug),
        "description": badge.description.get(language) or badge.description.get("en", ""),
        "image": _url(request, "contests:badge_image", badge.slug),
        "criteria": {
            "narrative": f"{badge.get_criterion_display()}: {badge.threshold}",
        },
        "issuer": _url(request, "contests:badge_issuer"),
    }


def identity(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def assertion(request, item: BadgeAssertion) -> dict:
    document = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": _url(request, "contests:badge_assertion", str(item.uid)),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": item.salt,
            "identity": identity(item.member.email or item.member.member_id, item.salt),
        },
        "badge": _url(request, "contests:badge_class", item.badge.slug),
        "issuedOn": item.issued_at.isoformat(),
        "verification": {"type": "hosted"},
    }
    if item.revoked_at:
        document["revoked"] = True
        document["revocationReason"] = item.revocation_reason
    return document


def revocation_list(request) -> dict:
    revoked = BadgeAssertion.objects.filter(revoked_at__isnull=False).order_by("revoked_at")
    return {
        "@context": CONTEXT,
        "type": "RevocationList",
        "id": _url(request, "contests:badge_revocations"),
        "issuer": _url(request, "contests:badge_issuer"),
        "revokedAssertions": [
            {
                "id": _url(request, "contests:badge_assertion", str(item.uid)),
                "revocationReason": item.revocation_reason,
            }
            for item in revoked
        ],
    }


def image_svg(badge: BadgeClass) -> str:
    """A plain round badge with the first letters of its name (no third-party image)."""
    name = badge.name.get("en", badge.slug)
    letters = "".join(word[0] for word in name.split()[:2]).upper() or "B"
    from django.utils.html import escape

    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">'
        '<circle cx="60" cy="60" r="56" fill="#1f5f8b"/>'
        '<circle cx="60" cy="60" r="46" fill="none" stroke="#f2c94c" stroke-width="4"/>'
        f'<text x="60" y="72" font-size="34" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{escape(letters)}</text></svg>'
    )
