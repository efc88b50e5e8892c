"""The console's roles and capabilities live in ``downline.accounts.console`` (the tools apps
below the web app guard their console pages with them); re-exported here for the web app."""

from downline.accounts.console import CAPABILITIES, allowed, can, console_required, roles_of

__all__ = ["CAPABILITIES", "allowed", "can", "console_required", "roles_of"]
