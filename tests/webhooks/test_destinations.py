"""Webhooks never reach into the company's own network unless the company allows it (SSRF)."""

from __future__ import annotations

import socket

import pytest
import time_machine

from downline.core import outbound as destinations
from downline.core.events import ORDER_PAID
from downline.webhooks.actions import do_create_subscription
from downline.webhooks.delivery import post
from downline.webhooks.models import Delivery

from .conftest import at, settled_run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # this machine (Redis, PostgreSQL)
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # a cloud's metadata service
        "100.64.0.1",  # shared address space (CGNAT)
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",  # IPv4 in IPv6 clothing
    ],
)
def test_non_public_addresses_are_refused(settings, address):
    settings.WEBHOOK_PRIVATE_DESTINATIONS = False
    with pytest.raises(destinations.DestinationRefused, match="not a public internet address"):
        destinations.checked_addresses(address, 443)


def test_a_public_address_passes(settings):
    settings.WEBHOOK_PRIVATE_DESTINATIONS = False
    [(family, *_rest)] = destinations.checked_addresses("93.184.215.14", 443)
    assert family == socket.AF_INET


def test_a_host_name_is_refused_when_any_of_its_addresses_is_private(settings, monkeypatch):
    settings.WEBHOOK_PRIVATE_DESTINATIONS = False
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 443)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(destinations.DestinationRefused, match=r"10\.0\.0\.7"):
        destinations.checked_addresses("hooks.example.com", 443)


def test_the_receiver_on_this_machine_gets_nothing_and_the_log_says_why(settings, world, receiver):
    settings.WEBHOOK_PRIVATE_DESTINATIONS = False
    do_create_subscription(url=receiver.url, kinds=[ORDER_PAID], description="intranet")
    with time_machine.travel(at(2026, 9, 10, 13), tick=False):
        world.order("B", 1, at(2026, 9, 10))
        assert settled_run() == {"events": 1, "attempts": 1}
    assert receiver.received == []
    attempt = Delivery.objects.get().log.get()
    assert attempt.status_code is None
    assert "127.0.0.1" in attempt.error
    assert "not a public internet address" in attempt.error


def test_with_private_destinations_allowed_the_same_receiver_is_reached(settings, receiver):
    settings.WEBHOOK_PRIVATE_DESTINATIONS = True
    answer = post(receiver.url, b"{}", {})
    assert answer.status_code == 200
    assert len(receiver.received) == 1
