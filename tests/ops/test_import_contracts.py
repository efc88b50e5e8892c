"""The apps keep their layers: ``lint-imports`` (the contracts in pyproject.toml) passes.

Runs the real command, as ``.ci/run`` does, so the README's test command checks the contracts
too: the engine imports no Django, web and API sit on top of the domain apps, the apps form
layers, and no two apps import each other.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = ("engine-pure", "interfaces-on-top", "layers", "acyclic-apps")


def run_lint_imports(*contracts: str) -> subprocess.CompletedProcess[str]:
    arguments = [str(LINT_IMPORTS), "--no-cache"]
    for contract in contracts:
        arguments += ["--contract", contract]
    return subprocess.run(
        arguments, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_every_import_contract_is_kept():
    result = run_lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contracts_named_in_ci_exist():
    """Each contract runs on its own (a renamed or deleted contract would fail here)."""
    result = run_lint_imports(*CONTRACTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout
