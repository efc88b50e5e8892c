"""``support_inbound``: run the support SMTP receiver (``support.inbound``) until stopped."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from downline.support.inbound import bind_address, controller


class Command(BaseCommand):
    help = "Receive support e-mail over SMTP (DOWNLINE_SUPPORT_SMTP_BIND) and turn it into tickets."

    def add_arguments(self, parser):
        parser.add_argument("--bind", help="host:port (default DOWNLINE_SUPPORT_SMTP_BIND)")

    def handle(self, *args, **options):
        host, port = bind_address()
        if options.get("bind"):
            text = options["bind"]
            host, _colon, port_text = text.rpartition(":")
            port = int(port_text)
        receiver = controller(host, port)
        receiver.start()
        self.stdout.write(f"support inbound SMTP on {host}:{port}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        try:
            stop.wait()
        finally:
            receiver.stop()
