"""Signed links that confirm an e-mail address, and the e-mails that carry them.

A link holds the login's id and the address to confirm, signed with the project's secret key
and a salt of its own, and expires after ``EMAIL_VERIFICATION_MAX_AGE`` seconds. It confirms a
new member's first address (the login becomes usable) and a changed address alike; a link for
an address the login no longer asks for (or a login since deleted) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from downline.accounts.models import User

SALT = "downline.web.verify-email"


@dataclass(frozen=True)
class VerificationClaim:
    user_id: int
    email: str


def make_token(user: User, email: str) -> str:
    return signing.dumps({"u": user.pk, "e": email}, salt=SALT, compress=True)


def read_token(token: str) -> VerificationClaim | None:
    """The claim of a valid, unexpired link; ``None`` for a forged, altered or stale one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return VerificationClaim(user_id=data["u"], email=str(data.get("e", "")))


def send_verification_email(request, user: User, email: str) -> None:
    """Send the confirmation link for ``email`` to that address, in the login's language."""
    link = request.build_absolute_uri(
        reverse("web:verify_email", kwargs={"token": make_token(user, email)})
    )
    with translation.override(user.language):
        context = {"user": user, "link": link, "company": settings.DOWNLINE_COMPANY_NAME}
        subject = render_to_string("web/emails/verify_subject.txt", context).strip()
        body = render_to_string("web/emails/verify_body.txt", context)
    send_mail(subject, body, None, [email])
