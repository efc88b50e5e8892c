"""Issue 11, finding 5: sign-in limits hold across processes and machines, count per account,
and cannot be used to lock an account's owner out.

The attack: counters lived in each worker's memory and were keyed by what was typed, so
``serve``'s two workers and username-vs-e-mail gave 20 tries instead of 5 per account; and
five wrong passwords locked the owner out for the whole window.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.web import ratelimit

from .conftest import PASSWORD

NOW = datetime(2026, 3, 2, 10, 0, 1, tzinfo=UTC)
DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "downline_cache",
}


def _login(client, username: str, password: str = PASSWORD, address: str = "10.0.0.1", **more):
    return client.post(
        reverse("web:login"),
        {"username": username, "password": password, **more},
        REMOTE_ADDR=address,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --------------------------------------------------------------------------- shared store


def _production_caches(**env: str) -> str:
    """The default cache backend the production settings choose, in a fresh interpreter."""
    script = (
        "import os;"
        "os.environ['DJANGO_SETTINGS_MODULE']='downline.settings.base';"
        "from django.conf import settings;"
        "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default'].get('LOCATION'))"
    )
    environment = {**os.environ, "DOWNLINE_SECRET_KEY": "x" * 50}
    environment.pop("DOWNLINE_REDIS_URL", None)
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_production_settings_keep_counters_in_a_shared_store():
    assert _production_caches() == "django.core.cache.backends.db.DatabaseCache downline_cache"
    redis = _production_caches(DOWNLINE_REDIS_URL="redis://127.0.0.1:6379/3")
    assert redis == "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6379/3"


@pytest.mark.django_db
def test_two_database_cache_clients_see_the_same_count():
    """Two cache connections stand for two workers: a failure counted through one is seen by
    the other (the table exists after ``migrate``: migration accounts/0003)."""
    limit = ratelimit.Limit("login-account", 5, 900)
    with override_settings(
        CACHES={"worker1": DATABASE_CACHE, "worker2": DATABASE_CACHE},
        DOWNLINE_LIMITS_CACHE="worker1",
    ):
        assert caches["worker1"] is not caches["worker2"]
        limit.record_failure("user:1")
        limit.record_failure("user:1")
        with override_settings(DOWNLINE_LIMITS_CACHE="worker2"):
            assert limit.failures("user:1") == 2
            limit.record_failure("user:1")
        assert limit.failures("user:1") == 3
        separate = caches.create_connection("worker2")
        assert separate.get(limit._key("user:1", time.time())) == 3


def _redis_or_skip() -> str:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return f"downline-test-{uuid.uuid4().hex}"


def test_two_redis_clients_see_the_same_count():
    prefix = _redis_or_skip()
    redis_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        "KEY_PREFIX": prefix,
    }
    limit = ratelimit.Limit("login-account", 5, 900)
    gate = ratelimit.Gate("login-account", 5, 300)
    with override_settings(
        CACHES={"worker1": redis_cache, "worker2": redis_cache}, DOWNLINE_LIMITS_CACHE="worker1"
    ):
        try:
            for _ in range(5):
                limit.record_failure("user:7")
            gate.close("user:7", 5)
            with override_settings(DOWNLINE_LIMITS_CACHE="worker2"):
                assert limit.failures("user:7") == 5
                assert limit.is_blocked("user:7")
                assert 1 <= gate.enter("user:7", 5) <= 2  # the other worker's gate is closed
        finally:
            import redis

            client = redis.Redis(host="127.0.0.1", port=6379)
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)
            assert not list(client.scan_iter(f"{prefix}:*"))


# --------------------------------------------------------------------------- keyed by account


def test_username_and_e_mail_count_against_one_account(client, team, settings):
    settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT = 5
    with time_machine.travel(NOW, tick=False):
        for name in ("alice", "ALICE", "alice@example.com", "Alice@Example.com", " alice "):
            _login(client, name, "wrong")
        response = _login(client, "alice")
    assert "Too many failed attempts for this account" in response.text
    assert not _signed_in(client)


def test_unknown_names_count_normalised(client, db):
    limit = ratelimit.Limit("login-account", 5, 900)
    with time_machine.travel(NOW, tick=False):
        for name in ("Ghost", " ghost", "GHOST ", "ｇｈｏｓｔ"):
            _login(client, name, "wrong", address=f"10.0.1.{len(name)}")
        assert limit.failures("name:ghost") == 4


# --------------------------------------------------------------------------- slow down, never lock


def test_an_attacker_cannot_lock_the_owner_out(client, team, settings):
    """Five wrong passwords from one address slow the account down: the owner, from another
    address, is told to wait a few seconds, then signs in with the right password (the old
    code refused them for the whole 15-minute window)."""
    settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT = 5
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(5):
            _login(client, "alice", "wrong", address="203.0.113.66")
        waiting = _login(client, "alice", address="198.51.100.2")
        assert "Please try again in 2 s" in waiting.text
        assert not _signed_in(client)
        clock.shift(timedelta(seconds=2))
        assert _login(client, "alice", address="198.51.100.2").status_code == 302
        assert _signed_in(client)


def test_the_delay_doubles_with_each_failure_and_is_capped(client, team, settings):
    settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.DOWNLINE_LOGIN_FAILURES_PER_ADDRESS = 1000
    settings.DOWNLINE_LOGIN_MAX_DELAY_SECONDS = 16
    waits = []
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(3):
            _login(client, "alice", "wrong")
        for _ in range(5):
            text = _login(client, "alice", "wrong").text
            waits.append(int(text.split("try again in ")[1].split(" s")[0]))
            clock.shift(timedelta(seconds=waits[-1]))
            text = _login(client, "alice", "wrong").text  # passes the gate, fails
    assert waits == [2, 4, 8, 16, 16]


def test_parallel_attempts_cannot_slip_through_an_open_gate(db):
    gate = ratelimit.Gate("test-gate", 5, 300)
    with time_machine.travel(NOW, tick=False):
        assert gate.enter("user:1", 4) == 0  # below the limit: always
        assert gate.enter("user:1", 5) == 0  # the first attempt claims the slot
        assert gate.enter("user:1", 5) == 2  # the one racing it waits
        gate.open("user:1")


def test_per_address_limits_still_apply(client, team, settings):
    settings.DOWNLINE_LOGIN_FAILURES_PER_ADDRESS = 4
    with time_machine.travel(NOW, tick=False):
        for name in ("x1", "x2", "x3", "x4"):
            _login(client, name, "wrong", address="192.0.2.50")
        refused = _login(client, "dave", address="192.0.2.50")
        assert "Too many failed attempts. Please try again in" in refused.text
        assert not _signed_in(client)
        assert _login(client, "dave", address="192.0.2.51").status_code == 302


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def test_a_slowed_staff_login_signs_in_only_with_its_code(client, team, settings):
    """Over the limit, a staff password alone never signs in (no password oracle, no
    half-signed-in session); password and a current code sign in at once, verified."""
    settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT = 5
    device = TOTPDevice.objects.create(user=team.staff_user, name="phone", confirmed=True)
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(5):
            _login(client, "staff", "wrong", address="203.0.113.66")
        clock.shift(timedelta(seconds=3))
        password_only = _login(client, "staff")
        assert "Too many failed attempts for this account" in password_only.text
        assert 'name="code"' in password_only.text
        assert 'type="text"' in password_only.text
        assert not _signed_in(client)
        wrong_code = _login(client, "staff", code="000000")
        assert not _signed_in(client)
        assert "Too many failed attempts for this account" in wrong_code.text
        device.refresh_from_db()
        assert device.throttling_failure_count == 1  # only checked after the right password
        device.throttling_failure_count = 0
        device.throttling_failure_timestamp = None
        device.save()
        response = _login(client, "staff", code=_code(device), address="198.51.100.9")
        assert response.status_code == 302
        assert client.get(reverse("web:console")).status_code == 200  # no second code asked


def test_a_wrong_password_with_a_code_does_not_touch_the_authenticator(client, team, settings):
    settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT = 2
    device = TOTPDevice.objects.create(user=team.staff_user, name="phone", confirmed=True)
    with time_machine.travel(NOW, tick=False):
        for _ in range(2):
            _login(client, "staff", "wrong")
        for address in ("10.0.0.1", "10.0.0.2"):
            _login(client, "staff", "wrong", code="123456", address=address)
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_the_demo_and_the_tests_have_the_cache_table(db):
    from django.db import connection

    assert "downline_cache" in connection.introspection.table_names()
