"""Fixtures of the contacts tests: a sponsor (ROSA), her recruit (EMMA) and EMMA's recruit
(BEN), each with a login; a staff login of every role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.accounts.actions import do_create_user
from downline.genealogy.actions import do_enroll

PASSWORD = "a-long-secret-phrase"
JOINED = date(2026, 1, 5)
AT = datetime(2026, 1, 5, 12, tzinfo=UTC)


@dataclass
class People:
    rosa: object
    emma: object
    ben: object
    rosa_user: object
    emma_user: object
    ben_user: object


@pytest.fixture
def people(db) -> People:
    users = {
        name: do_create_user(name, password=PASSWORD, email=f"{name}@example.com")
        for name in ("rosa", "emma", "ben")
    }
    rosa = do_enroll(
        member_id="ROSA",
        sponsor=None,
        joined_on=JOINED,
        effective_at=AT,
        name="Rosa Root",
        user=users["rosa"],
    )
    emma = do_enroll(
        member_id="EMMA",
        sponsor=rosa,
        joined_on=JOINED,
        effective_at=AT,
        name="Emma Stone",
        user=users["emma"],
    )
    ben = do_enroll(
        member_id="BEN",
        sponsor=emma,
        joined_on=JOINED,
        effective_at=AT,
        name="Ben Bright",
        user=users["ben"],
    )
    return People(rosa, emma, ben, users["rosa"], users["emma"], users["ben"])


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_client(username: str, *roles: str, superuser: bool = False) -> Client:
    client = Client()
    user = do_create_user(username, password=PASSWORD, email=f"{username}@example.com", staff=True)
    if superuser:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    token = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    assert client.post("/accounts/two-factor/", {"code": f"{token:06d}"}).status_code == 302
    return client
