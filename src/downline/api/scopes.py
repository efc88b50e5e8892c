"""The scopes an integration key may hold: ``<resource>:<action>``.

A key holds a list of scopes; an operation names the one it needs. ``write`` does not imply
``read``: a key that creates orders and reads them back holds both. A distributor's personal
token holds :data:`PERSONAL_SCOPES` (reads only) and sees only the rows of its member and their
downline (contacts: its own only; academy: the downline's training summary, not their
lessons). Other apps add their scopes with :func:`register` (e.g. ``webhooks:write``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SCOPES: dict[str, object] = {
    "members:read": _("read members (profile, sponsor, placement)"),
    "members:write": _("enroll and move members"),
    "products:read": _("read products and prices"),
    "orders:read": _("read orders"),
    "orders:write": _("place, cancel and return orders"),
    "periods:read": _("read periods"),
    "runs:read": _("read commission runs and their jobs"),
    "runs:write": _("start a preview run"),
    "commissions:read": _("read commission lines and statements"),
    "wallets:read": _("read wallets and payouts"),
    "contacts:read": _("read contacts (a distributor's CRM)"),
    "contacts:write": _("create, change and erase contacts"),
    "academy:read": _("read academy progress, quiz results and certificates"),
}

PERSONAL_SCOPES: frozenset[str] = frozenset(
    {
        "members:read",
        "products:read",
        "orders:read",
        "periods:read",
        "commissions:read",
        "wallets:read",
        "contacts:read",
        "academy:read",
    }
)


def register(scope: str, description: object) -> None:
    """Make ``scope`` grantable (called by apps that add routers, at import time)."""
    SCOPES.setdefault(scope, description)


def unknown(scopes: list[str]) -> list[str]:
    """The scopes in ``scopes`` that do not exist."""
    return [scope for scope in scopes if scope not in SCOPES]
