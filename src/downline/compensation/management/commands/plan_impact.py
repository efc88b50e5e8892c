"""``downline plan impact --plan A --vs B --period P``: two plans on one stored period.

``A`` and ``B`` are plan files or stored versions (``NAME@NUMBER`` or ``#ID``). Nothing is
stored; the totals per bonus and each distributor whose earnings change are printed, largest
change first.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from downline.compensation.compare import impact, meaning_diff
from downline.compensation.errors import CompensationError
from downline.compensation.models import PlanVersion
from downline.compensation.plans import PlanVersionError, parse_plan
from downline.money import format_decimal
from downline.periods.models import Period


def _version(reference: str) -> PlanVersion:
    """A stored version (``#12`` or ``Name@3``), or an unsaved one read from a file."""
    if reference.startswith("#") and reference[1:].isdigit():
        found = PlanVersion.objects.filter(pk=int(reference[1:])).first()
    elif "@" in reference and not Path(reference).exists():
        name, _sep, number = reference.rpartition("@")
        found = (
            PlanVersion.objects.filter(name=name, number=number).first()
            if number.isdigit()
            else None
        )
    else:
        path = Path(reference)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{reference}: {error.strerror}") from error
        try:
            plan = parse_plan(text, path.name).plan
        except PlanVersionError as error:
            raise CommandError("\n".join(error.issues)) from error
        import hashlib

        return PlanVersion(
            name=plan.name, number=0, text=text, digest=hashlib.sha256(text.encode()).hexdigest()
        )
    if found is None:
        raise CommandError(_("There is no plan version %(ref)s.") % {"ref": reference})
    return found


class Command(BaseCommand):
    help = "Compare two plans on a stored period: totals and each distributor's change."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--plan", required=True, help="plan file, NAME@NUMBER or #ID")
        parser.add_argument("--vs", required=True, help="plan file, NAME@NUMBER or #ID")
        parser.add_argument("--period", required=True)
        parser.add_argument("--limit", type=int, default=50, help="distributors to list")

    def handle(self, *args, **options) -> None:
        period = Period.objects.filter(code=options["period"]).first()
        if period is None:
            raise CommandError(_("There is no period %(period)s.") % {"period": options["period"]})
        a, b = _version(options["plan"]), _version(options["vs"])
        try:
            with transaction.atomic():
                result = impact(period, a, b)
        except CompensationError as error:
            raise CommandError(str(error)) from error
        money = lambda minor: format_decimal(minor, 2)  # noqa: E731
        self.stdout.write(_("Changes of meaning:"))
        for change in meaning_diff(a, b):
            self.stdout.write(f"  {change.path}: {change.before!r} → {change.after!r}")
        self.stdout.write(
            _("Total: %(before)s → %(after)s %(currency)s")
            % {
                "before": money(result.total_before),
                "after": money(result.total_after),
                "currency": result.currency,
            }
        )
        for name, before, after in result.bonuses:
            self.stdout.write(f"  {name:<24} {money(before):>14} → {money(after):>14}")
        self.stdout.write(_("%(count)s distributors change:") % {"count": len(result.distributors)})
        for row in result.distributors[: options["limit"]]:
            self.stdout.write(
                f"  {row.member_id:<16} {money(row.before):>12} → {money(row.after):>12} ({money(row.change)})"
            )
