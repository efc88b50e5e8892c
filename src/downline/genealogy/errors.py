"""The error every network action raises when a change would break the network's integrity."""

from __future__ import annotations

from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.text import format_lazy


class NetworkIntegrityError(ValidationError):
    """A structure change that was refused, with a message naming the members involved and why.

    It is a ``ValidationError``, so forms and the admin show it like any other validation error;
    ``code`` says which rule refused the change (``cycle``, ``slot_taken``, ``outside_sponsor``,
    ...), for callers that react to a specific rule. Messages are lazy translations with named
    placeholders filled from ``params``; members are named by :func:`person` ("Anna Kowalska
    (D0000005)"), so a refusal says who is involved, not only which ids.
    """


class _Named(Protocol):
    member_id: str
    name: str


def person(member: _Named) -> str:
    """How a refusal names a member: ``Anna Kowalska (D0000005)``, or the bare id without a name.

    The name is the one stored on the member (not translated); the id in parentheses keeps the
    message unambiguous when two members share a name.
    """
    name = " ".join((member.name or "").split())
    return f"{name} ({member.member_id})" if name else member.member_id


def person_from(member_id: str, name: str | None) -> str:
    """:func:`person` for a member read as bare columns (id and name) instead of a model row."""
    name = " ".join((name or "").split())
    return f"{name} ({member_id})" if name else member_id


def with_suggestion(
    error: NetworkIntegrityError, sentence: Promise | str, params: dict[str, Any]
) -> NetworkIntegrityError:
    """``error`` with one more translatable sentence appended (e.g. where the nearest free slot is).

    The code stays the same; ``params`` fill the placeholders of ``sentence`` alongside the
    error's own. Both parts stay lazy, so the whole message is rendered in the reader's language.
    """
    return NetworkIntegrityError(
        format_lazy("{} {}", error.message, sentence),
        code=error.code,
        params={**(error.params or {}), **params},
    )
