"""Who may open which page.

* ``member_required``: a signed-in login linked to a network member; the member is passed to
  the view. Anyone else signed in gets 404 (these pages do not exist for them).
* ``landing_url``: where a login lands after signing in (and confirming a code): staff on the
  console, everyone else on the dashboard.
* ``staff_required``: a signed-in staff login whose session confirmed a one-time code; anyone
  else gets 404, so the console's addresses tell an outsider nothing. (Staff without a
  confirmed code never get this far: ``StaffTwoFactorMiddleware`` sends them to confirm one.)

Rows of other members are looked up through ``selectors.visible_member`` /
``selectors.customer_of``, which find nothing outside the viewer's own downline: the views
answer 404 for those ids, the same as for ids that do not exist.
"""

from __future__ import annotations

from django.urls import reverse

from downline.accounts.console import staff_required
from downline.genealogy.access import member_required

__all__ = ["landing_url", "member_required", "staff_required"]


def landing_url(user) -> str:
    """The page a login lands on: the console for staff (their work is there, and a staff login
    without a membership has no dashboard), the dashboard for everyone else."""
    return reverse("web:console" if user.is_authenticated and user.is_staff else "web:dashboard")
