"""A hand-built company for the assistant's tests, written through the actions.

Plan ``plans/unilevel.yaml`` (active: PV ≥ 50; unilevel 10/5/4/3/2 % of CV with dynamic
compression, depth by rank Member 1 … Gold 5). Enrollment line::

    ANNA ── BEN ── CLARA ── DAN ── EVA

One product: 10 PV, 10 CV, 10.00 EUR. The clock stands at 15 November 2026 (ticking).

* 2026-10 (final run): ANNA buys 10 (PV 100), BEN 6 (PV 60), CLARA 6 (PV 60), DAN 3 (PV 30:
  not active), EVA 10 (PV 100, order ``eva_order``). EVA's order passes DAN (inactive, skipped)
  and pays CLARA 10 % (10.00 EUR) as level 1; DAN's unilevel lines went past him.
* 2026-11 (open, projected): DAN buys 2 (PV 20); a projection runs.

DAN signs in as ``dan``, EVA as ``eva``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine

from downline.accounts.actions import do_create_user

PLAN = Path(__file__).resolve().parents[2] / "plans" / "unilevel.yaml"
PASSWORD = "a-long-secret-phrase"
NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, tzinfo=UTC)


@dataclass
class Company:
    anna: object
    ben: object
    clara: object
    dan: object
    eva: object
    dan_user: object
    eva_user: object
    eva_order: object
    october: object
    projection: object


@pytest.fixture(autouse=True)
def _clock_and_placement(settings):
    settings.DOWNLINE_PLACEMENT = "unilevel"
    # BM25 alone unless a test asks for the embedding model (``embeddings``): embedding the
    # passages takes seconds on a busy machine
    settings.DOWNLINE_ASSISTANT_EMBEDDINGS = False
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def company(db) -> Company:
    from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
    from downline.compensation.runs import do_run_final, do_run_projection
    from downline.genealogy.actions import do_enroll
    from downline.orders.actions import do_create_product, do_place_order
    from downline.periods.actions import do_ensure_period

    dan_user = do_create_user("dan", password=PASSWORD, email="dan@example.com")
    eva_user = do_create_user("eva", password=PASSWORD, email="eva@example.com")
    joined = date(2026, 1, 5)
    people = {}
    sponsor = None
    for member_id, name, user in (
        ("ANNA", "Anna Adler", None),
        ("BEN", "Ben Brandt", None),
        ("CLARA", "Clara Chen", None),
        ("DAN", "Dan Dorn", dan_user),
        ("EVA", "Eva Engel", eva_user),
    ):
        sponsor = people[member_id] = do_enroll(
            member_id=member_id,
            sponsor=sponsor,
            joined_on=joined,
            effective_at=at(2026, 1, 5),
            name=name,
            user=user,
        )
    product = do_create_product("TEA-1", {"en": "Tea"}, pv=1000, cv=1000, prices={"EUR": 1000})
    version = do_create_plan_version(PLAN.read_text(encoding="utf-8"), note="assistant tests")
    do_activate_plan_version(version, do_ensure_period("2026-10"))
    orders = {}
    for member_id, quantity in (("ANNA", 10), ("BEN", 6), ("CLARA", 6), ("DAN", 3), ("EVA", 10)):
        orders[member_id] = do_place_order(
            people[member_id], [(product, quantity)], "EUR", paid_at=at(2026, 10, 5)
        )
    october = do_run_final(do_ensure_period("2026-10"))
    do_place_order(people["DAN"], [(product, 2)], "EUR", paid_at=at(2026, 11, 5))
    projection = do_run_projection(do_ensure_period("2026-11"))
    return Company(
        anna=people["ANNA"],
        ben=people["BEN"],
        clara=people["CLARA"],
        dan=people["DAN"],
        eva=people["EVA"],
        dan_user=dan_user,
        eva_user=eva_user,
        eva_order=orders["EVA"],
        october=october,
        projection=projection,
    )


@pytest.fixture
def dan_client(client, company):
    client.force_login(company.dan_user)
    return client


@pytest.fixture
def embeddings(settings):
    """The bundled embedding model on (hybrid retrieval, as in production)."""
    settings.DOWNLINE_ASSISTANT_EMBEDDINGS = True


def verified_staff(client, username: str, *roles: str):
    """A staff login holding ``roles``, signed in on ``client`` with a confirmed one-time code
    (as tests/team_network.py does it)."""
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
