"""``downline manage recount_network``: rebuild the downline counters after a bulk load."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from downline.genealogy.actions import do_recount_network
from downline.genealogy.errors import NetworkIntegrityError


class Command(BaseCommand):
    help = (
        "Recompute every member's enrollment and placement downline counts and free-slot depth "
        "from the sponsor and placement trees."
    )

    def handle(self, *args, **options) -> None:
        try:
            corrected = do_recount_network()
        except NetworkIntegrityError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(gettext("Members corrected: %(count)d.") % {"count": corrected})
