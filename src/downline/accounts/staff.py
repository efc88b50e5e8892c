"""Staff roles, and who may move money.

The roles are Django groups named ``admin``, ``finance`` and ``support`` (created by migration
``web/0002_staff_roles``; the console's capabilities per role are in ``web.roles``). A superuser
holds every role.

Rules for every action that moves money (adjustments, payout batches), checked by the actions
themselves whatever called them (console, command line, admin, code):

* the actor is named: an active staff login holding the ``finance`` or ``admin`` role;
* nobody acts on their own wallet: a staff login linked to a distributor never creates, approves
  or posts an adjustment for that distributor, nor approves, exports, submits or marks paid a
  batch that pays that distributor (the checks live in ``ledger.actions`` and
  ``payouts.actions``, which know the distributors).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import User

ADMIN, FINANCE, SUPPORT = "admin", "finance", "support"
ROLES = (ADMIN, FINANCE, SUPPORT)
MONEY_ROLES = frozenset({ADMIN, FINANCE})


def holds_role(user: User, roles: frozenset[str]) -> bool:
    """``user`` is a superuser or belongs to a group named in ``roles``."""
    return bool(user.is_superuser or user.groups.filter(name__in=roles).exists())


def money_actor_problem(user: User | None) -> str | None:
    """Why ``user`` may not move money, or ``None`` when they may (see the module rules)."""
    if user is None:
        return _("Name the staff member who does this; money never moves without one.")
    if not user.is_active:
        return _("The login %(user)s is deactivated.") % {"user": user.username}
    if not user.is_staff or not holds_role(user, MONEY_ROLES):
        return _(
            "%(user)s may not move money: only active staff with the finance or admin role may."
        ) % {"user": user.username}
    return None
