"""Close to the next rank, per condition and per leg, from the projection's stored traces.

A hand-built team under SAM (conftest's network, day 15 October 2026; joined on 13 October) and a plan whose Gold
needs 20 PV, a counted volume of 100 with each leg counting at most 40, and 2 legs holding
Silver (Silver: 20 PV)::

    SAM ── LEAD   25 PV (Silver)         counted volume 25 + 15 + 40 = 80 of 100 (80 %)
             ├─ ANNA   15 PV (Member)    leg volume 15, below the cap of 40
             └─ BEN    50 PV (Silver)    leg volume 50, counts 40 (at the cap)

LEAD is close to Gold: 20 of the counted volume missing, ANNA's leg can give 25 more, and only
1 of the 2 legs holds Silver.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from downline.genealogy.actions import do_enroll
from downline.growth import radar
from downline.growth.actions import do_build_radar
from downline.growth.models import RadarItem
from downline.growth.selectors import radar_of

from .conftest import TODAY, at

PLAN = """\
name: Radar legs plan (EUR)
currency: EUR
network: {placement: binary}
volumes:
  include_customers: true
  group_tree: enrollment
activity: {pv_at_least: 20}
ranks:
  - name: Member
  - name: Silver
    pv: 20
  - name: Gold
    pv: 20
    qualifying_volume: {at_least: 100, max_per_leg: 40}
    legs: {count: 2, rank: Silver}
bonuses:
  - name: unilevel
    kind: unilevel
    tree: enrollment
    volume: cv
    per: order
    levels: [10%]
    compression: false
"""


def _enroll(member_id: str, sponsor, name: str):
    return do_enroll(
        member_id=member_id,
        sponsor=sponsor,
        joined_on=date(2026, 10, 13),
        effective_at=at(2026, 10, 13),
        name=name,
    )


@pytest.fixture
def team(net):
    from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
    from downline.compensation.runs import do_run_projection
    from downline.orders.actions import do_create_product, do_place_order
    from downline.periods.actions import do_ensure_period

    version = do_create_plan_version(PLAN, note="radar legs")
    do_activate_plan_version(version, do_ensure_period("2026-10"))
    small = do_create_product("TEA-S", {"en": "Tea sample"}, pv=1500, cv=1000, prices={"EUR": 990})
    lead = _enroll("LEAD", net.sam, "Lena Lead")
    anna = _enroll("ANNA", lead, "Anna Able")
    ben = _enroll("BEN", lead, "Ben Brook")
    do_place_order(lead, [(net.product, 1)], "EUR", paid_at=at(2026, 10, 13, 14))
    do_place_order(anna, [(small, 1)], "EUR", paid_at=at(2026, 10, 13, 15))
    do_place_order(ben, [(net.product, 2)], "EUR", paid_at=at(2026, 10, 13, 16))
    run = do_run_projection(do_ensure_period("2026-10"))
    return net, lead, anna, ben, run


def _close_items(sponsor):
    return {
        i.member_id: i.params
        for i in RadarItem.objects.filter(
            sponsor_id=sponsor.pk, day=TODAY, reason=radar.CLOSE_TO_RANK
        )
    }


@pytest.mark.django_db
def test_each_missing_condition_and_the_legs_below_the_cap(team):
    net, lead, _anna, _ben, _run = team
    do_build_radar(TODAY)
    close = _close_items(net.sam)
    assert set(close) == {lead.pk}  # ANNA (15 of Silver's 20 PV) and BEN (50 of 100) are not
    item = close[lead.pk]
    assert item["rank"] == "Gold"
    assert item["missing"] == {"qualifying_volume": 2000}
    assert item["conditions"] == [
        {
            "name": "qualifying_volume",
            "required": 10000,
            "actual": 8000,
            "cap": 4000,
            # BEN's leg already counts its 40; ANNA's can give 25 more
            "legs": [{"member": "ANNA", "gv": 1500}],
        },
        {"name": "legs", "required": 2, "actual": 1, "leg_rank": "Silver"},
    ]
    # LEAD's own radar: ANNA and BEN are their first level, neither is close
    assert _close_items(lead) == {}


@pytest.mark.django_db
def test_the_sentence_names_the_leg_in_the_readers_language(team):
    net, lead, *_rest = team
    do_build_radar(TODAY)
    with translation.override("en"):
        _day, rows = radar_of(net.sam)
        (row,) = [r for r in rows if r.item.reason == radar.CLOSE_TO_RANK]
        assert row.member.pk == lead.pk
        assert row.text == (
            "Counted volume 80.00 of the 100.00 needed for Gold; "
            "leg of Anna Able: 15.00 of the 40.00 one leg can count; "
            "1 of the 2 legs holding Silver or higher needed for Gold."
        )
    with translation.override("de"):
        _day, rows = radar_of(net.sam)
        (row,) = [r for r in rows if r.item.reason == radar.CLOSE_TO_RANK]
        # the same numbers, the engine's German sentences
        assert "Anna Able" in row.text
        assert "1 von den für Gold benötigten 2 Beinen" in row.text


@pytest.mark.django_db
def test_when_both_legs_hold_silver_only_the_volume_is_missing(team):
    """ANNA buys 15 PV more: she holds Silver and her leg has 30 (still below the cap); the
    counted volume is 25 + 30 + 40 = 95 of 100 and both legs hold Silver: only the volume is
    missing."""
    from downline.compensation.runs import do_run_projection
    from downline.orders.actions import do_place_order
    from downline.orders.models import Product
    from downline.periods.actions import do_ensure_period

    net, lead, anna, _ben, _run = team
    small = Product.objects.get(sku="TEA-S")
    do_place_order(anna, [(small, 1)], "EUR", paid_at=at(2026, 10, 14))
    do_run_projection(do_ensure_period("2026-10"))
    do_build_radar(TODAY)
    item = _close_items(net.sam)[lead.pk]
    assert item["conditions"] == [
        {
            "name": "qualifying_volume",
            "required": 10000,
            "actual": 9500,
            "cap": 4000,
            "legs": [{"member": "ANNA", "gv": 3000}],
        },
    ]


@pytest.mark.django_db
def test_a_projection_without_stored_traces_gives_the_volumes_only(team):
    from downline.compensation.models import RunTrace

    net, lead, _anna, _ben, run = team
    RunTrace.objects.filter(run=run).delete()
    do_build_radar(TODAY)
    item = _close_items(net.sam)[lead.pk]
    assert item["missing"] == {"qualifying_volume": 2000}
    assert "conditions" not in item
    with translation.override("en"):
        _day, rows = radar_of(net.sam)
        (row,) = [r for r in rows if r.item.reason == radar.CLOSE_TO_RANK]
        assert row.text == "Close to Gold: 20.00 counted volume missing."


@pytest.mark.django_db
def test_the_radar_reads_the_plan_versions_once_however_many_items_name_ranks(team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    net, _lead, anna, ben, _run = team
    do_build_radar(TODAY)
    (item,) = RadarItem.objects.filter(sponsor_id=net.sam.pk, day=TODAY, reason=radar.CLOSE_TO_RANK)

    def queries() -> tuple[int, int]:
        with translation.override("en"), CaptureQueriesContext(connection) as captured:
            _day, rows = radar_of(net.sam)
        return len(captured), sum(1 for r in rows if "needed for Gold" in r.text)

    before, ranked = queries()
    for member in (anna, ben):  # two more items naming ranks, of the same plan version
        RadarItem.objects.create(
            sponsor_id=net.sam.pk,
            member_id=member.pk,
            day=TODAY,
            reason=radar.CLOSE_TO_RANK,
            params=item.params,
        )
    after, ranked_after = queries()
    assert (ranked, ranked_after) == (1, 3)
    assert after == before
