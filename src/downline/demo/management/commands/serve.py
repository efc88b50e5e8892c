"""``downline serve [--bind 127.0.0.1:8000]``: the web application under gunicorn.

Static files are collected into ``STATIC_ROOT`` (``DOWNLINE_VAR_DIR/static``) first and served
by WhiteNoise (``downline.demo.wsgi``), so the admin is styled without a separate web server.
Hosts other than 127.0.0.1 and localhost must be listed in ``DOWNLINE_ALLOWED_HOSTS``.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    """gunicorn, configured in code, serving ``downline.demo.wsgi:application``."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from downline.demo.wsgi import application

        return application


class Command(BaseCommand):
    help = "Run the web server (gunicorn) with the static files of the admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default="127.0.0.1:8000", help="address and port (default %(default)s)"
        )
        parser.add_argument("--workers", type=int, default=2, help="worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker")

    def handle(self, *args: object, bind: str, workers: int, threads: int, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(gettext("Serving on http://%(bind)s/ (Ctrl-C stops).") % {"bind": bind})
        _Gunicorn(
            {
                "bind": bind,
                "workers": workers,
                "threads": threads,
                "accesslog": "-",
                "errorlog": "-",
                "graceful_timeout": 5,
            }
        ).run()
