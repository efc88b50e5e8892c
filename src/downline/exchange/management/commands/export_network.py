"""``downline export --out DIR``: write DIR/distributors.csv and DIR/orders.csv."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from downline.exchange.exporting import ExportError, export_files


class Command(BaseCommand):
    help = "Export distributors.csv and orders.csv in canonical form (see docs/csv-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="output directory")

    def handle(self, *args: object, out: Path, **options: object) -> None:
        try:
            report = export_files(out)
        except ExportError as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(
            gettext(
                "Exported %(members)d members to %(members_file)s and %(orders)d orders to %(orders_file)s."
            )
            % {
                "members": report.members,
                "members_file": report.distributors_path,
                "orders": report.orders,
                "orders_file": report.orders_path,
            }
        )
