"""Shared test configuration.

Tests run on the database the settings choose: SQLite by default, PostgreSQL when
``DATABASE_URL`` is set. Tests marked ``postgres`` need real parallel transactions and are
skipped on SQLite. With ``CI`` set, hypothesis draws the same examples on every run.

No test may depend on today's date. To find the ones that do, set ``DOWNLINE_TEST_NOW`` to an
ISO instant with an offset (``DOWNLINE_TEST_NOW=2027-03-01T00:30:00+01:00 pytest tests/web``):
every test then starts with the clock at that instant (``time_machine.travel(..., tick=True)``,
an automatic fixture, fresh for each test), except the browser tests in ``tests/e2e`` (Chromium
runs on the real clock), the tests in ``tests/demo`` (the demo seeds in a subprocess with a
clock of its own) and tests marked ``real_clock`` (they compare the clock with the machine's,
such as the start times of processes in ``/proc``). A test that passes today and fails at a
month's first minutes, on the last day of February or the night the clocks change, reads "now"
where it should freeze its clock. Without the variable the clock is the real one.
"""

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples, so that a run can be repeated;
# a developer's run explores new examples each time (and keeps failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


TESTS = Path(__file__).resolve().parent
# Folders whose tests run on the real clock even with DOWNLINE_TEST_NOW set.
REAL_CLOCK_FOLDERS = frozenset({"e2e", "demo"})


def _test_now() -> datetime | None:
    """The instant ``DOWNLINE_TEST_NOW`` names, or None when it is unset; an instant without an
    offset is refused (it would mean a different moment on every machine)."""
    text = os.environ.get("DOWNLINE_TEST_NOW", "").strip()
    if not text:
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as error:
        raise pytest.UsageError(
            f"DOWNLINE_TEST_NOW={text!r} is not an ISO instant (2027-03-01T00:30:00+01:00)"
        ) from error
    if instant.utcoffset() is None:
        raise pytest.UsageError(
            f"DOWNLINE_TEST_NOW={text!r} has no offset; write it as 2027-03-01T00:30:00+01:00"
        )
    return instant


TEST_NOW = _test_now()


def _on_real_clock(path: Path) -> bool:
    """True for the tests that keep the real clock: those under ``REAL_CLOCK_FOLDERS``."""
    try:
        parts = path.resolve().relative_to(TESTS).parts
    except ValueError:
        return False
    return bool(parts) and parts[0] in REAL_CLOCK_FOLDERS


@pytest.fixture(autouse=True)
def _test_clock(request) -> Iterator[None]:
    """With ``DOWNLINE_TEST_NOW`` set, the test starts at that instant and the clock ticks on
    from there (see the module docstring); otherwise nothing changes."""
    if (
        TEST_NOW is None
        or _on_real_clock(Path(str(request.node.fspath)))
        or request.node.get_closest_marker("real_clock") is not None
    ):
        yield
        return
    with time_machine.travel(TEST_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Iterator[None]:
    """A test that activates a language (a request with a language cookie, ``use_language``)
    does not leave it active for the tests after it."""
    yield
    from django.utils import translation

    translation.deactivate()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "real_clock: runs on the machine's clock even with DOWNLINE_TEST_NOW set (the test "
        "compares the clock with the machine's, e.g. process start times)",
    )


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's ``admin_client``, signed in the only way the admin admits: password,
    then a current code from the superuser's authenticator (``/accounts/two-factor/``)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin_user, name="tests", confirmed=True)
    client.force_login(admin_user)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    response = client.post("/accounts/two-factor/", {"code": f"{code:06d}"})
    assert response.status_code == 302, response.content[:300]
    return client


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 (``tests/smtp_server.py``), with Django's default mailer
    pointed at it for the test."""
    from downline.core.smtp_url import mailers_from_url
    from smtp_server import LocalSMTP

    server = LocalSMTP().start()
    settings.MAILERS = mailers_from_url(server.url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path_factory) -> None:
    """Uploaded files (lesson media, ticket attachments) go to the session's temporary folder,
    never into the checkout."""
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "media")
