"""``downline run projection|preview|final --period 2026-10 [--user NAME]``.

A final run posts every commission to the ledger, so it names its actor: ``--user`` is required
for ``final`` and must be an active staff login with the finance or admin role; it is recorded
on the run. Projections and previews write nothing that is paid.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.accounts.staff import money_actor_problem
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
        parser.add_argument(
            "--user", help="staff member running it (finance or admin; required for final)"
        )

    def _actor(self, kind: str, username: str | None) -> User | None:
        """The staff member of a final run; ``None`` for the runs that pay nothing."""
        if kind != "final" and not username:
            return None
        if not username:
            raise CommandError(
                _("A final run posts commissions: name the staff member running it with --user.")
            )
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("There is no user %(user)r.") % {"user": username})
        problem = money_actor_problem(user)
        if problem:
            raise CommandError(problem)
        return user

    def handle(self, *args, kind: str, period: str, **options) -> None:
        actor = self._actor(kind, options.get("user"))
        found = Period.objects.filter(code=period).first()
        if found is None:
            raise CommandError(_("There is no period %(period)s.") % {"period": period})

        def step(name: str) -> None:
            self.stderr.write(f"  {name} done")

        tune_process_memory()  # a command-line run is a large computation in its own process
        try:
            run = RUNS[kind](found, actor=actor, on_step=step)
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
