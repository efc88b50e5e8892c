"""``downline manage check_volumes [--period CODE] [--fix]``: compare the live period volumes
with a recomputation from the orders and report every member whose numbers differ.

Without ``--period`` every open period is checked. The recomputation uses the network as it
stands now, so a closed period checked after later structure moves may show differences that are
not errors; ``--fix`` only ever changes open periods. Exits with status 1 when differences are
found and not fixed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from downline.core.errors import DownlineError
from downline.core.formatting import format_volume
from downline.orders.actions import do_fix_period_volumes
from downline.orders.selectors import VOLUME_FIELDS, VolumeDifference, compare_period_volumes
from downline.periods.models import Period
from downline.periods.selectors import open_periods


class Command(BaseCommand):
    help = "Check the live period volumes against a recomputation from the orders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", help="Period code such as 2026-10 or 2026-W43.")
        parser.add_argument(
            "--fix", action="store_true", help="Overwrite differing volumes of open periods."
        )

    def handle(self, *args: object, period: str | None, fix: bool, **options: object) -> None:
        periods = [self._period(period)] if period else open_periods()
        unfixed = 0
        for checked in periods:
            if fix:
                try:
                    differences = do_fix_period_volumes(checked)
                except DownlineError as error:
                    raise CommandError(error.message) from error
            else:
                differences = compare_period_volumes(checked)
                unfixed += len(differences)
            self._report(checked, differences, fixed=fix)
        if unfixed:
            raise CommandError(
                ngettext(
                    "%(count)d member has volumes that differ from their orders.",
                    "%(count)d members have volumes that differ from their orders.",
                    unfixed,
                )
                % {"count": unfixed}
            )

    def _period(self, code: str) -> Period:
        try:
            return Period.objects.get(code=code)
        except Period.DoesNotExist:
            raise CommandError(
                _("There is no period %(code)r (it has no orders yet).") % {"code": code}
            ) from None

    def _report(self, period: Period, differences: list[VolumeDifference], *, fixed: bool) -> None:
        if not differences:
            self.stdout.write(_("%(period)s: volumes match the orders.") % {"period": period.code})
            return
        line = (
            _(
                "%(period)s %(member)s %(field)s: live %(live)s, from the orders %(expected)s (fixed)"
            )
            if fixed
            else _(
                "%(period)s %(member)s %(field)s: live %(live)s, from orders %(expected)s (differs)"
            )
        )
        for difference in differences:
            for name in difference.fields():
                index = VOLUME_FIELDS.index(name)
                self.stdout.write(
                    line
                    % {
                        "period": period.code,
                        "member": difference.member_id,
                        "field": name,
                        "live": format_volume(difference.live[index], ""),
                        "expected": format_volume(difference.expected[index], ""),
                    }
                )
