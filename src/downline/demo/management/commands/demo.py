"""``downline demo [--no-serve] [--reset] [--port 8000]``: a demo company, ready to explore.

1. migrate the database (the embedded SQLite file ``DOWNLINE_VAR_DIR/downline.sqlite3``,
   ``./var`` by default, unless ``DATABASE_URL`` is set);
2. seed the demo company (``downline.demo.seeding``, all or nothing) when the database holds
   no network yet; otherwise say so and keep what is there (``--reset`` deletes the SQLite
   file first); the logins are printed either way;
3. unless ``--no-serve``: start the web server (``downline serve``) and the task worker
   (``downline worker``) as two processes, print the address and the logins, and stop both
   on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils.translation import gettext

from downline.demo.seeding import demo_logins, demo_totp_secret, seed_demo
from downline.genealogy.models import Distributor


class Command(BaseCommand):
    help = "Migrate, seed a demo company, and run the web server and the task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-serve", action="store_true", help="seed and exit without starting servers"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the SQLite database first and start over (refused on PostgreSQL)",
        )
        parser.add_argument("--port", type=int, default=8000, help="web server port")

    def handle(self, *args: object, no_serve: bool, reset: bool, port: int, **options: Any):
        database = connections["default"].settings_dict
        is_sqlite = database["ENGINE"] == "django.db.backends.sqlite3"
        if reset:
            if not is_sqlite:
                raise CommandError(
                    gettext(
                        "--reset deletes the embedded SQLite database; it is refused on "
                        "%(vendor)s. Drop and create that database yourself."
                    )
                    % {"vendor": connections["default"].display_name},
                    returncode=2,
                )
            self._delete_sqlite(Path(database["NAME"]))
        started = time.perf_counter()
        where = database["NAME"] if is_sqlite else connections["default"].display_name
        self._say(gettext("Migrating the database (%(where)s)…") % {"where": where})
        call_command("migrate", interactive=False, verbosity=0)
        existing = Distributor.objects.count()
        if existing:
            self._say(
                gettext(
                    "The database already holds a network of %(count)d members; seeding "
                    "skipped (use --reset to start over)."
                )
                % {"count": existing}
            )
        else:
            self._say(gettext("Seeding the demo company…"))
            try:
                seed_demo(lambda line: self._say(f"  {line}"))
            except Exception:
                self.stderr.write(
                    gettext(
                        "Seeding failed and was rolled back: the database holds no demo data. "
                        "The cause follows; `downline demo` seeds again on its next start."
                    )
                )
                raise
            self._say(
                gettext("Demo ready in %(seconds).1f s.")
                % {"seconds": time.perf_counter() - started}
            )
        self._print_logins(port)
        if no_serve:
            return
        self._serve(port)

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def _delete_sqlite(self, path: Path) -> None:
        connections.close_all()
        for suffix in ("", "-wal", "-shm", "-journal"):
            target = Path(f"{path}{suffix}")
            if target.exists():
                target.unlink()
        self._say(gettext("Deleted %(path)s.") % {"path": path})

    def _print_logins(self, port: int) -> None:
        logins = demo_logins()
        if not logins:
            return
        self._say(
            gettext("Back office: http://127.0.0.1:%(port)s/accounts/login/ (console: /console/)")
            % {"port": port}
        )
        self._say(gettext("Logins (username / password):"))
        for login in logins:
            member = f", {login.member_id}" if login.member_id else ""
            self._say(
                f"  {login.username} / {login.password}  ({login.role}, {login.language}{member})"
            )
        self._say(
            gettext(
                "Staff confirm a code in the console: add the demo key %(key)s to an "
                "authenticator app (TOTP, 6 digits, 30 s) for admin and fiona. It is public; use "
                "it only in the demo."
            )
            % {"key": demo_totp_secret()}
        )

    def _serve(self, port: int) -> None:
        """Run ``downline serve`` and ``downline worker`` until Ctrl-C or until one stops."""
        connections.close_all()
        command = [sys.executable, "-m", "downline"]
        children = [
            subprocess.Popen([*command, "serve", "--bind", f"127.0.0.1:{port}"]),
            subprocess.Popen([*command, "worker"]),
        ]
        self._say(
            gettext(
                "Open http://127.0.0.1:%(port)s/admin/ — Ctrl-C stops the web server and the worker."
            )
            % {"port": port}
        )
        status = 0
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            status = next(child.returncode for child in children if child.returncode is not None)
            self.stderr.write(gettext("A demo process stopped; stopping the other."))
        except KeyboardInterrupt:
            self._say(gettext("Stopping…"))
        finally:
            _stop(children)
            signal.signal(signal.SIGTERM, previous)
        if status:
            raise CommandError(gettext("The demo stopped with an error."), returncode=status)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the demo like Ctrl-C does."""
    raise KeyboardInterrupt


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM if os.name == "posix" else signal.CTRL_BREAK_EVENT)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
