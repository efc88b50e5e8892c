"""The mail server from ``DOWNLINE_SMTP_URL`` (read by the settings, ``MAILERS``).

- unset: e-mails are printed to the console (the demo, development);
- ``smtp://user:password@host:25``: plain SMTP;
- ``smtp+tls://user:password@host:587``: SMTP upgraded with STARTTLS;
- ``smtps://user:password@host:465``: SMTP over TLS.

User name and password are optional and URL-encoded (``%40`` for ``@``). Anything else is a
configuration error naming the variable.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
SCHEMES = {"smtp": {}, "smtp+tls": {"use_tls": True}, "smtps": {"use_ssl": True}}


def mailers_from_url(url: str | None) -> dict[str, dict[str, Any]]:
    """Django's ``MAILERS`` for ``url`` (see the module's docstring)."""
    if not url:
        return {"default": {"BACKEND": CONSOLE}}
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ImproperlyConfigured(
            "DOWNLINE_SMTP_URL must look like smtp+tls://user:password@host:587 "
            "(schemes smtp, smtp+tls, smtps)."
        )
    try:
        port = parts.port
    except ValueError as error:
        raise ImproperlyConfigured(f"DOWNLINE_SMTP_URL has a bad port: {error}.") from None
    options: dict[str, Any] = {"host": parts.hostname, "timeout": 30, **SCHEMES[parts.scheme]}
    if port:
        options["port"] = port
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return {"default": {"BACKEND": SMTP, "OPTIONS": options}}
