"""``./quickstart`` finds a Python 3.12+, remakes a virtual environment made with an older one,
and says in one line what to install when there is none.

The script runs for real, with a PATH that holds only stub interpreters and a stub ``pyenv``
(shell scripts that answer like the real ones) and the few system tools the script uses, so
the machine's own Pythons cannot leak in. ``--find-python`` and ``--dry-run`` keep it from
installing anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "quickstart"
BASH = shutil.which("bash") or "/bin/bash"
TOOLS = ("env", "ls", "rm", "sed", "sort")


def write_script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def stub_python(path: Path, version: str) -> Path:
    """An interpreter that reports ``version`` and its own path, like ``sys.executable``."""
    return write_script(path, f'echo "{version} {path}"')


def stub_unselected_shim(path: Path) -> Path:
    """A pyenv shim whose version is installed but not selected: it exits 127."""
    return write_script(path, f'echo "pyenv: {path.name}: command not found" >&2\nexit 127')


def stub_pyenv(bin_dir: Path, root: Path, versions: list[str]) -> None:
    """``pyenv root``, ``pyenv versions --bare`` and ``PYENV_VERSION=v pyenv exec python3``."""
    listing = " ".join(versions)
    write_script(
        bin_dir / "pyenv",
        f"""case "$1" in
  root) echo "{root}" ;;
  versions) for v in {listing}; do echo "$v"; done ;;
  exec) echo "$PYENV_VERSION {root}/versions/$PYENV_VERSION/bin/python3" ;;
  *) exit 1 ;;
esac""",
    )


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A bin folder holding the system tools the script needs, and nothing else yet."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, f"the test needs {tool} on PATH"
        (bin_dir / tool).symlink_to(found)
    (tmp_path / "home").mkdir()
    return tmp_path


def quickstart(machine: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {"PATH": str(machine / "bin"), "HOME": str(machine / "home"), **env}
    return subprocess.run(
        [BASH, str(SCRIPT), *args],
        cwd=machine,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def debian_with_pyenv(machine: Path) -> Path:
    """python3 is 3.11; python3.12 is a shim of an unselected pyenv version; pyenv holds
    3.10.13, 3.11.7 and 3.12.1. Returns pyenv's 3.12.1 interpreter."""
    bin_dir = machine / "bin"
    stub_python(bin_dir / "python3", "3.11.7")
    stub_unselected_shim(bin_dir / "python3.12")
    root = machine / "pyenv-root"
    for version in ("3.10.13", "3.11.7"):
        stub_python(root / "versions" / version / "bin" / "python3", version)
    chosen = stub_python(root / "versions" / "3.12.1" / "bin" / "python3", "3.12.1")
    stub_pyenv(bin_dir, root, ["3.10.13", "3.11.7", "3.12.1"])
    return chosen


def test_pyenv_312_is_chosen_when_python3_is_311(machine):
    chosen = debian_with_pyenv(machine)
    done = quickstart(machine, "--find-python")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(chosen)


def test_python313_on_path_comes_first(machine):
    debian_with_pyenv(machine)
    newest = stub_python(machine / "bin" / "python3.13", "3.13.1")
    done = quickstart(machine, "--find-python")
    assert done.stdout.strip() == str(newest)


def test_the_oldest_supported_pyenv_version_wins(machine):
    """3.12 before 3.13: the version the project is developed and tested on."""
    chosen = debian_with_pyenv(machine)
    newer = stub_python(
        machine / "pyenv-root" / "versions" / "3.13.0" / "bin" / "python3", "3.13.0"
    )
    stub_pyenv(machine / "bin", machine / "pyenv-root", ["3.11.7", "3.12.1", "3.13.0"])
    done = quickstart(machine, "--find-python")
    assert done.stdout.strip() == str(chosen) != str(newer)


def test_pyenv_versions_are_found_without_pyenv_on_path(machine):
    """pyenv installed in ~/.pyenv but not set up in the shell."""
    stub_python(machine / "bin" / "python3", "3.11.7")
    chosen = stub_python(
        machine / "home" / ".pyenv" / "versions" / "3.12.1" / "bin" / "python3", "3.12.1"
    )
    done = quickstart(machine, "--find-python")
    assert done.stdout.strip() == str(chosen)


def test_a_pyenv_version_without_its_own_binary_runs_through_pyenv_exec(machine):
    stub_python(machine / "bin" / "python3", "3.11.7")
    root = machine / "pyenv-root"
    (root / "versions" / "3.12.1").mkdir(parents=True)
    stub_pyenv(machine / "bin", root, ["3.12.1"])
    done = quickstart(machine, "--find-python")
    assert done.stdout.strip() == f"{root}/versions/3.12.1/bin/python3"


def make_venv(where: Path, version: str) -> Path:
    (where / "bin").mkdir(parents=True)
    (where / "pyvenv.cfg").write_text(f"version = {version}\n")
    stub_python(where / "bin" / "python", version)
    return where


def test_a_venv_made_with_311_is_deleted_and_made_again(machine):
    chosen = debian_with_pyenv(machine)
    venv = make_venv(machine / ".venv", "3.11.7")
    done = quickstart(machine, "--dry-run", "--venv", ".venv", "--no-serve")
    assert done.returncode == 0, done.stderr
    actions = [
        line.removeprefix("would run: ")
        for line in done.stdout.splitlines()
        if line.startswith("would run: ")
    ]
    assert actions == [
        f"rm -rf {venv}",
        f"{chosen} -m venv {venv}",
        f"{venv}/bin/python -m pip install --quiet --upgrade pip",
        f"{venv}/bin/python -m pip install --quiet -e {ROOT}[dev]",
        f"{venv}/bin/downline demo --no-serve",
    ]
    assert f"==> {venv} was made with Python 3.11.7; making it again" in done.stdout
    assert (venv / "bin" / "python").exists(), "a dry run deletes nothing"


def test_a_venv_with_312_is_kept_and_only_updated(machine):
    debian_with_pyenv(machine)
    venv = make_venv(machine / "env-312", "3.12.4")
    done = quickstart(machine, "--dry-run", "--no-demo", "--venv", str(venv))
    actions = [line for line in done.stdout.splitlines() if line.startswith("would run: ")]
    assert actions == [f"would run: {venv}/bin/python -m pip install --quiet -e {ROOT}[dev]"]


def test_a_folder_that_is_not_a_venv_is_never_deleted(machine):
    debian_with_pyenv(machine)
    (machine / "work").mkdir()
    (machine / "work" / "notes.txt").write_text("mine")
    done = quickstart(machine, "--venv", "work", "--no-demo")
    assert done.returncode == 1
    assert "is not a virtual environment" in done.stderr
    assert (machine / "work" / "notes.txt").read_text() == "mine"


def test_no_python_312_anywhere_is_one_line_naming_what_to_install(machine):
    stub_python(machine / "bin" / "python3", "3.11.7")
    stub_unselected_shim(machine / "bin" / "python3.12")
    root = machine / "pyenv-root"
    stub_python(root / "versions" / "3.11.7" / "bin" / "python3", "3.11.7")
    stub_pyenv(machine / "bin", root, ["3.11.7"])
    done = quickstart(machine)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: Downline needs Python 3.12 or newer; none found (tried ")
    assert "python3 (3.11.7)" in lines[0]
    assert "python3.12 (not found)" in lines[0]
    assert "pyenv install 3.12" in lines[0]
    assert lines[0].endswith("and run ./quickstart again.")
    assert not (machine / ".venv").exists()


def test_readme_and_ci_use_the_script():
    """The README's first command is the script, and CI builds its environment with it."""
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [block.split("```", 1)[0].strip() for block in quick_start.split("```sh\n")[1:]]
    assert commands[:2] == ["./quickstart", ".venv/bin/pytest"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert './quickstart --no-demo --venv "$VENV"' in ci
    assert "-m venv" not in ci
    assert os.access(SCRIPT, os.X_OK)
