"""``downline manage indicators --period 2026-10 [--leader M123]``: the pyramid-risk indicators
of a period (company-wide, or over one leader's enrollment downline) with their statuses."""

from __future__ import annotations

from fractions import Fraction

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from downline.compliance import formatting as fmt
from downline.compliance.catalogue import NOTES
from downline.compliance.errors import ComplianceError
from downline.compliance.selectors import IndicatorRow, indicators
from downline.periods.models import Period

STATUS_LABELS = {
    "green": gettext_lazy("green"),
    "amber": gettext_lazy("amber"),
    "red": gettext_lazy("red"),
    "unknown": "–",
}


def _shown(kind: str, value: Fraction) -> str:
    if kind == "ratio":
        return fmt.ratio(value)
    if kind == "difference":
        return fmt.points(value)
    return fmt.percent(value)


def shown_value(row: IndicatorRow) -> str:
    value = row.measure.value
    if value is None:
        note = NOTES.get(row.measure.note)
        return f"– ({note})" if note else "–"
    return _shown(row.setting.indicator.kind, value)


def shown_thresholds(row: IndicatorRow) -> str:
    """Green while the value is ≥ amber (more is better) or ≤ amber (less is better)."""
    s = row.setting
    sign = "≥" if s.indicator.higher_is_better else "≤"
    kind = s.indicator.kind
    amber, red = (_shown(kind, Fraction(limit, 10_000)) for limit in (s.amber, s.red))
    return f"{sign} {amber} / {red}"


class Command(BaseCommand):
    help = "Print the pyramid-risk indicators of a period with their statuses."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", required=True, help="period code, e.g. 2026-10")
        parser.add_argument("--leader", help="member id: only this leader's enrollment downline")

    def handle(self, *args, period: str, leader: str | None, **options) -> None:
        found = Period.objects.filter(code=period).first()
        if found is None:
            raise CommandError(_("There is no period %(period)s.") % {"period": period})
        try:
            rows = indicators(found, leader)
        except ComplianceError as error:
            raise CommandError(str(error)) from error
        if leader:
            self.stdout.write(
                _("Indicators of %(period)s, downline of %(member)s")
                % {"period": period, "member": leader}
            )
        else:
            self.stdout.write(_("Indicators of %(period)s") % {"period": period})
        table = [
            (
                row.setting.indicator.number,
                str(row.setting.indicator.title),
                shown_value(row),
                shown_thresholds(row),
                str(STATUS_LABELS[row.status]).upper(),
            )
            for row in rows
            if row.setting.indicator.downline or not leader
        ]
        header = ("#", _("indicator"), _("value"), _("thresholds: amber / red"), _("status"))
        widths = [max(len(line[k]) for line in [header, *table]) for k in range(5)]
        for line in [header, *table]:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
            )
