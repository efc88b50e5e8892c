"""Structured logs: one JSON object per line, for a log collector to read (settings ``LOGGING``).

Each line holds ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger`` and
``message``; for a record about a web request (``django.request`` logs every unhandled error
and every 4xx/5xx answer with it) also ``path``, ``method``, ``status`` and ``user_id`` where
they are known; and ``exception``, the formatted traceback, when the record carries one. A
traceback's newlines are escaped inside the JSON string, so an error is always exactly one line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from django.utils.functional import LazyObject, empty


class StderrHandler(logging.StreamHandler):
    """A stream handler that writes to whatever ``sys.stderr`` is when a record is emitted,
    not the stream it was when logging was configured (a replaced or closed stderr, as under
    a test runner's capture, never swallows a record or raises). ``setStream`` with another
    stream redirects it until ``sys.stderr`` is set again."""

    _other: Any = None

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # type: ignore[override]
        return self._other or sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        self._other = None if value is sys.stderr else value


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(request_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def request_fields(record: logging.LogRecord) -> dict[str, Any]:
    """Path, method, status and user id of the request a record is about, where known.

    The user is read only when the request already loaded it: logging never queries the
    database (which may be what just failed).
    """
    fields: dict[str, Any] = {}
    request = getattr(record, "request", None)
    if request is not None and hasattr(request, "method") and hasattr(request, "path"):
        fields["path"] = request.path
        fields["method"] = request.method
        user_id = loaded_user_id(getattr(request, "user", None))
        if user_id is not None:
            fields["user_id"] = user_id
    status = getattr(record, "status_code", None)
    if status is not None:
        fields["status"] = status
    return fields


def loaded_user_id(user: object) -> Any:
    """The primary key of a signed-in user that is already loaded, else ``None``."""
    if isinstance(user, LazyObject):
        user = user._wrapped
        if user is empty:
            return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)
