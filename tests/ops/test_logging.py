"""Unhandled errors are logged with debug off: one JSON object per line on stderr (issue 10).

The tests read what the configured stderr handler writes, by pointing that handler (the one
``LOGGING`` installs) at a buffer for the length of a test.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings

from downline.core.logs import JsonFormatter

from . import crash_urls
from .helpers import GOOD_KEY, python, user_environment


@pytest.fixture
def stderr_lines() -> Iterator[io.StringIO]:
    """What the stderr handler of ``LOGGING`` writes during the test."""
    handlers = [
        handler
        for handler in logging.getLogger("django").handlers
        if isinstance(handler, logging.StreamHandler)
        and isinstance(handler.formatter, JsonFormatter)
    ]
    assert len(handlers) == 1, "LOGGING gives the django logger one JSON handler on stderr"
    buffer = io.StringIO()
    previous = handlers[0].setStream(buffer)
    try:
        yield buffer
    finally:
        handlers[0].setStream(previous)


def records(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=crash_urls, DEBUG=False)
def test_an_unhandled_error_is_one_json_line_with_its_traceback(stderr_lines, django_user_model):
    user = django_user_model.objects.create_user(username="ops-logging", password="x")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get("/ops-test/fail/?x=1")
    assert response.status_code == 500
    lines = stderr_lines.getvalue().splitlines()
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "django.request"
    assert entry["message"] == "Internal Server Error: /ops-test/fail/"
    assert entry["path"] == "/ops-test/fail/"
    assert entry["method"] == "GET"
    assert entry["status"] == 500
    assert entry["user_id"] == user.pk
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: the ledger exploded on purpose" in entry["exception"]
    assert entry["time"].endswith("+00:00")


@override_settings(DEBUG=False)
def test_a_missing_page_is_a_warning_without_user(stderr_lines, db):
    Client().get("/no-such-page/")
    [entry] = [e for e in records(stderr_lines) if e["logger"] == "django.request"]
    assert entry["level"] == "WARNING"
    assert entry["status"] == 404
    assert entry["path"] == "/no-such-page/"
    assert "user_id" not in entry
    assert "exception" not in entry


def test_our_own_loggers_reach_stderr_too(stderr_lines):
    logging.getLogger("downline.payouts").warning("batch %s held", "B7")
    [entry] = records(stderr_lines)
    assert (entry["logger"], entry["level"], entry["message"]) == (
        "downline.payouts",
        "WARNING",
        "batch B7 held",
    )


LEVEL_SCRIPT = (
    "import logging, django, os;"
    "os.environ['DJANGO_SETTINGS_MODULE'] = 'downline.settings.base';"
    "django.setup();"
    "print(logging.getLevelName(logging.getLogger().level),"
    " logging.getLevelName(logging.getLogger('django').level))"
)


def test_the_level_comes_from_downline_log_level(tmp_path):
    default = python(
        LEVEL_SCRIPT, env=user_environment(tmp_path, DOWNLINE_SECRET_KEY=GOOD_KEY), cwd=tmp_path
    )
    assert default.stdout.split() == ["INFO", "INFO"], default.stderr
    env = user_environment(tmp_path, DOWNLINE_SECRET_KEY=GOOD_KEY, DOWNLINE_LOG_LEVEL="warning")
    assert python(LEVEL_SCRIPT, env=env, cwd=tmp_path).stdout.split() == ["WARNING", "WARNING"]


def test_a_bad_log_level_is_refused_in_one_line(tmp_path):
    env = user_environment(tmp_path, DOWNLINE_SECRET_KEY=GOOD_KEY, DOWNLINE_LOG_LEVEL="LOUD")
    done = python(
        "from downline.cli import main; raise SystemExit(main(['check']))", env=env, cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr == (
        "downline: error: DOWNLINE_LOG_LEVEL='LOUD' is not a log level; use DEBUG, INFO, "
        "WARNING, ERROR or CRITICAL.\n"
    )
