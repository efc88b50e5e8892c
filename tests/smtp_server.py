"""A real SMTP server on 127.0.0.1 for tests (DESIGN.md rule 8): aiosmtpd on a free port,
keeping every message it receives.

``smtp_server`` (a fixture in ``tests/conftest.py``) starts one and points Django's default
mailer at it, so ``send_mail`` and every ``EmailMessage`` really travel over SMTP.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalSMTP:
    """An SMTP server on 127.0.0.1; ``messages`` holds what it received, oldest first."""

    def __init__(self) -> None:
        self._keep = _Keep()
        self.port = _free_port()
        self._controller = Controller(self._keep, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._keep.lock:
            return list(self._keep.messages)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope named ``address`` as a recipient."""
        with self._keep.lock:
            return [
                message
                for message, (_sender, rcpts) in zip(
                    self._keep.messages, self._keep.envelopes, strict=True
                )
                if address in rcpts
            ]

    def clear(self) -> None:
        with self._keep.lock:
            self._keep.messages.clear()
            self._keep.envelopes.clear()

    def start(self) -> LocalSMTP:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def body_text(message: EmailMessage) -> str:
    """The plain-text part of ``message``."""
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""
