"""Values every back-office template needs: the company name, the languages on offer, and
for staff the console sections their roles open."""

from django.conf import settings

from .roles import allowed


def back_office(request) -> dict:
    user = getattr(request, "user", None)
    staff = user is not None and user.is_authenticated and user.is_staff
    return {
        "company_name": settings.DOWNLINE_COMPANY_NAME,
        "offered_languages": settings.LANGUAGES,
        "console_caps": allowed(user) if staff else set(),
    }
