"""Making and revoking keys: the console page (admin role only), the back office page of
personal tokens, and the management command. A token is shown once and stored hashed."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from downline.accounts.staff import ADMIN, FINANCE
from downline.api.actions import hash_token
from downline.api.models import ApiKey

from .conftest import Api, verified_staff


def _token(html: str) -> str:
    return re.search(r'<code id="token">([^<]+)</code>', html).group(1)


def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(client, team):
    verified_staff(client, "boss", ADMIN)
    response = client.post(
        "/console/api-keys/", {"name": "Online shop", "scopes": ["orders:write", "orders:read"]}
    )
    assert response.status_code == 200
    token = _token(response.content.decode())
    key = ApiKey.objects.get()
    assert key.hashed == hash_token(token)
    assert key.scopes == ["orders:read", "orders:write"]
    assert key.created_by.username == "boss"
    assert response["Cache-Control"] == "no-store"
    listing = client.get("/console/api-keys/").content.decode()
    assert token not in listing
    assert f"{key.prefix}…" in listing

    assert Api(token).get("/api/v1/orders").status_code == 200
    client.post(f"/console/api-keys/{key.pk}/revoke/")
    assert Api(token).get("/api/v1/orders").status_code == 401


def test_a_key_needs_a_scope(client, team):
    verified_staff(client, "boss", ADMIN)
    response = client.post("/console/api-keys/", {"name": "Nothing"})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_finance_staff_cannot_make_keys(client, team):
    verified_staff(client, "counter", FINANCE)
    assert client.get("/console/api-keys/").status_code == 403
    response = client.post("/console/api-keys/", {"name": "x", "scopes": ["orders:read"]})
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_a_distributor_makes_a_personal_token_in_the_back_office(client, team):
    client.force_login(team.alice_user)
    response = client.post("/accounts/api-tokens/", {"name": "my sheet"})
    token = _token(response.content.decode())
    key = ApiKey.objects.get()
    assert (key.kind, key.member) == (ApiKey.Kind.PERSONAL, team.alice)
    api = Api(token)
    assert api.get("/api/v1/members/BOB").status_code == 200
    assert api.get("/api/v1/members/DAVE").status_code == 404
    # someone else cannot revoke it
    client.force_login(team.dave_user)
    assert client.post(f"/accounts/api-tokens/{key.pk}/revoke/").status_code == 404
    client.force_login(team.alice_user)
    client.post(f"/accounts/api-tokens/{key.pk}/revoke/")
    assert api.get("/api/v1/members/BOB").status_code == 401


def test_the_command_makes_lists_and_revokes_keys(team):
    out = StringIO()
    call_command(
        "api_key",
        "create",
        "--name",
        "erp",
        "--scope",
        "members:read",
        "--by",
        "staff",
        stdout=out,
    )
    token = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert key.hashed == hash_token(token)
    assert key.created_by == team.staff_user
    listing = StringIO()
    call_command("api_key", "list", stdout=listing)
    assert key.prefix in listing.getvalue()
    assert token not in listing.getvalue()
    call_command("api_key", "revoke", key.prefix, stdout=StringIO())
    assert Api(token).get("/api/v1/members").status_code == 401
    with pytest.raises(CommandError, match="--expires"):
        call_command(
            "api_key",
            "create",
            "--name",
            "x",
            "--scope",
            "members:read",
            "--expires",
            "2030-01-01T00:00",
        )
