"""Benchmark of a distributor's statement: the largest statement of the demo company as a page,
as a PDF and as CSV.

Not a test: it prints seconds. It needs a seeded demo database (``downline demo --no-serve``
with the same ``DOWNLINE_VAR_DIR``), picks the statement with the most commission lines (one
recipient in one final run) and measures, in each language, building the grouped statement
(``statement_for``), rendering the page's HTML, rendering the PDF (WeasyPrint; the first PDF
of the process also loads the fonts, so it is reported apart, as is importing WeasyPrint) and writing the CSV.

    DOWNLINE_VAR_DIR=/tmp/demo .venv/bin/downline demo --no-serve
    DOWNLINE_VAR_DIR=/tmp/demo .venv/bin/python benchmarks/statement_pdf.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "de", "ru", "pl")


def seconds(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="PDFs per language (median shown)")
    args = parser.parse_args(argv)
    if "DOWNLINE_VAR_DIR" not in os.environ:
        print("set DOWNLINE_VAR_DIR to the folder of a seeded demo", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "downline.settings.base")
    os.environ.setdefault("DOWNLINE_LOG_LEVEL", "WARNING")
    secret = Path(os.environ["DOWNLINE_VAR_DIR"]) / "secret_key"
    if "DOWNLINE_SECRET_KEY" not in os.environ and not secret.exists():
        os.environ["DOWNLINE_SECRET_KEY"] = "benchmark-only-" + "x" * 40
    import django

    django.setup()
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from django.template.loader import render_to_string
    from django.utils import translation

    from downline.compensation.models import LineBlock
    from downline.web.statements import statement_csv, statement_for, statement_pdf

    block = (
        LineBlock.objects.filter(run__kind="final")
        .select_related("run__period", "recipient")
        .order_by("-lines", "id")
        .first()
    )
    if block is None:
        print("no final run in this database: seed the demo first", file=sys.stderr)
        return 2
    member, code = block.recipient, block.run.period.code
    print(f"largest statement: {member.member_id} {code}, {block.lines} lines")
    imported, _ = seconds(lambda: __import__("weasyprint"))
    print(f"import weasyprint (once per process): {imported:.2f} s")
    print("lang  build  page-html  page-KB  rows  pdf-first  pdf-median  pdf-KB  csv")
    first = True
    for language in LANGUAGES:
        with translation.override(language):
            built, statement = seconds(lambda: statement_for(member, code))
            context = {"member": member, "s": statement, "link_sources": True}
            paged, page = seconds(
                lambda context=context: render_to_string("web/_statement_body.html", context)
            )
            pdf_html = render_to_string(
                "web/statement_pdf.html", {"member": member, "s": statement, "pdf": True}
            )
            times, size = [], 0
            for _ in range(args.repeat + (1 if first else 0)):
                took, pdf = seconds(lambda html=pdf_html: statement_pdf(html))
                times.append(took)
                size = len(pdf)
            cold = f"{times.pop(0):9.2f}" if first else " " * 9
            first = False
            csv_time, _ = seconds(lambda statement=statement: statement_csv(statement))
            print(
                f"{language:<5} {built:5.2f}  {paged:9.2f}  {len(page) / 1024:7.0f}  "
                f"{page.count('<tr'):4d}  {cold}  {statistics.median(times):10.2f}  "
                f"{size / 1024:6.0f}  {csv_time:4.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
