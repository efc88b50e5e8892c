"""Running ``downline`` as a user does: a separate process with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# variables of the test process that must not reach a "user's" process
PRIVATE = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
PRIVATE_PREFIX = "DOWNLINE_"
GOOD_KEY = "ops-tests-production-key-7c1e9b04d2a84f6e93b5a0c8d7e6f5a4b3c2d1e0"


def user_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    """The test process's environment without its database, settings or DOWNLINE_* variables,
    with ``DOWNLINE_VAR_DIR`` set to ``var_dir`` and ``extra`` added."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in PRIVATE and not name.startswith(PRIVATE_PREFIX)
    }
    env["DOWNLINE_VAR_DIR"] = str(var_dir)
    env.update(extra)
    return env


def downline(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "downline", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def python(script: str, *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
