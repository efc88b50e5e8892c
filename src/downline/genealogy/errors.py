"""The error every network action raises when a change would break the network's integrity."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class NetworkIntegrityError(ValidationError):
    """A structure change that was refused, with a message naming the members involved and why.

    It is a ``ValidationError``, so forms and the admin show it like any other validation error;
    ``code`` says which rule refused the change (``cycle``, ``slot_taken``, ``outside_sponsor``,
    ...), for callers that react to a specific rule. Messages are lazy translations with named
    placeholders filled from ``params``.
    """
