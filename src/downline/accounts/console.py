"""Staff roles of the console and what each may do.

The roles are Django groups (created by migration ``web/0002_staff_roles``); a superuser holds
every role. A login may hold several roles and may do what any of them allows.

| capability | admin | finance | support |
|---|---|---|---|
| ``overview`` (charts, counts): every staff login, with or without a role | ✓ | ✓ | ✓ |
| ``plans_read`` (versions, diffs, impact) | ✓ | ✓ | |
| ``plans_write`` (upload, edit, activate) | ✓ | | |
| ``runs`` (projection, preview, final, results; close and reopen periods) | ✓ | ✓ | |
| ``payouts`` (batches, holds, approval, export, paid, failed; compliance hold) | ✓ | ✓ | |
| ``adjustments`` and ``returns`` | ✓ | ✓ | |
| ``distributors`` (search, profile, contact details), ``notes``, ``moves`` (enrol, genealogy, status, upgrade, reversal) | ✓ | | ✓ |
| ``autoships`` (create, cancel a member's autoship) | ✓ | | ✓ |
| ``webhooks`` (endpoints, delivery log, replay) | ✓ | | |
| ``api_keys`` (make and revoke API keys of integrations) | ✓ | | |

Whoever holds ``payouts`` or ``adjustments`` still meets the four-eyes rules of the actions
(``accounts.staff``): nobody acts on their own wallet, a batch is approved by someone other than
its creator, an adjustment above ``DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT`` waits for a second staff
member's approval.

``console_required(capability)`` guards a view: anyone who is not staff with a confirmed
one-time code gets 404 (the console's addresses tell an outsider nothing); staff whose roles do
not include the capability get 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .staff import ADMIN, FINANCE, ROLES, SUPPORT

CAPABILITIES: dict[str, frozenset[str]] = {
    "overview": frozenset(ROLES),
    "plans_read": frozenset({ADMIN, FINANCE}),
    "plans_write": frozenset({ADMIN}),
    "runs": frozenset({ADMIN, FINANCE}),
    "payouts": frozenset({ADMIN, FINANCE}),
    "adjustments": frozenset({ADMIN, FINANCE}),
    "returns": frozenset({ADMIN, FINANCE}),
    "distributors": frozenset({ADMIN, SUPPORT}),
    "notes": frozenset({ADMIN, SUPPORT}),
    "moves": frozenset({ADMIN, SUPPORT}),
    "autoships": frozenset({ADMIN, SUPPORT}),
    "webhooks": frozenset({ADMIN}),
    "api_keys": frozenset({ADMIN}),
    # the distributor's tools
    "academy": frozenset({ADMIN}),  # courses, tracks, certificates, training KPIs
    "outreach": frozenset(
        {ADMIN}
    ),  # page templates, sequences, broadcasts, webinars, blog, sent mail
    "claims_review": frozenset({ADMIN, SUPPORT}),  # the claim scanner's review queue
    "helpdesk": frozenset({ADMIN, SUPPORT}),  # tickets, SLA, knowledge base, assistant feedback
    "disputes": frozenset({ADMIN, FINANCE}),  # commission disputes
    "growth": frozenset({ADMIN, SUPPORT}),  # mentors, sponsor-change requests, notifications
    "contests": frozenset({ADMIN}),  # contests, points, badges, recognition
}


def roles_of(user) -> frozenset[str]:
    """The console roles of ``user`` (cached on the object for the request)."""
    if not (user.is_authenticated and user.is_staff):
        return frozenset()
    cached = getattr(user, "_console_roles", None)
    if cached is None:
        if user.is_superuser:
            cached = frozenset(ROLES)
        else:
            cached = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._console_roles = cached
    return cached


def can(user, capability: str) -> bool:
    if capability == "overview":
        return bool(user.is_authenticated and user.is_staff)
    return bool(roles_of(user) & CAPABILITIES[capability])


def allowed(user) -> set[str]:
    """Every capability ``user`` has (for the navigation)."""
    return {name for name in CAPABILITIES if can(user, name)}


def console_required(capability: str):
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown console capability {capability!r}")

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_staff and user.is_verified()):
                raise Http404
            if not can(user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def staff_required(view):
    """A signed-in staff login whose session confirmed a one-time code; anyone else gets 404."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_staff and request.user.is_verified()):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
