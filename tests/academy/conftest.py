"""A small network with logins and the fixture course (fixtures/courses), imported and published.

Enrollment tree::

    ROOT ─┬─ ALICE ─── BOB ─── CAROL
          └─ DAVE

ALICE signs in as ``alice``, DAVE as ``dave``. The clock stands at 2026-03-02 12:00 UTC
(ticking); everyone joined on 2026-02-20.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache

from downline.academy.folder import import_folder
from downline.academy.models import Course, Lesson
from downline.accounts.actions import do_create_user
from downline.accounts.models import User
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor

FIXTURES = Path(__file__).with_name("fixtures") / "courses"
JOINED = date(2026, 2, 20)
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
PASSWORD = "a-long-secret-phrase"


@dataclass
class Net:
    root: Distributor
    alice: Distributor
    bob: Distributor
    carol: Distributor
    dave: Distributor
    alice_user: User
    dave_user: User


@pytest.fixture(autouse=True)
def _clock_and_settings(request, settings, tmp_path):
    """The clock at ``NOW`` (ticking), except for tests marked ``real_clock`` (the browser
    tests: Chromium keeps the machine's time, a session cookie from a frozen past expires)."""
    settings.DOWNLINE_PLACEMENT = "binary"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    if request.node.get_closest_marker("real_clock") is not None:
        yield
    else:
        with time_machine.travel(NOW, tick=True):
            yield
    cache.clear()


@pytest.fixture
def net(db) -> Net:
    alice_user = do_create_user("alice", password=PASSWORD, email="alice@example.com")
    dave_user = do_create_user("dave", password=PASSWORD, email="dave@example.com")
    at = datetime(2026, 2, 20, 12, tzinfo=UTC)
    root = do_enroll(member_id="ROOT", sponsor=None, joined_on=JOINED, effective_at=at, name="Rosa")
    alice = do_enroll(
        member_id="ALICE", sponsor=root, joined_on=JOINED, effective_at=at, name="Alice Adams",
        user=alice_user, placement_parent=root, position=1,
    )  # fmt: skip
    dave = do_enroll(
        member_id="DAVE", sponsor=root, joined_on=JOINED, effective_at=at, name="Dave Dodd",
        user=dave_user, placement_parent=root, position=2,
    )  # fmt: skip
    bob = do_enroll(member_id="BOB", sponsor=alice, joined_on=JOINED, effective_at=at, name="Bob")
    carol = do_enroll(
        member_id="CAROL", sponsor=bob, joined_on=JOINED, effective_at=at, name="Carol"
    )
    return Net(
        root, Distributor.objects.get(pk=alice.pk), bob, carol, Distributor.objects.get(pk=dave.pk),
        alice_user, dave_user,
    )  # fmt: skip


@pytest.fixture
def course(db) -> Course:
    import_folder(FIXTURES, publish=True)
    return Course.objects.get(slug="compliance-basics")


def lesson(key: str) -> Lesson:
    return Lesson.objects.select_related("course").get(key=key)


@pytest.fixture
def alice_client(client, net):
    client.force_login(net.alice_user)
    return client


def verified_staff(client, username: str, *roles: str) -> User:
    """A staff login holding ``roles``, signed in on ``client`` with a confirmed one-time code."""
    from django.contrib.auth.models import Group
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = do_create_user(username, password=PASSWORD, email=f"{username}@example.com", staff=True)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    token = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    response = client.post("/accounts/two-factor/", {"code": f"{token:06d}"})
    assert response.status_code == 302, response.content[:500]
    return user
