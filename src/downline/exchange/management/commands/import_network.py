"""``downline import --distributors D.csv --orders O.csv``: validate and load, all or nothing.

On any problem every problem is printed (``file:line: column: why``), nothing is written and
the command exits with status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext, ngettext

from downline.exchange.importing import ImportRefused, import_files


class Command(BaseCommand):
    help = "Import distributors.csv and/or orders.csv (see docs/csv-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--distributors", type=Path, help="distributors.csv to import")
        parser.add_argument("--orders", type=Path, help="orders.csv to import")
        parser.add_argument(
            "--quiet", action="store_true", help="print only problems and the summary"
        )

    def handle(self, *args: object, **options: object) -> None:
        distributors = options["distributors"]
        orders = options["orders"]
        if distributors is None and orders is None:
            raise CommandError(
                gettext("Give --distributors FILE, --orders FILE or both."), returncode=2
            )
        for path in (distributors, orders):
            if path is not None and not Path(path).is_file():
                raise CommandError(
                    gettext("%(path)s: no such file.") % {"path": path}, returncode=2
                )
        progress = None if options["quiet"] else self._progress
        try:
            report = import_files(distributors, orders, progress=progress)
        except ImportRefused as refused:
            for line in refused.summary().splitlines():
                self.stderr.write(line)
            raise CommandError(
                ngettext(
                    "%(count)d problem found; nothing was imported.",
                    "%(count)d problems found; nothing was imported.",
                    refused.total,
                )
                % {"count": refused.total},
                returncode=2,
            ) from None
        self.stdout.write(
            gettext(
                "Imported %(members)d members (%(customers)d retail customers), %(orders)d "
                "orders and %(returns)d returns in %(seconds).1f s."
            )
            % {
                "members": report.members,
                "customers": report.customers,
                "orders": report.orders,
                "returns": report.returns,
                "seconds": sum(seconds for _phase, seconds in report.phases),
            }
        )

    def _progress(self, message: str) -> None:
        self.stdout.write(f"  {message}")
        sys.stdout.flush()
