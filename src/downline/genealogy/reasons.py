"""The reasons the platform writes on structure events itself, as phrase keys (see
:mod:`downline.core.phrases`): stored as key and parameters, shown in the reader's language.
Reasons people type (a move, a status change) are stored and shown as written."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from downline.core.phrases import Phrase, register

IMPORTED = register("genealogy.imported", gettext_noop("Imported from %(file)s"))
JOINED_BY_LINK = register(
    "genealogy.joined_by_link", gettext_noop("Joined through the referral link of %(sponsor)s.")
)


def reason(key: str, **params: str | int) -> Phrase:
    """The reason ``key`` with ``params``, for the ``reason`` of a genealogy action."""
    return Phrase(key, params)
