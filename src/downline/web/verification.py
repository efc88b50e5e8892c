"""Signed links that confirm an e-mail address, and the e-mails that carry them.

A link holds the login's id and the address to confirm, signed with the project's secret key
and a salt of its own, and expires after ``EMAIL_VERIFICATION_MAX_AGE`` seconds. It confirms a
new member's first address and a changed address alike: opening it marks the address
confirmed and changes nothing else (never ``is_active``: a deactivated login stays
deactivated). A link for a login since deleted is refused.

When someone asks to sign up with, or change their address to, an address another login
already uses, the pages answer exactly as for a free address, and the address's owner gets
``send_address_in_use_notice`` instead of a link: nobody learns from the pages which addresses
have accounts.

The owner of a login always hears of a change of its address at the address it had: when the
change is asked for (``send_address_change_requested_notice``) and when it takes effect
(``send_address_changed_notice``), so a stolen session cannot move the login away quietly.
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


def send_address_in_use_notice(request, owner: User, email: str) -> None:
    """Tell the owner of ``email`` that someone tried to sign up with it or to move another
    login to it (in the owner's language), with the sign-in and password-reset addresses."""
    with translation.override(owner.language):
        context = {
            "user": owner,
            "email": email,
            "company": settings.DOWNLINE_COMPANY_NAME,
            "login_link": request.build_absolute_uri(reverse("web:login")),
            "reset_link": request.build_absolute_uri(reverse("web:password_reset")),
        }
        subject = render_to_string("web/emails/address_in_use_subject.txt", context).strip()
        body = render_to_string("web/emails/address_in_use_body.txt", context)
    send_mail(subject, body, None, [email])


def _send_to_old_address(request, user: User, old: str, new: str, name: str) -> None:
    with translation.override(user.language):
        context = {
            "user": user,
            "old_email": old,
            "new_email": new,
            "company": settings.DOWNLINE_COMPANY_NAME,
            "reset_link": request.build_absolute_uri(reverse("web:password_reset")),
        }
        subject = render_to_string(f"web/emails/{name}_subject.txt", context).strip()
        body = render_to_string(f"web/emails/{name}_body.txt", context)
    send_mail(subject, body, None, [old])


def send_address_change_requested_notice(request, user: User, new: str) -> None:
    """Tell the login's current address that a move to ``new`` was asked for (the same notice
    whether or not ``new`` belongs to another login)."""
    if user.email:
        _send_to_old_address(request, user, user.email, new, "email_change_requested")


def send_address_changed_notice(request, user: User, old: str, new: str) -> None:
    """Tell ``old`` that the login's address is now ``new``."""
    if old:
        _send_to_old_address(request, user, old, new, "email_changed")
