"""``downline ledger check`` (exit 1 naming every violation) and ``downline ledger balances``."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum
from django.utils.translation import gettext as _

from downline.ledger.checks import violations
from downline.ledger.models import Account
from downline.money import format_decimal


class Command(BaseCommand):
    help = "Check the ledger's invariants, or list the company's account balances."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["check", "balances"])
        parser.add_argument(
            "--deep", action="store_true", help="also unpack every commission line block"
        )

    def handle(self, *args, action: str, deep: bool = False, **options) -> None:
        if action == "check":
            found = violations(deep=deep)
            for sentence in found:
                self.stderr.write(sentence)
            if found:
                self.stderr.write(_("%(count)d ledger violations found.") % {"count": len(found)})
                sys.exit(1)
            self.stdout.write(_("The ledger is sound: every invariant holds."))
            return
        rows = (
            Account.objects.values("kind", "currency")
            .annotate(total=Sum("balance"))
            .order_by("currency", "kind")
        )
        if not rows:
            raise CommandError(_("The ledger has no accounts yet."))
        for row in rows:
            self.stdout.write(
                f"{row['currency']:<6} {row['kind']:<22} {format_decimal(int(row['total']), 2):>18}"
            )
