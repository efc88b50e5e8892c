"""Fixtures of the webhook tests: a real HTTP receiver on 127.0.0.1 that answers with the codes
it is told to, a small network with the commission-test plan, and staff logins.

The network (enrollment = placement)::

    R ─ A ─ B
        └ C
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product, do_place_order
from downline.orders.models import Order, ProductKind
from downline.periods.actions import do_ensure_period

PLAN = Path(__file__).parent.parent / "compensation" / "plan.yaml"


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An endpoint on 127.0.0.1: answers each request with the next code of ``codes`` (200
    once they run out) and keeps every request in ``received``."""

    url: str = ""
    codes: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def answer(self) -> int:
        return self.codes.pop(0) if self.codes else 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            with lock:
                state.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                code = state.answer()
            text = b'{"ok":true}' if code < 300 else b"receiver is down"
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class World:
    """Members written as rows, orders through ``do_place_order``."""

    def __init__(self) -> None:
        self.members: dict[str, Distributor] = {}
        self.shake = do_create_product(
            "SHAKE-1",
            {"en": "Protein shake"},
            ProductKind.PRODUCT,
            pv=1250,
            cv=1000,
            prices={"EUR": 4990},
        )

    def add(self, member_id: str, sponsor: str | None = None, position: int = 1) -> Distributor:
        parent = self.members[sponsor] if sponsor else None
        member = Distributor.objects.create(
            member_id=member_id,
            name=f"Member {member_id}",
            sponsor=parent,
            placement_parent=parent,
            placement_position=position if parent else None,
            joined_on=date(2026, 1, 1),
        )
        self.members[member_id] = member
        return member

    def __getitem__(self, member_id: str) -> Distributor:
        return self.members[member_id]

    def order(self, member_id: str, quantity: int, when: datetime) -> Order:
        return do_place_order(self[member_id], [(self.shake, quantity)], "EUR", paid_at=when)


@pytest.fixture
def world(db) -> World:
    world = World()
    world.add("R")
    world.add("A", "R", 1)
    world.add("B", "A", 1)
    world.add("C", "A", 2)
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="tests")
    do_activate_plan_version(version, do_ensure_period("2026-09"))
    return world


def signed_in_staff(client, username: str, *roles: str):
    """A staff login holding ``roles`` (groups made if a flushed database lost them), signed
    in on ``client`` with a confirmed one-time code."""
    from django.contrib.auth.models import Group
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from downline.accounts.actions import do_create_user

    user = do_create_user(
        username, password="a long pass phrase 42", email=f"{username}@example.com", staff=True
    )
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    token = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    response = client.post("/accounts/two-factor/", {"code": f"{token:06d}"})
    assert response.status_code == 302, response.content[:500]
    return user


def settle(timeout: float = 60.0) -> None:
    """Wait until every committed event is readable by consumers. On PostgreSQL they are read
    only once no older writing transaction of the same database is running, so a consumer may
    have to wait a moment; on SQLite this returns at once."""
    import time

    from downline.core.events import visible
    from downline.core.models import Event

    deadline = time.monotonic() + timeout
    while visible().count() != Event.objects.count():
        if time.monotonic() > deadline:
            raise AssertionError("events stayed invisible: a transaction is held open")
        time.sleep(0.1)


def settled_run() -> dict[str, int]:
    """``webhooks.delivery.run`` once every event written so far can be read."""
    from downline.webhooks.delivery import run

    settle()
    return run()
