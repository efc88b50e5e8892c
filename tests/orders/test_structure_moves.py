"""``shift_subtree_volumes``: the live volumes follow a subtree that moves to another parent.

The moves here write the ``Distributor`` row directly, the way a genealogy action does inside
its transaction, and then shift the volumes; the result must equal a recomputation."""

from __future__ import annotations

import random

import pytest
from django.db import transaction

from downline.genealogy.locks import hold_network_exclusive
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product, do_place_order
from downline.orders.models import ProductKind
from downline.orders.selectors import compare_period_volumes, member_period_volumes
from downline.orders.volumes import shift_subtree_volumes
from downline.periods.actions import do_ensure_period
from downline.periods.locks import lock_period_for_writing

from .conftest import at
from .test_concurrency import deep_network, run_in_threads

APRIL = at(2025, 4, 10)
MOVES = 30
ORDERS_PER_THREAD = 40


def move(
    member: Distributor, *, period_ids: list[int], sponsor=None, placed_under=None, position=None
) -> None:
    """Change one parent of ``member`` and shift the volumes, as a move action does: network
    lock, then the periods, then the rows."""
    with transaction.atomic():
        hold_network_exclusive()
        for period_id in period_ids:
            lock_period_for_writing(period_id)
        member = Distributor.objects.get(pk=member.pk)
        if sponsor is not None:
            old = member.sponsor_id
            Distributor.objects.filter(pk=member.pk).update(sponsor=sponsor)
            shift_subtree_volumes(
                period_ids=period_ids,
                member_id=member.pk,
                tree="enrollment",
                old_parent_id=old,
                new_parent_id=sponsor.pk,
            )
        if placed_under is not None:
            old = member.placement_parent_id
            Distributor.objects.filter(pk=member.pk).update(
                placement_parent=placed_under, placement_position=position
            )
            shift_subtree_volumes(
                period_ids=period_ids,
                member_id=member.pk,
                tree="placement",
                old_parent_id=old,
                new_parent_id=placed_under.pk,
            )


def test_moved_subtrees_take_their_volume_along_in_both_trees(tree, shake, kit):
    do_place_order(tree["C"], [(shake, 2)], "EUR", paid_at=APRIL)
    do_place_order(tree["K"], [(kit, 1)], "EUR", paid_at=APRIL)
    do_place_order(tree["B"], [(shake, 1)], "EUR", paid_at=APRIL)
    april = do_ensure_period("2025-04")

    # C (with D and D's customer K) moves from under B to A's right leg.
    move(tree["C"], period_ids=[april.pk], placed_under=tree["A"], position=2)
    assert member_period_volumes(tree["B"], april).placement_group_pv == 1250
    assert member_period_volumes(tree["A"], april).placement_group_pv == 1250 + 2500 + 5000
    assert compare_period_volumes(april) == []

    # D (with K) is now sponsored by A instead of C.
    move(tree["D"], period_ids=[april.pk], sponsor=tree["A"])
    assert member_period_volumes(tree["C"], april).group_pv == 2500
    assert member_period_volumes(tree["A"], april).group_pv == 2500 + 5000
    assert compare_period_volumes(april) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_orders_during_moves_end_on_the_right_uplines(network):
    buyers = deep_network(network)
    product = do_create_product(
        "BAR-3", {"en": "Bar"}, ProductKind.PRODUCT, pv=100, cv=80, prices={"EUR": 100}
    )
    april = do_ensure_period("2025-04")
    # L2-0 heads the third chain; it is placed under L0-0, whose placement parent is ROOT, so
    # either of the two can sponsor it.
    head = network["L2-0"]
    sponsors = [network["ROOT"], network["L0-0"]]

    def work(index: int) -> None:
        if index == 0:
            for step in range(MOVES):
                move(head, period_ids=[april.pk], sponsor=sponsors[step % 2])
            return
        rng = random.Random(index)
        for _ in range(ORDERS_PER_THREAD):
            do_place_order(rng.choice(buyers), [(product, 1)], "EUR", paid_at=APRIL)

    assert run_in_threads(work) == []
    head.refresh_from_db()
    assert head.sponsor == sponsors[(MOVES - 1) % 2]
    assert compare_period_volumes(april) == []
