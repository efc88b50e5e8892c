"""``downline payouts create|approve|export|mark-paid|fail|cancel|list``.

Every action but ``list`` moves money and names its actor: ``--user`` is required and must be an
active staff login with the finance or admin role (the actions check the role and the four-eyes
rules, see ``payouts.actions``); anything else is refused with the reason (exit status 2).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.accounts.models import User
from downline.calendar import local_day
from downline.core.errors import DownlineError
from downline.money import format_decimal, parse_decimal
from downline.payouts.actions import (
    do_approve_payout_batch,
    do_cancel_payout_batch,
    do_create_payout_batch,
    do_export_payout_batch,
    do_mark_batch_paid,
    do_mark_payout_failed,
)
from downline.payouts.instructions import Debtor
from downline.payouts.models import Payout, PayoutBatch


class Command(BaseCommand):
    help = "Payout batches: create, approve, export (CSV or SEPA pain.001), mark paid, list."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "action", choices=["create", "approve", "export", "mark-paid", "fail", "cancel", "list"]
        )
        parser.add_argument("--batch", type=int, help="batch number")
        parser.add_argument("--currency", default="EUR")
        parser.add_argument("--minimum", default="20.00", help="minimum payout, e.g. 20.00")
        parser.add_argument(
            "--user", help="username of the staff member acting (finance or admin; required)"
        )
        parser.add_argument("--format", choices=["csv", "sepa"], default="csv")
        parser.add_argument("--out", help="file to write the export to")
        parser.add_argument("--execution-date", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--payout", help="idempotency key of a payout (for fail)")
        parser.add_argument("--reason", default="")

    def _user(self, action: str, username: str | None) -> User:
        """The staff member named by ``--user`` (their roles are checked by the action)."""
        if not username:
            raise CommandError(
                _("%(action)s moves money: name the staff member acting with --user.")
                % {"action": f"payouts {action}"}
            )
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("There is no user %(user)r.") % {"user": username})
        return user

    def _batch(self, number: int | None) -> PayoutBatch:
        batch = PayoutBatch.objects.filter(pk=number).first() if number else None
        if batch is None:
            raise CommandError(_("Give an existing batch with --batch."))
        return batch

    def handle(self, *args, action: str, **options) -> None:
        try:
            self._handle(action, options)
        except DownlineError as error:
            raise CommandError(str(error)) from error

    def _handle(self, action: str, options: dict) -> None:
        if action == "list":
            for batch in PayoutBatch.objects.all()[:50]:
                self.stdout.write(
                    f"#{batch.pk} {batch.get_status_display():<10} {batch.count:>7} "
                    f"{format_decimal(batch.total, 2):>14} {batch.currency} "
                    f"holds {batch.holds.count()}"
                )
            return
        user = self._user(action, options["user"])
        if action == "create":
            try:
                minimum = parse_decimal(options["minimum"], 2)
            except ValueError as error:
                raise CommandError(_("--minimum must be an amount like 20.00.")) from error
            batch = do_create_payout_batch(options["currency"], minimum=minimum, actor=user)
            self.stdout.write(
                _("Batch #%(batch)s: %(count)s payouts, %(total)s %(currency)s; %(holds)s held.")
                % {
                    "batch": batch.pk,
                    "count": batch.count,
                    "total": format_decimal(batch.total, 2),
                    "currency": batch.currency,
                    "holds": batch.holds.count(),
                }
            )
            for hold in batch.holds.select_related("distributor"):
                self.stdout.write(
                    f"  hold {hold.distributor.member_id}: {hold.get_reason_display()} "
                    f"({format_decimal(hold.balance, 2)}) {hold.detail}"
                )
            return
        batch = self._batch(options["batch"])
        if action == "approve":
            do_approve_payout_batch(batch, actor=user)
        elif action == "export":
            day = (
                date.fromisoformat(options["execution_date"])
                if options["execution_date"]
                else local_day(timezone.now(), settings.DOWNLINE_TIME_ZONE)  # the company's today
            )
            debtor = None
            if options["format"] == "sepa":
                debtor = Debtor(
                    settings.DOWNLINE_PAYOUT_NAME,
                    settings.DOWNLINE_PAYOUT_IBAN,
                    settings.DOWNLINE_PAYOUT_BIC,
                )
            content = do_export_payout_batch(
                batch,
                file_format=options["format"],
                debtor=debtor,
                execution_date=day,
                actor=user,
            )
            if options["out"]:
                Path(options["out"]).write_bytes(content)
            else:
                self.stdout.write(content.decode())
        elif action == "mark-paid":
            do_mark_batch_paid(batch, actor=user)
        elif action == "fail":
            payout = Payout.objects.filter(batch=batch, idempotency_key=options["payout"]).first()
            if payout is None:
                raise CommandError(_("Give a payout of the batch with --payout KEY."))
            do_mark_payout_failed(payout, reason=options["reason"], actor=user)
        elif action == "cancel":
            do_cancel_payout_batch(batch, actor=user)
        batch.refresh_from_db()
        self.stdout.write(
            _("Batch #%(batch)s is %(status)s.")
            % {"batch": batch.pk, "status": batch.get_status_display()}
        )
