"""Sponsor and placement moves, status changes, upgrades and reversals."""

from __future__ import annotations

import pytest

from downline.genealogy.actions import (
    do_change_placement,
    do_change_sponsor,
    do_change_status,
    do_move,
    do_recount_network,
    do_reverse_event,
    do_upgrade_customer,
)
from downline.genealogy.errors import NetworkIntegrityError
from downline.genealogy.models import StructureEvent

from .conftest import messages_of


@pytest.fixture
def tree(net):
    """R: A (L) with A1 (L) and A2 (R), all sponsored down the line; B (R); C a customer of A.

    A1 sponsors A11, placed under A1 (L).
    """
    net.enroll("R")
    net.enroll("A", "R")
    net.enroll("B", "R")
    net.enroll("A1", "A")
    net.enroll("A2", "A")
    net.enroll("A11", "A1")
    net.enroll("C", "A", kind="customer")
    return net


def refused(action, *args, **options) -> str:
    with pytest.raises(NetworkIntegrityError) as caught:
        action(*args, **options)
    return messages_of(caught.value)


# --------------------------------------------------------------------------- sponsor


def test_sponsor_change_moves_the_enrollment_subtree_and_its_counts(tree):
    assert tree.counts("A") == (3, 3)
    do_change_sponsor("A1", "R", reason="sponsor left the business", effective_at=tree.tick())
    assert tree["A1"].sponsor.member_id == "R"
    assert tree["A11"].sponsor.member_id == "A1"
    assert tree.counts("A") == (1, 3)  # placement is unchanged
    assert tree.counts("R") == (5, 5)
    assert do_recount_network() == 0


def test_sponsor_change_refuses_cycles(tree):
    assert refused(do_change_sponsor, "A", "A11", reason="x") == (
        "A11 is in the enrollment downline of A; A cannot be moved under their own downline."
    )
    assert refused(do_change_sponsor, "A", "A", reason="x") == "A cannot be their own sponsor."


def test_sponsor_change_needs_the_placement_inside_the_new_sponsors_subtree(tree):
    assert refused(do_change_sponsor, "A1", "B", reason="x") == (
        "A1 is placed under A, which is not in the placement subtree of the new sponsor B. "
        "Move the placement too: use a move that changes the sponsor and the placement "
        "together. The nearest free slot is the left slot under B."
    )


def test_sponsor_change_refusals_name_the_reason(tree):
    assert refused(do_change_sponsor, "R", "A", reason="x") == (
        "R is the root of the network and has no sponsor to change."
    )
    assert refused(do_change_sponsor, "A", "R", reason="x") == "R is already the sponsor of A."
    assert refused(do_change_sponsor, "A1", "C", reason="x") == (
        "C is a retail customer and cannot sponsor A1; only distributors sponsor members."
    )
    assert refused(do_change_sponsor, "A1", "R", reason="  ") == (
        "A reason is required to change the network position or status of A1."
    )
    do_change_status("B", "terminated", reason="left", effective_at=tree.tick())
    assert refused(do_change_sponsor, "C", "B", reason="x") == (
        "B is terminated and cannot sponsor C."
    )


def test_a_customer_changes_sponsor_without_touching_counts(tree):
    event = do_change_sponsor("C", "B", reason="moved town", effective_at=tree.tick())
    assert event.kind == StructureEvent.Kind.SPONSOR_CHANGED
    assert tree["C"].sponsor.member_id == "B"
    assert tree.counts("A") == (3, 3)
    assert tree.counts("B") == (0, 0)


# --------------------------------------------------------------------------- placement


def test_placement_change_moves_the_placement_subtree_and_its_counts(tree):
    do_change_placement("A1", "A2", position=2, reason="balance legs", effective_at=tree.tick())
    assert tree.slot("A1") == ("A2", 2)
    assert tree.slot("A11") == ("A1", 1)
    assert tree.counts("A2") == (0, 2)
    assert tree.counts("A") == (3, 3)
    assert tree.counts("R") == (5, 5)
    assert do_recount_network() == 0


def test_placement_change_within_the_same_parent(tree):
    do_change_placement("A11", "A1", position=2, reason="right leg", effective_at=tree.tick())
    assert tree.slot("A11") == ("A1", 2)


def test_placement_change_by_mode_below_the_new_parent(tree):
    # A is full; breadth-first below A the first free slot is A1's right slot.
    do_change_placement(
        "A11", "A", placement_mode="spillover", reason="x", effective_at=tree.tick()
    )
    assert tree.slot("A11") == ("A1", 2)
    do_change_placement(
        "A11", "A1", placement_mode="extreme_left", reason="y", effective_at=tree.tick()
    )
    assert tree.slot("A11") == ("A1", 1)
    assert refused(do_change_placement, "A11", "R", placement_mode="extreme_right", reason="z") == (
        "B is not in the placement subtree of A1, the sponsor of A11; a member is placed "
        "under their sponsor or below them. The nearest free slot is the right slot under A1."
    )


def test_placement_change_refuses_cycles_full_slots_and_outside_parents(tree):
    assert refused(do_change_placement, "A", "A11", position=2, reason="x") == (
        "A11 is in the placement subtree of A; A cannot be placed under their own subtree."
    )
    assert refused(do_change_placement, "A1", "R", reason="x") == (
        "Every slot under R is taken; A1 cannot be placed there. The nearest free slot is "
        "the left slot under A2, on level 2 below A."
    )
    assert refused(do_change_placement, "A1", "R", position=2, reason="x") == (
        "Slot R under R is already taken by B; A1 cannot be placed there. The nearest free "
        "slot is the left slot under A2, on level 2 below A."
    )
    assert refused(do_change_placement, "A2", "B", position=1, reason="x") == (
        "B is not in the placement subtree of A, the sponsor of A2; a member is placed under "
        "their sponsor or below them. The nearest free slot is the right slot under A1, on "
        "level 2 below A."
    )
    assert refused(do_change_placement, "C", "B", position=1, reason="x") == (
        "Retail customer C has no placement to change; change only their sponsor, or upgrade "
        "them to a distributor."
    )
    assert refused(do_change_placement, "R", "A", position=1, reason="x") == (
        "R is the root of the network and has no placement to change."
    )
    assert refused(do_change_placement, "A11", "A1", position=1, reason="x") == (
        "A11 is already sponsored by A1 and placed there under A1."
    )


def test_placement_change_may_not_strand_a_spilled_member(net):
    net.enroll("R")
    net.enroll("A", "R")
    net.enroll("B", "R")
    net.enroll("X", "R", placement_parent="A", position=1)
    net.enroll("M", "A", placement_parent="X", position=1)
    assert refused(do_change_placement, "X", "B", position=1, reason="x") == (
        "Moving the placement of X under B would take M out of the placement subtree of their "
        "sponsor A; move M first or choose a parent below A."
    )
    do_change_placement("X", "A", position=2, reason="same parent", effective_at=net.tick())
    assert net.slot("X") == ("A", 2)


# --------------------------------------------------------------------------- both


def test_move_changes_sponsor_and_placement_with_one_event_each(tree):
    events = do_move("A1", sponsor="B", reason="team change", effective_at=tree.tick())
    assert [event.kind for event in events] == ["placement_changed", "sponsor_changed"]
    assert len({event.change_id for event in events}) == 1
    assert tree["A1"].sponsor.member_id == "B"
    assert tree.slot("A1") == ("B", 1)
    assert tree.counts("A") == (1, 1)
    assert tree.counts("B") == (2, 2)
    assert tree.counts("R") == (5, 5)
    last = events[-1]
    assert (last.new_sponsor.member_id, last.new_placement_parent.member_id) == ("B", "B")
    assert do_recount_network() == 0


def test_move_with_an_explicit_slot(tree):
    do_move(
        "A2", sponsor="R", placement_parent="B", position=2, reason="x", effective_at=tree.tick()
    )
    assert tree.slot("A2") == ("B", 2)
    assert tree["A2"].sponsor.member_id == "R"


def test_move_refuses_what_either_change_refuses(tree):
    assert refused(do_move, "A", sponsor="A1", reason="x") == (
        "A1 is in the enrollment downline of A; A cannot be moved under their own downline."
    )
    assert refused(do_move, "A1", sponsor="B", placement_parent="A", position=2, reason="x") == (
        "Slot R under A is already taken by A2; A1 cannot be placed there. The nearest free "
        "slot is the left slot under B."
    )
    assert refused(do_move, "A1", sponsor="B", placement_parent="A2", position=1, reason="x") == (
        "A2 is not in the placement subtree of B, the sponsor of A1; a member is placed under "
        "their sponsor or below them. The nearest free slot is the left slot under B."
    )


# --------------------------------------------------------------------------- status, upgrade


def test_status_change_is_recorded_and_a_repeat_is_refused(tree, django_user_model):
    operator = django_user_model.objects.create_user("operator")
    event = do_change_status(
        "A2", "suspended", actor=operator, reason="chargebacks", effective_at=tree.tick()
    )
    assert (event.old_status, event.new_status, event.actor) == ("active", "suspended", operator)
    assert refused(do_change_status, "A2", "suspended", reason="x") == "A2 is already suspended."
    assert refused(do_change_status, "A2", "gone", reason="x") == (
        "gone is not a member status; use one of active, suspended, terminated."
    )


def test_upgrading_a_customer_places_and_counts_them(tree):
    event = do_upgrade_customer("C", reason="bought a starter kit", effective_at=tree.tick())
    assert (event.kind, event.old_kind, event.new_kind) == ("upgraded", "customer", "distributor")
    assert tree.slot("C") == ("A1", 2)
    assert tree.counts("A") == (4, 4)
    assert tree.counts("R") == (6, 6)
    assert refused(do_upgrade_customer, "C") == "C is already a distributor."
    assert do_recount_network() == 0


def test_upgrade_needs_a_sponsor_who_takes_members(tree):
    do_change_status("A", "terminated", reason="left", effective_at=tree.tick())
    assert refused(do_upgrade_customer, "C") == "A is terminated and cannot sponsor C."


# --------------------------------------------------------------------------- reversal


def test_a_sponsor_change_is_reversed(tree):
    event = do_change_sponsor("A1", "R", reason="x", effective_at=tree.tick())
    (reversal,) = do_reverse_event(event, reason="entered by mistake", effective_at=tree.tick())
    assert (reversal.kind, reversal.reverses) == ("reversed", event)
    assert tree["A1"].sponsor.member_id == "A"
    assert tree.counts("A") == (3, 3)
    assert refused(do_reverse_event, event, reason="again") == (
        f"Event #{event.pk} of A1 was already reversed by event #{reversal.pk}."
    )
    assert refused(do_reverse_event, reversal, reason="undo the undo") == (
        f"Event #{reversal.pk} is itself a reversal; make the change again instead."
    )


def test_a_move_is_reversed_as_a_whole(tree):
    events = do_move("A1", sponsor="B", reason="x", effective_at=tree.tick())
    reversals = do_reverse_event(events[-1], reason="wrong team", effective_at=tree.tick())
    assert {r.reverses_id for r in reversals} == {e.pk for e in events}
    assert tree["A1"].sponsor.member_id == "A"
    assert tree.slot("A1") == ("A", 1)
    assert tree.counts("A") == (3, 3)
    assert tree.counts("B") == (0, 0)
    assert do_recount_network() == 0


def test_a_reversal_is_refused_when_the_old_slot_was_taken(tree):
    event = do_change_placement("A2", "A1", position=2, reason="x", effective_at=tree.tick())
    tree.enroll("Z", "A", placement_parent="A", position=2)
    assert refused(do_reverse_event, event, reason="undo") == (
        "Slot R under A is already taken by Z; A2 cannot be placed there."
    )
    assert tree.slot("A2") == ("A1", 2)


def test_a_reversal_is_refused_after_a_later_change(tree):
    first = do_change_placement("A2", "A1", position=2, reason="x", effective_at=tree.tick())
    do_change_placement("A2", "A", position=2, reason="y", effective_at=tree.tick())
    do_change_placement("A2", "A11", position=1, reason="z", effective_at=tree.tick())
    assert refused(do_reverse_event, first, reason="undo") == (
        f"A2 has changed since event #{first.pk}; reverse the later change first."
    )


def test_enrollments_and_upgrades_are_not_reversible(tree):
    enrolled = StructureEvent.objects.get(distributor__member_id="A2", kind="enrolled")
    assert refused(do_reverse_event, enrolled, reason="x") == (
        f"Event #{enrolled.pk} (enrolled of A2) cannot be reversed; only sponsor, placement "
        "and status changes can."
    )


def test_a_status_change_is_reversed(tree):
    event = do_change_status("A1", "terminated", reason="x", effective_at=tree.tick())
    do_reverse_event(event, reason="terminated the wrong member", effective_at=tree.tick())
    member = tree["A1"]
    assert member.status == "active"
    assert member.placement_free_depth == 0


def test_moves_in_a_unilevel_tree(net, unilevel):
    net.enroll("R")
    net.many("R", "A", "B")
    net.enroll("A1", "R", placement_parent="A")
    do_change_placement("A1", "R", reason="flatten", effective_at=net.tick())
    assert net.slot("A1") == ("R", None)
    events = do_move("A1", sponsor="B", reason="team change", effective_at=net.tick())
    assert [event.kind for event in events] == ["placement_changed", "sponsor_changed"]
    assert net.slot("A1") == ("B", None)
    assert net.counts("R") == (3, 3)
    assert do_recount_network() == 0


def test_a_move_that_keeps_the_slot_records_only_the_sponsor_change(tree):
    events = do_move(
        "A11", sponsor="A", placement_parent="A1", position=1, reason="x", effective_at=tree.tick()
    )
    assert [event.kind for event in events] == ["sponsor_changed"]
    assert tree["A11"].sponsor.member_id == "A"


def test_a_slot_found_by_mode_inside_the_members_own_subtree_is_refused(tree):
    # Breadth-first below A, the first free slot is A1's right slot: inside A1's own subtree.
    assert refused(do_change_placement, "A1", "A", placement_mode="spillover", reason="x") == (
        "A1 cannot be placed under themselves; choose a slot outside their own placement subtree."
    )
