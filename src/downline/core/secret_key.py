"""Where Django's ``SECRET_KEY`` comes from (read by the settings, before Django is set up).

The key signs sessions, password-reset and e-mail verification links: whoever knows it can forge
them. So there is no public default:

1. ``DOWNLINE_SECRET_KEY`` from the environment, when set: production sets it, the same on
   every server.
2. Otherwise the installation's own key file, ``DOWNLINE_VAR_DIR/secret_key`` (mode 0600),
   when it exists. ``downline demo`` makes it on its first start (``ensure_key_file``), with
   a random key, and every later start, ``serve`` and ``worker`` of that folder read it.
3. Otherwise, with ``DOWNLINE_DEBUG=1``, that key file is made now.
4. Otherwise Downline refuses to start: ``MissingSecretKey`` names ``DOWNLINE_SECRET_KEY`` and
   how to make a key, in one line.

The key that once shipped as the default is public; it is refused like a missing one outside
debug. This module imports nothing of Django's setup, only its exception class.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

ENVIRONMENT_VARIABLE = "DOWNLINE_SECRET_KEY"
KEY_FILE_NAME = "secret_key"
# keys that were published (the default of earlier versions): they protect nothing
PUBLIC_KEYS = frozenset({"insecure-demo-key-change-me-in-production"})
KEY_COMMAND = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
HOW_TO_MAKE_ONE = (
    f"make one with `{KEY_COMMAND}` and set {ENVIRONMENT_VARIABLE} to it (the same on every "
    "server), or run `downline demo` for a local demo"
)


class MissingSecretKey(ImproperlyConfigured):
    """Raised by the settings when no usable secret key is configured outside debug."""


def var_dir_from_environment(environ: Mapping[str, str] = os.environ) -> Path:
    """``DOWNLINE_VAR_DIR``, else ``./var``: the installation's data folder, absolute."""
    return Path(environ.get("DOWNLINE_VAR_DIR", Path.cwd() / "var")).resolve()


def key_file(var_dir: Path) -> Path:
    """The installation's key file in its data folder."""
    return var_dir / KEY_FILE_NAME


def read_key_file(path: Path) -> str:
    """The key stored in ``path``; an empty file is refused (it was not written by us)."""
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise MissingSecretKey(f"The secret key file {path} is empty; delete it to make a new one.")
    with contextlib.suppress(OSError):  # someone else's file: leave its mode alone
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    return key


def ensure_key_file(var_dir: Path) -> Path:
    """Make ``var_dir/secret_key`` with a new random key (mode 0600) unless it exists.

    The key is written to a private temporary file first and linked into place, so two
    processes starting at once agree on one key and nobody ever reads a half-written file.
    """
    target = key_file(var_dir)
    if target.exists():
        return target
    var_dir.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=var_dir, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(secrets.token_urlsafe(50) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: keep theirs
            os.link(temporary, target)
    finally:
        os.unlink(temporary)
    return target


def resolve_secret_key(
    environ: Mapping[str, str], var_dir: Path, *, debug: bool
) -> tuple[str, Path | None]:
    """The secret key and the file it came from (``None``: from the environment).

    Follows the order in the module's docstring; raises ``MissingSecretKey`` (one line) when
    outside debug there is neither a usable ``DOWNLINE_SECRET_KEY`` nor a key file.
    """
    key = environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if key and (debug or key not in PUBLIC_KEYS):
        return key, None
    path = key_file(var_dir)
    if path.exists() or debug:
        path = ensure_key_file(var_dir)
        return read_key_file(path), path
    if key:
        raise MissingSecretKey(
            f"{ENVIRONMENT_VARIABLE} is the public demo key, which signs nothing safely; "
            f"Downline refuses to start with it outside debug: {HOW_TO_MAKE_ONE}."
        )
    raise MissingSecretKey(
        f"{ENVIRONMENT_VARIABLE} is not set and {path} does not exist; Downline refuses to start "
        f"without a secret key outside debug and the demo: {HOW_TO_MAKE_ONE}."
    )
