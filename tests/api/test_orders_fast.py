"""Placing orders through the API the fast way: the answer is what was written, the audit row is
written with the order, and a key read once is kept briefly, with revocation honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import override_settings
from django.utils import timezone

from downline.api.actions import do_create_api_key, do_revoke_api_key
from downline.api.models import ApiKey, ApiWrite
from downline.orders.models import Order

from .conftest import Api

JUNE = datetime(2026, 6, 15, 12, tzinfo=UTC)
BODY = {
    "buyer": "C",
    "currency": "eur",
    "lines": [{"sku": "SHAKE-1", "quantity": 2}, {"sku": "SHAKE-1", "quantity": 1}],
}


def test_the_answer_is_the_order_as_stored_and_the_write_is_audited(net, shake, staff_api):
    with time_machine.travel(JUNE, tick=False):
        placed = staff_api.post("/api/v1/orders", BODY, headers={"Idempotency-Key": "o-1"})
        number = placed.json()["number"]
        read = staff_api.get(f"/api/v1/orders/{number}")

    assert placed.status_code == 201, placed.content
    assert placed.json() == read.json()
    assert [line["quantity"] for line in placed.json()["lines"]] == [2, 1]
    audit = ApiWrite.objects.get()
    assert (audit.operation, audit.target, audit.status, audit.method) == (
        "orders.place",
        number,
        201,
        "POST",
    )
    assert audit.path == "/api/v1/orders"
    assert Order.objects.get(number=number).created_by.username == "ops"


def test_a_refused_order_writes_no_audit_row(net, shake, staff_api):
    unknown = staff_api.post("/api/v1/orders", {**BODY, "buyer": "NOBODY"})
    unpriced = staff_api.post("/api/v1/orders", {**BODY, "currency": "USD"})

    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.buyer"
    assert unpriced.status_code == 409  # an order the rules refuse
    assert "USD" in unpriced.json()["detail"]
    assert not ApiWrite.objects.exists()
    assert not Order.objects.exists()


@override_settings(DOWNLINE_API_KEY_CACHE_SECONDS=5)
def test_a_revoked_key_is_refused_within_the_seconds_a_key_is_kept(staff, net, shake):
    issued = do_create_api_key(name="shop", scopes=["orders:write"], created_by=staff)
    api = Api(issued.token)
    with time_machine.travel(JUNE, tick=False) as clock:
        assert api.post("/api/v1/orders", BODY).status_code == 201
        # revoked by another process (the action also empties its own process's cache)
        ApiKey.objects.filter(pk=issued.key.pk).update(revoked_at=timezone.now())
        clock.shift(timedelta(seconds=4))
        kept = api.post("/api/v1/orders", BODY).status_code  # this process still keeps the key
        clock.shift(timedelta(seconds=1.5))
        refused = api.post("/api/v1/orders", BODY).status_code
    assert kept == 201
    assert refused == 401
    assert Order.objects.count() == 2


@override_settings(DOWNLINE_API_KEY_CACHE_SECONDS=0)
def test_without_keeping_keys_a_revocation_applies_to_the_next_request(staff, net, shake):
    issued = do_create_api_key(name="shop", scopes=["orders:write"], created_by=staff)
    api = Api(issued.token)
    with time_machine.travel(JUNE, tick=False):
        assert api.post("/api/v1/orders", BODY).status_code == 201
        do_revoke_api_key(issued.key)
        assert api.post("/api/v1/orders", BODY).status_code == 401


@override_settings(DOWNLINE_API_KEY_CACHE_SECONDS=5)
def test_an_expired_key_is_refused_at_once_even_when_kept(staff, net, shake):
    with time_machine.travel(JUNE, tick=False) as clock:
        issued = do_create_api_key(
            name="shop",
            scopes=["orders:write"],
            created_by=staff,
            expires_at=JUNE + timedelta(seconds=2),
        )
        api = Api(issued.token)
        assert api.post("/api/v1/orders", BODY).status_code == 201
        clock.shift(timedelta(seconds=3))
        assert api.post("/api/v1/orders", BODY).status_code == 401


@override_settings(DOWNLINE_API_KEY_CACHE_SECONDS=600)
def test_a_kept_key_still_records_its_last_use_once_a_minute(staff, net, shake):
    issued = do_create_api_key(name="shop", scopes=["orders:write"], created_by=staff)
    api = Api(issued.token)
    with time_machine.travel(JUNE, tick=False) as clock:
        api.post("/api/v1/orders", BODY)
        clock.shift(timedelta(seconds=30))
        api.post("/api/v1/orders", BODY)
        first = ApiKey.objects.get(pk=issued.key.pk).last_used_at
        clock.shift(timedelta(seconds=40))
        api.post("/api/v1/orders", BODY)
        second = ApiKey.objects.get(pk=issued.key.pk).last_used_at
    assert first == JUNE
    assert second == JUNE + timedelta(seconds=70)
