"""Deployment checks: ``downline check --deploy`` fails on an unsafe production configuration.

Registered with Django's check framework (tag ``security``, deploy only), so they run with
Django's own ``check --deploy`` checks. Each unsafe setting is an error (the command exits
non-zero); a missing payout account is a warning, since a company may pay another way than
SEPA files.

- ``downline.E001`` the secret key is missing from the environment (it comes from the demo's
  key file, which is per machine), public, or weak;
- ``downline.E002`` ``DOWNLINE_DEBUG`` is on;
- ``downline.E003`` ``DOWNLINE_HTTPS`` is off;
- ``downline.E004`` ``DOWNLINE_ALLOWED_HOSTS`` holds ``*``;
- ``downline.E005`` a database is SQLite (production runs on PostgreSQL);
- ``downline.W001`` the payout account (``DOWNLINE_PAYOUT_NAME``/``_IBAN``/``_BIC``) is unset.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from downline.core.secret_key import KEY_COMMAND, PUBLIC_KEYS

# as Django's own check (security.W009): long and varied enough to resist guessing
MIN_KEY_LENGTH = 50
MIN_KEY_UNIQUE_CHARACTERS = 5


def secret_key_problem(key: str, key_file: object) -> str | None:
    """Why ``key`` is not fit for production, or ``None``."""
    if key_file is not None:
        return (
            f"DOWNLINE_SECRET_KEY is not set: the secret key comes from {key_file}, which the "
            "demo made for this machine only"
        )
    if key in PUBLIC_KEYS:
        return "DOWNLINE_SECRET_KEY is the public demo key"
    if key.startswith("django-insecure-"):
        return "DOWNLINE_SECRET_KEY is one of Django's insecure development keys"
    if len(key) < MIN_KEY_LENGTH or len(set(key)) < MIN_KEY_UNIQUE_CHARACTERS:
        return (
            f"DOWNLINE_SECRET_KEY is weak: {len(key)} characters, {len(set(key))} different "
            f"(it needs at least {MIN_KEY_LENGTH}, with {MIN_KEY_UNIQUE_CHARACTERS} different)"
        )
    return None


@register(Tags.security, deploy=True)
def check_secret_key(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E001: the secret key comes from the environment and is long, varied and not public."""
    problem = secret_key_problem(
        settings.SECRET_KEY, getattr(settings, "DOWNLINE_SECRET_KEY_FILE", None)
    )
    if problem is None:
        return []
    return [
        Error(
            f"{problem}.",
            hint=f"Make a key with `{KEY_COMMAND}` and set DOWNLINE_SECRET_KEY to it, the same "
            "on every server.",
            id="downline.E001",
        )
    ]


@register(Tags.security, deploy=True)
def check_debug(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E002: debugging pages show settings and source code to anyone who causes an error."""
    if not settings.DEBUG:
        return []
    return [
        Error(
            "DOWNLINE_DEBUG is on: error pages show settings, source code and requests to anyone.",
            hint="Unset DOWNLINE_DEBUG (or set it to 0) in production.",
            id="downline.E002",
        )
    ]


@register(Tags.security, deploy=True)
def check_https(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E003: without HTTPS, passwords, session cookies and payout details travel in clear."""
    if getattr(settings, "DOWNLINE_HTTPS", False):
        return []
    return [
        Error(
            "DOWNLINE_HTTPS is off: cookies are not Secure, http is not redirected to https and "
            "no HSTS header is sent.",
            hint="Serve Downline over TLS and set DOWNLINE_HTTPS=1 (behind a proxy that "
            "terminates TLS, also DOWNLINE_BEHIND_PROXY=1).",
            id="downline.E003",
        )
    ]


@register(Tags.security, deploy=True)
def check_allowed_hosts(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E004: ``*`` lets any Host header in, so links in e-mails can point anywhere."""
    if "*" not in [host.strip() for host in settings.ALLOWED_HOSTS]:
        return []
    return [
        Error(
            "DOWNLINE_ALLOWED_HOSTS contains '*': any Host header is accepted, and password "
            "reset and verification links can be made to point to another site.",
            hint="List the site's host names, e.g. DOWNLINE_ALLOWED_HOSTS=backoffice.example.com.",
            id="downline.E004",
        )
    ]


@register(Tags.security, deploy=True)
def check_database(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E005: SQLite is the embedded demo database; production runs on PostgreSQL."""
    return [
        Error(
            f"The database {alias!r} is SQLite ({database.get('NAME')}): one writer at a time, "
            "one machine, no web servers on other machines.",
            hint="Set DATABASE_URL to a PostgreSQL database, e.g. "
            "postgres://downline:…@db.example.com:5432/downline.",
            id="downline.E005",
        )
        for alias, database in settings.DATABASES.items()
        if database.get("ENGINE") == "django.db.backends.sqlite3"
    ]


@register(Tags.security, deploy=True)
def check_payout_account(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W001: SEPA payout files name the account they pay from."""
    missing = [
        name
        for name in ("DOWNLINE_PAYOUT_NAME", "DOWNLINE_PAYOUT_IBAN", "DOWNLINE_PAYOUT_BIC")
        if not str(getattr(settings, name, "") or "").strip()
    ]
    if not missing:
        return []
    return [
        Warning(
            f"The payout account is not set ({', '.join(missing)}): SEPA payout files cannot "
            "be exported.",
            hint="Set DOWNLINE_PAYOUT_NAME, DOWNLINE_PAYOUT_IBAN and DOWNLINE_PAYOUT_BIC to "
            "the company's paying account.",
            id="downline.W001",
        )
    ]
