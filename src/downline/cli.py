"""The ``downline`` command.

Engine commands (``calc``, ``synth``, ``plan``) never import Django, so they run without a
database. Every other command sets up Django (SQLite under ``./var/`` unless ``DATABASE_URL`` is
set) and runs the management command of the same purpose.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

ENGINE_COMMANDS: dict[str, tuple[str, str]] = {
    "calc": ("downline.calc.cli", "calc_main"),
    "synth": ("downline.dataset.synth_cli", "synth_main"),
    "plan": ("downline.calc.cli", "plan_main"),
    "simulate": ("downline.simulation.cli", "simulate_main"),
}

# downline <name> -> Django management command
DJANGO_COMMANDS: dict[str, str] = {
    "demo": "demo",
    "serve": "serve",
    "worker": "worker",
    "import": "import_network",
    "export": "export_network",
    "run": "run_period",
    "payouts": "payouts",
    "ledger": "ledger",
    "disclosure": "disclosure",
    "indicators": "indicators",
    "check": "check",
}

# engine commands whose sub-command needs the database: (command, sub-command) -> Django command
DJANGO_SUBCOMMANDS: dict[tuple[str, str], str] = {("plan", "impact"): "plan_impact"}

USAGE = """usage: downline <command> [options]

Commands:
  demo      migrate, seed a demo company, start the web server and the task worker
  serve     run the web server
  worker    run the task worker and the scheduler
  import    import distributors.csv and orders.csv
  export    export distributors.csv and orders.csv
  calc      compute a commission period from a plan and CSV files (no database)
  synth     write a synthetic network and a month of orders as CSV
  plan      plan files: `plan schema`, `plan check PLAN`, `plan test PLAN`,
            `plan impact --plan A --vs B --period P` (on the database)
  simulate  simulate a plan's economics over months of growth (no database)
  run       commission runs: `run projection|preview|final --period 2026-10`
  payouts   payout batches: `payouts create|approve|export|mark-paid|list`
  ledger    the double-entry ledger: `ledger check`, `ledger balances`
  disclosure  the income disclosure statement (HTML or PDF) over final runs
  indicators  pyramid-risk indicators of a period, green/amber/red
  check     Django's system checks; `check --deploy` also fails on an unsafe production
            configuration (secret key, DEBUG, HTTPS, hosts, SQLite, payout account)
  manage    any Django management command (`downline manage migrate`)

Run `downline <command> --help` for the options of a command.
"""


def _load(module: str, attr: str) -> Callable[[list[str]], int]:
    from importlib import import_module

    return getattr(import_module(module), attr)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "downline.settings.base")
    import django

    django.setup()


def prepare_demo() -> None:
    """Give the demo installation its own random secret key before Django starts.

    Without ``DOWNLINE_SECRET_KEY`` the settings refuse to start, except where the data folder
    (``DOWNLINE_VAR_DIR``) holds a key file: ``downline demo`` makes that file on its first
    start (mode 0600) and keeps it, so its sessions and links survive restarts, and the
    ``serve`` and ``worker`` it starts read the same key.
    """
    from downline.core.secret_key import (
        ENVIRONMENT_VARIABLE,
        PUBLIC_KEYS,
        ensure_key_file,
        var_dir_from_environment,
    )

    key = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not key or key in PUBLIC_KEYS:
        ensure_key_file(var_dir_from_environment())


def main(argv: list[str] | None = None) -> int:
    """Run one ``downline`` command; a configuration Django refuses ends in one line, status 2."""
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    except Exception as error:
        # imported only now: engine commands never import Django
        from django.core.exceptions import ImproperlyConfigured

        if not isinstance(error, ImproperlyConfigured):
            raise
        print(f"downline: error: {error}", file=sys.stderr)
        return 2


def console() -> None:
    """The ``downline`` program: :func:`main`, then the process ends with its status.

    After an engine command the process ends at once (``os._exit``) once its output is flushed:
    every file is written and closed by then, and freeing a large run's heap object by object
    (about 1 GiB at 100,000 distributors) only delays the exit by a quarter of a second or more.
    Other commands end normally, so Django's and the worker's clean-up runs.
    """
    status = main()
    if sys.argv[1:2] and sys.argv[1] in ENGINE_COMMANDS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    raise SystemExit(status)


def _run(args: list[str]) -> int:
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    django_command = DJANGO_SUBCOMMANDS.get((command, rest[0])) if rest else None
    if django_command is not None:
        rest = rest[1:]
    elif command in ENGINE_COMMANDS:
        return _load(*ENGINE_COMMANDS[command])(rest)
    if command == "manage":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "downline.settings.base")
        from django.core.management import execute_from_command_line

        execute_from_command_line(["downline manage", *rest])
        return 0
    django_command = django_command or DJANGO_COMMANDS.get(command)
    if django_command is not None:
        if command == "demo":
            prepare_demo()
        setup_django()
        from django.core.management import CommandError, call_command

        try:
            call_command(django_command, *rest)
        except CommandError as error:
            print(f"downline {command}: {error}", file=sys.stderr)
            return 2
        return 0
    from downline.i18n import gettext as _

    print(_("downline: unknown command %(command)r") % {"command": command}, file=sys.stderr)
    print(f"\n{USAGE}", file=sys.stderr)
    return 2
