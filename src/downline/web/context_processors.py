"""Values every back-office template needs: the company name and the languages on offer."""

from django.conf import settings


def back_office(request) -> dict:
    return {
        "company_name": settings.DOWNLINE_COMPANY_NAME,
        "offered_languages": settings.LANGUAGES,
    }
