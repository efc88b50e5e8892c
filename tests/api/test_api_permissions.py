"""Who may call what: every operation needs its scope (403 without it), a read-only key never
writes, and a distributor's personal token sees exactly what their back office shows: 404 for
any other member's data, like the web."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from downline.api.actions import do_create_api_key, do_revoke_api_key
from downline.api.models import ApiKey, ApiWrite
from downline.api.scopes import SCOPES
from downline.genealogy.models import Distributor, StructureEvent
from downline.orders.actions import do_place_order
from downline.periods.models import Period

from .conftest import Api

JUNE = datetime(2026, 6, 15, 12, tzinfo=UTC)

# (method, path, body, scope) of every operation
OPERATIONS = [
    ("get", "/api/v1/members", None, "members:read"),
    ("get", "/api/v1/members/C", None, "members:read"),
    (
        "post",
        "/api/v1/members",
        {"member_id": "N1", "sponsor": "C", "joined_on": "2024-02-01"},
        "members:write",
    ),
    ("post", "/api/v1/members/C/move", {"sponsor": "B", "reason": "asked"}, "members:write"),
    ("get", "/api/v1/products", None, "products:read"),
    ("get", "/api/v1/products/SHAKE-1", None, "products:read"),
    ("get", "/api/v1/orders", None, "orders:read"),
    ("get", "/api/v1/orders/O-1", None, "orders:read"),
    (
        "post",
        "/api/v1/orders",
        {"buyer": "C", "currency": "EUR", "lines": [{"sku": "SHAKE-1", "quantity": 1}]},
        "orders:write",
    ),
    ("post", "/api/v1/orders/O-1/cancel", {"reason": "x"}, "orders:write"),
    ("post", "/api/v1/orders/O-1/returns", {"reason": "x"}, "orders:write"),
    ("get", "/api/v1/periods", None, "periods:read"),
    ("get", "/api/v1/periods/2026-06", None, "periods:read"),
    ("get", "/api/v1/periods/2026-06/runs", None, "runs:read"),
    ("post", "/api/v1/periods/2026-06/runs", {"kind": "preview"}, "runs:write"),
    ("get", "/api/v1/periods/2026-06/jobs/1", None, "runs:read"),
    ("get", "/api/v1/members/C/statements/2026-06", None, "commissions:read"),
    ("get", "/api/v1/members/C/commission-lines?period=2026-06", None, "commissions:read"),
    ("get", "/api/v1/members/C/wallets", None, "wallets:read"),
    ("get", "/api/v1/payouts", None, "wallets:read"),
]
WRITES = [op for op in OPERATIONS if op[0] == "post"]


def call(api: Api, method: str, path: str, body):
    return api.get(path) if method == "get" else api.post(path, body)


@pytest.fixture
def order(net, shake):
    with time_machine.travel(JUNE, tick=False):
        return do_place_order(net["C"], [(shake, 1)], "EUR", number="O-1")


@pytest.mark.parametrize(("method", "path", "body", "scope"), OPERATIONS)
def test_every_operation_needs_its_scope(method, path, body, scope, staff, order):
    others = [name for name in SCOPES if name != scope]
    token = do_create_api_key(name="almost", scopes=others, created_by=staff).token
    response = call(Api(token), method, path, body)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert scope in response.json()["detail"]


@pytest.mark.parametrize(("method", "path", "body", "scope"), WRITES)
def test_a_read_only_key_never_writes(method, path, body, scope, read_api, order):
    before = (Distributor.objects.count(), Period.objects.count(), StructureEvent.objects.count())
    response = call(read_api, method, path, body)
    assert response.status_code == 403
    assert ApiWrite.objects.count() == 0
    after = (Distributor.objects.count(), Period.objects.count(), StructureEvent.objects.count())
    assert after == before


@pytest.mark.parametrize(("method", "path", "body", "scope"), WRITES)
def test_a_personal_token_never_writes(method, path, body, scope, anna_api, order):
    assert call(anna_api, method, path, body).status_code == 403


@pytest.mark.parametrize(("method", "path", "body", "scope"), OPERATIONS)
def test_no_token_is_401(method, path, body, scope, net):
    response = call(Api(None), method, path, body)
    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/members/B",  # beside A, not below
        "/api/v1/members/R",  # above A
        "/api/v1/members/C/statements/2026-06",  # below A, but money is one's own only
        "/api/v1/members/C/commission-lines?period=2026-06",
        "/api/v1/members/B/wallets",
        "/api/v1/orders/B-1",  # an order of B
    ],
)
def test_a_personal_token_gets_404_for_other_members(path, net, shake, anna_api):
    with time_machine.travel(JUNE, tick=False):
        do_place_order(net["B"], [(shake, 1)], "EUR", number="B-1")
    response = anna_api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_personal_token_lists_only_its_downline(net, shake, anna_api):
    with time_machine.travel(JUNE, tick=False):
        do_place_order(net["B"], [(shake, 1)], "EUR", number="B-1")
        do_place_order(net["K"], [(shake, 1)], "EUR", number="K-1")
        do_place_order(net["A"], [(shake, 1)], "EUR", number="A-1")
    members = anna_api.get("/api/v1/members").json()["items"]
    assert sorted(m["member_id"] for m in members) == ["A", "C", "K"]
    assert anna_api.get("/api/v1/members/C").status_code == 200
    orders = anna_api.get("/api/v1/orders").json()["items"]
    # her own and her retail customers' (K is C's customer, so not hers)
    assert [o["number"] for o in orders] == ["A-1"]
    assert anna_api.get("/api/v1/members/A/wallets").status_code == 200


def test_a_revoked_or_expired_key_is_401_and_use_is_recorded(staff, net):
    issued = do_create_api_key(
        name="temp",
        scopes=["members:read"],
        created_by=staff,
        expires_at=timezone.now() + timedelta(days=1),
    )
    api = Api(issued.token)
    assert api.get("/api/v1/members").status_code == 200
    key = ApiKey.objects.get(pk=issued.key.pk)
    assert key.last_used_at is not None
    assert key.hashed != issued.token
    assert issued.token not in str(key.__dict__)
    assert issued.token.startswith(key.prefix)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert api.get("/api/v1/members").status_code == 401
    do_revoke_api_key(key)
    assert api.get("/api/v1/members").status_code == 401


@override_settings(DOWNLINE_API_RATE_LIMIT=3, DOWNLINE_API_RATE_WINDOW=60)
def test_the_rate_limit_is_per_key(staff, net):
    first = Api(do_create_api_key(name="a", scopes=["members:read"], created_by=staff).token)
    second = Api(do_create_api_key(name="b", scopes=["members:read"], created_by=staff).token)
    with time_machine.travel(datetime(2026, 6, 15, 12, 0, 5, tzinfo=UTC), tick=False):
        answers = [first.get("/api/v1/members").status_code for _ in range(4)]
        refused = first.get("/api/v1/members")
        assert second.get("/api/v1/members").status_code == 200
    assert answers == [200, 200, 200, 429]
    assert refused.json()["status"] == 429
    assert refused["Retry-After"] == "55"
