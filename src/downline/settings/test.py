"""Settings for the test suite: same database choice as production, fast hashing, local e-mail."""

import os

# base.py refuses to load without a secret key outside debug and the demo. The suite brings a
# fixed one, put in the environment only while base.py loads: processes the tests start meet
# the same rules as a user's.
TEST_SECRET_KEY = "downline-test-suite-key-0f3c9a7e52b14d6e8a1f0b2c3d4e5f60718293a4b5c6d7e8"
_outer_key = os.environ.get("DOWNLINE_SECRET_KEY")
os.environ["DOWNLINE_SECRET_KEY"] = TEST_SECRET_KEY
try:
    from .base import *  # noqa: F403
finally:
    if _outer_key is None:
        del os.environ["DOWNLINE_SECRET_KEY"]
    else:
        os.environ["DOWNLINE_SECRET_KEY"] = _outer_key
SECRET_KEY = TEST_SECRET_KEY
DOWNLINE_SECRET_KEY_FILE = None

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# No persistent connections in tests: the live server's request threads must not keep sessions
# open, or PostgreSQL refuses to drop the test database at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# One process runs the tests: the fast in-memory cache, cleared by the fixtures. The shared
# caches of production (database, Redis) have their own tests (tests/web/test_login_limits_shared.py).
WEBHOOK_PRIVATE_DESTINATIONS = True  # the tests' receivers listen on 127.0.0.1
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
