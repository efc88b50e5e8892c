"""``downline run projection|preview|final --period 2026-10``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from downline.compensation.errors import CompensationError
from downline.compensation.runs import do_run_final, do_run_preview, do_run_projection
from downline.engine.memory import tune_process_memory
from downline.money import format_decimal
from downline.periods.models import Period

RUNS = {"projection": do_run_projection, "preview": do_run_preview, "final": do_run_final}


class Command(BaseCommand):
    help = "Compute a commission period: a projection, a preview or the final run."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=sorted(RUNS))
        parser.add_argument("--period", required=True, help="period code, e.g. 2026-10")

    def handle(self, *args, kind: str, period: str, **options) -> None:
        found = Period.objects.filter(code=period).first()
        if found is None:
            raise CommandError(_("There is no period %(period)s.") % {"period": period})

        def step(name: str) -> None:
            self.stderr.write(f"  {name} done")

        tune_process_memory()  # a command-line run is a large computation in its own process
        try:
            run = RUNS[kind](found, on_step=step)
        except CompensationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _(
                "%(kind)s run #%(run)s of %(period)s: %(distributors)s distributors, %(orders)s "
                "orders, %(lines)s lines, %(total)s %(currency)s paid."
            )
            % {
                "kind": run.get_kind_display(),
                "run": run.pk,
                "period": period,
                "distributors": run.distributors,
                "orders": run.orders,
                "lines": run.lines,
                "total": format_decimal(run.total_paid, run.minor_digits),
                "currency": run.currency,
            }
        )
        for step_name, seconds in run.timings.items():
            self.stdout.write(f"  {step_name}: {seconds:.2f} s")
