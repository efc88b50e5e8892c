"""``outreach_send``: the mail worker's loop (what ``downline worker`` runs in a thread).

python -m django outreach_send              # send until nothing is due, then exit
python -m django outreach_send --loop       # keep sending every --interval seconds
"""

from __future__ import annotations

import threading

from django.core.management.base import BaseCommand

from downline.outreach.mail import dispatch_due
from downline.outreach.tasks import run_outreach_loop


class Command(BaseCommand):
    help = "Send the due outbound e-mails (at most once each)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--interval", type=float, default=2.0)
        parser.add_argument("--batch", type=int, default=100)
        parser.add_argument("--pause", type=float, default=0.0, help="seconds between sends")
        parser.add_argument("--mail-only", action="store_true", help="no sequences, no events")

    def handle(self, *args, **options):
        if options["loop"]:
            run_outreach_loop(
                threading.Event(),
                options["interval"],
                batch=options["batch"],
                pause=options["pause"],
                mail_only=options["mail_only"],
            )
            return
        sent = dispatch_due(options["batch"], pause=options["pause"])
        self.stdout.write(f"sent {sent}")
