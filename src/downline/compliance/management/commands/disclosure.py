"""``downline manage disclosure --from 2026-01 --to 2026-12 --format html|pdf --language de
--out FILE``: the income disclosure statement of the final runs of those periods."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from downline.compliance.disclosure_render import LANGUAGES, render_html, render_pdf
from downline.compliance.errors import ComplianceError
from downline.compliance.selectors import statement_data


class Command(BaseCommand):
    help = "Write the income disclosure statement of a range of closed periods (HTML or PDF)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="first", required=True, help="first period, 2026-01")
        parser.add_argument("--to", dest="last", required=True, help="last period, 2026-12")
        parser.add_argument("--format", choices=("html", "pdf"), default="html")
        parser.add_argument("--language", choices=LANGUAGES, default="en")
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument(
            "--disclaimer-file", help="a text file with the disclaimer (default: the stored one)"
        )

    def handle(self, *args, first, last, format, language, out, disclaimer_file, **options):
        disclaimer = None
        if disclaimer_file:
            try:
                disclaimer = Path(disclaimer_file).read_text(encoding="utf-8")
            except OSError as error:
                raise CommandError(
                    _("Cannot read the disclaimer file %(file)s: %(why)s")
                    % {"file": disclaimer_file, "why": error.strerror}
                ) from error
        try:
            data = statement_data(first, last)
            if format == "pdf":
                content = render_pdf(data, language, disclaimer)
            else:
                content = render_html(data, language, disclaimer).encode("utf-8")
        except ComplianceError as error:
            raise CommandError(str(error)) from error
        try:
            Path(out).write_bytes(content)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(why)s") % {"file": out, "why": error.strerror}
            ) from error
        self.stdout.write(
            _(
                "Income disclosure statement of %(periods)s: %(count)s participants, written to %(file)s."
            )
            % {
                "periods": f"{data.periods[0]}…{data.periods[-1]}",
                "count": data.participants.count,
                "file": out,
            }
        )
