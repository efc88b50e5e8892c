"""Fixtures for the API tests: a small network, a catalogue, a staff login, and an API client
that sends a bearer token.

enrollment: R ─ A ─ C ─ (customer K)      placement: R ─1─ A ─1─ C
              └ B                                     └2─ B
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from downline.api.actions import do_create_api_key, do_create_personal_token
from downline.api.scopes import SCOPES
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product
from downline.orders.models import Product, ProductKind
from team_network import (  # noqa: F401  (fixtures of the web tests: a team with logins, settled periods)
    _clean_cache_and_binary,
    settled,
    team,
    verified_staff,
)

ENROLLED_AT = datetime(2024, 1, 1, 12, tzinfo=UTC)


class Api:
    """A test client that authenticates with ``token`` and speaks JSON."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any):
        return self.client.get(path, params, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self.client.post(
            path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self._headers(headers),
        )


def add(
    member_id: str,
    sponsor: Distributor | None,
    parent: Distributor | None,
    position=None,
    kind: str = Distributor.Kind.DISTRIBUTOR,
) -> Distributor:
    """Enroll through the network action, so the downline counts stay right."""
    return do_enroll(
        member_id=member_id,
        name=f"Member {member_id}",
        kind=kind,
        sponsor=sponsor,
        placement_parent=parent,
        position=position,
        joined_on=date(2024, 1, 1),
        effective_at=ENROLLED_AT,
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the shared cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def net(db, settings) -> dict[str, Distributor]:
    settings.DOWNLINE_PLACEMENT = "binary"
    r = add("R", None, None)
    a = add("A", r, r, 1)
    b = add("B", r, r, 2)
    c = add("C", a, a, 1)
    k = add("K", c, None, kind=Distributor.Kind.CUSTOMER)
    user = get_user_model().objects.create_user("anna", password="x")
    Distributor.objects.filter(pk=a.pk).update(user=user)
    return {
        m.member_id: m for m in Distributor.objects.filter(pk__in=[r.pk, a.pk, b.pk, c.pk, k.pk])
    }


@pytest.fixture
def shake(db) -> Product:
    """12.50 PV, 10.00 CV, EUR 49.90."""
    return do_create_product(
        "SHAKE-1",
        {"en": "Protein shake"},
        ProductKind.PRODUCT,
        pv=1250,
        cv=1000,
        prices={"EUR": 4990},
    )


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("ops", password="x", is_staff=True)


@pytest.fixture
def staff_token(staff) -> str:
    """An integration key with every scope."""
    return do_create_api_key(name="shop", scopes=list(SCOPES), created_by=staff).token


@pytest.fixture
def read_token(staff) -> str:
    """An integration key with every read scope and no write scope."""
    reads = [scope for scope in SCOPES if scope.endswith(":read")]
    return do_create_api_key(name="reporting", scopes=reads, created_by=staff).token


@pytest.fixture
def anna_token(net) -> str:
    """The personal token of A (downline: C and the customer K; B is beside her)."""
    return do_create_personal_token(net["A"], name="my scripts").token


@pytest.fixture
def staff_api(staff_token) -> Api:
    return Api(staff_token)


@pytest.fixture
def read_api(read_token) -> Api:
    return Api(read_token)


@pytest.fixture
def anna_api(anna_token) -> Api:
    return Api(anna_token)
