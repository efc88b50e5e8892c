"""Values every back-office template needs: the company name, the languages on offer, which
menu the login gets and, for staff, the console sections their roles open.

The menu follows who the login is: the back-office links (dashboard, team, levels, customers,
earnings) for a login linked to a network distributor, the console link for staff; a login
can be both. The console link is highlighted on every page of the console's sections (its own
pages, the plan lab and the compliance pages).
"""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from downline.genealogy.access import distributor_of

from .roles import allowed

CONSOLE_APPS = frozenset({"planlab", "compliance", "webhooks"})


def _is_back_office_member(request, user) -> bool:
    """The login is a distributor (not a retail customer); pages behind ``member_required``
    have looked the member up already (``request.member``)."""
    member = getattr(request, "member", None) or distributor_of(user)
    return member is not None and not member.is_customer


def _in_console(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    return (
        match.app_name in CONSOLE_APPS
        or match.view_name.startswith("web:console")
        # the tools apps mount their console pages under console/ next to their public ones
        or (match.route or "").startswith("console/")
    )


def back_office(request) -> dict:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    staff = signed_in and user.is_staff
    return {
        "company_name": settings.DOWNLINE_COMPANY_NAME,
        "offered_languages": settings.LANGUAGES,
        "console_caps": allowed(user) if staff else set(),
        # read only when a template asks (one query), so pages without the menu pay nothing
        "back_office_member": SimpleLazyObject(
            lambda: signed_in and _is_back_office_member(request, user)
        ),
        "in_console": _in_console(request),
    }
