"""Refused sponsor transfers and placement moves name the people and the nearest valid slot.

Before: "Every slot under D0000005 is taken; D0000009 cannot be placed there." After: the
members are named ("Anna Kowalska (D0000005)") and, when the refusal is about a slot, the
nearest free slot that the same move would accept is named, breadth-first below the requested
parent (then below the sponsor), in the company's placement shape.
"""

from __future__ import annotations

import random
from collections import deque

import pytest
from django.utils import translation

from downline.genealogy.actions import (
    do_change_placement,
    do_change_sponsor,
    do_change_status,
    do_move,
    do_recount_network,
)
from downline.genealogy.errors import NetworkIntegrityError
from downline.genealogy.models import Distributor
from downline.genealogy.placement import nearest_free_slot
from downline.genealogy.shape import placement_shape

from .conftest import messages_of

NAMES = {
    "D0000001": "Ewa Zielińska",
    "D0000005": "Anna Kowalska",
    "D0000006": "Jan Wiśniewski",
    "D0000012": "Piotr Nowak",
    "D0000013": "Marta Lewandowska",
    "D0000020": "Tomasz Wójcik",
    "D0000021": "Olga Kamińska",
    "D0000030": "Marek Dąbrowski",
}


def refused(action, *args, **options) -> NetworkIntegrityError:
    with pytest.raises(NetworkIntegrityError) as caught:
        action(*args, **options)
    return caught.value


@pytest.fixture
def team(net):
    """D1 (root) → D5 Anna (L), D6 Jan (R); under Anna: D12 Piotr (L), D13 Marta (R);
    under Piotr: D20 Tomasz (L); under Jan: D30 Marek (L). All sponsored by their parent."""

    def enroll(member_id: str, sponsor: str | None = None, **options):
        return net.enroll(member_id, sponsor, name=NAMES[member_id], **options)

    enroll("D0000001")
    enroll("D0000005", "D0000001")
    enroll("D0000006", "D0000001")
    enroll("D0000012", "D0000005")
    enroll("D0000013", "D0000005")
    enroll("D0000020", "D0000012")
    enroll("D0000030", "D0000006")
    return net


def test_a_full_parent_names_the_people_and_the_nearest_free_slot_below(team):
    error = refused(
        do_move, "D0000030", sponsor="D0000005", placement_parent="D0000005", reason="x"
    )
    assert error.code == "slot_taken"
    assert messages_of(error) == (
        "Every slot under Anna Kowalska (D0000005) is taken; Marek Dąbrowski (D0000030) "
        "cannot be placed there. The nearest free slot is the right slot under Piotr Nowak "
        "(D0000012), on level 2 below Anna Kowalska (D0000005)."
    )
    # The suggestion is one the same move accepts.
    do_move(
        "D0000030",
        sponsor="D0000005",
        placement_parent="D0000012",
        position=2,
        reason="as suggested",
        effective_at=team.tick(),
    )
    assert team.slot("D0000030") == ("D0000012", 2)


def test_a_taken_slot_names_its_holder_and_the_nearest_free_slot(team):
    error = refused(do_change_placement, "D0000020", "D0000005", position=1, reason="x")
    assert messages_of(error) == (
        "Slot L under Anna Kowalska (D0000005) is already taken by Piotr Nowak (D0000012); "
        "Tomasz Wójcik (D0000020) cannot be placed there. The nearest free slot is the right "
        "slot under Piotr Nowak (D0000012), on level 2 below Anna Kowalska (D0000005)."
    )


def test_a_sponsor_transfer_that_needs_a_placement_move_names_a_slot_under_the_new_sponsor(team):
    error = refused(do_change_sponsor, "D0000020", "D0000006", reason="x")
    assert error.code == "outside_sponsor"
    assert messages_of(error) == (
        "Tomasz Wójcik (D0000020) is placed under Piotr Nowak (D0000012), which is not in the "
        "placement subtree of the new sponsor Jan Wiśniewski (D0000006). Move the placement "
        "too: use a move that changes the sponsor and the placement together. The nearest "
        "free slot is the right slot under Jan Wiśniewski (D0000006)."
    )
    do_move(
        "D0000020",
        sponsor="D0000006",
        placement_parent="D0000006",
        position=2,
        reason="as suggested",
        effective_at=team.tick(),
    )
    assert team.slot("D0000020") == ("D0000006", 2)


def test_a_parent_outside_the_sponsors_subtree_gets_a_slot_under_the_sponsor(team):
    error = refused(do_change_placement, "D0000013", "D0000030", position=1, reason="x")
    assert error.code == "outside_sponsor"
    assert messages_of(error).endswith(
        "The nearest free slot is the right slot under Piotr Nowak (D0000012), on level 2 "
        "below Anna Kowalska (D0000005)."
    )


def test_the_suggestion_is_never_inside_the_moved_members_own_subtree(team):
    # Under Anna every free slot is below Piotr or Marta. Moving Piotr: his own subtree
    # (Tomasz's slots, his own right slot) does not count, so Marta's left slot is named.
    error = refused(do_change_placement, "D0000012", "D0000005", position=2, reason="x")
    assert messages_of(error).endswith(
        "The nearest free slot is the left slot under Marta Lewandowska (D0000013), on level 2 "
        "below Anna Kowalska (D0000005)."
    )


def test_terminated_members_are_skipped_by_the_suggestion(team):
    do_change_status("D0000012", "terminated", reason="left", effective_at=team.tick())
    error = refused(do_change_placement, "D0000013", "D0000012", position=2, reason="x")
    assert error.code == "parent_terminated"
    # Piotr takes nobody; breadth-first below him, Tomasz has room.
    assert messages_of(error) == (
        "Piotr Nowak (D0000012) is terminated; Marta Lewandowska (D0000013) cannot be placed "
        "under them. The nearest free slot is the left slot under Tomasz Wójcik (D0000020), "
        "on level 2 below Piotr Nowak (D0000012)."
    )


def test_no_valid_slot_means_no_suggestion(net):
    net.enroll("R", name="Root Person")
    net.enroll("A", "R", name="Ada Lovelace")
    net.enroll("B", "R", name="Bob Byte")
    net.enroll("A1", "A")
    net.enroll("A2", "A")
    net.enroll("B1", "B")
    net.enroll("B2", "B")
    for member_id in ("A1", "A2", "B1", "B2"):
        do_change_status(member_id, "terminated", reason="left", effective_at=net.tick())
    error = refused(do_move, "B1", sponsor="A", placement_parent="A", position=1, reason="x")
    assert messages_of(error) == (
        "Slot L under Ada Lovelace (A) is already taken by A1; B1 cannot be placed there."
    )


def test_matrix_suggestions_name_the_position(net, matrix3):
    net.enroll("R", name="Root Person")
    for member_id in ("A", "B", "C"):
        net.enroll(member_id, "R", name=f"Member {member_id}")
    net.enroll("A1", "A", name="Member A1")
    error = refused(do_change_placement, "A1", "R", reason="x")
    assert messages_of(error) == (
        "Every slot under Root Person (R) is taken; Member A1 (A1) cannot be placed there. "
        "The nearest free slot is position 2 under Member A (A), on level 2 below Root Person "
        "(R)."
    )


def test_unilevel_suggestions_name_the_member_to_go_under(net, unilevel):
    net.enroll("R", name="Root Person")
    net.enroll("A", "R", name="Ada Lovelace")
    net.enroll("A1", "A", name="Alan Turing")
    net.enroll("B", "R", name="Bob Byte")
    net.enroll("B1", "B", name="Barbara Liskov")
    do_change_status("A", "terminated", reason="left", effective_at=net.tick())
    error = refused(do_change_placement, "B1", "A", reason="x")
    assert messages_of(error).endswith("The nearest free slot is under Bob Byte (B).")


def test_refusals_render_in_the_readers_language_with_the_names_filled_in(team):
    error = refused(
        do_move, "D0000030", sponsor="D0000005", placement_parent="D0000005", reason="x"
    )
    with translation.override("de"):
        text = messages_of(error)
    assert "Anna Kowalska (D0000005)" in text
    assert "Piotr Nowak (D0000012)" in text
    assert "%(" not in text


# --------------------------------------------------------------------------- against an oracle


def _oracle(top: str, moving: str) -> tuple[str, int] | None:
    """Breadth-first, left to right below ``top``: the first free slot under a non-terminated
    distributor outside ``moving``'s placement subtree, from plain Python over all rows."""
    rows = {
        d.member_id: d
        for d in Distributor.objects.filter(kind=Distributor.Kind.DISTRIBUTOR).select_related(
            "placement_parent"
        )
    }
    children: dict[str, dict[int, str]] = {}
    for d in rows.values():
        if d.placement_parent is not None:
            children.setdefault(d.placement_parent.member_id, {})[d.placement_position] = (
                d.member_id
            )
    queue = deque([top])
    while queue:
        node = queue.popleft()
        if node == moving:
            continue
        own = children.get(node, {})
        if rows[node].status != Distributor.Status.TERMINATED:
            free = [p for p in (1, 2) if p not in own]
            if free:
                return node, free[0]
        queue.extend(own[p] for p in sorted(own))
    return None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_nearest_free_slot_agrees_with_a_breadth_first_oracle(net, seed):
    rng = random.Random(seed)
    net.enroll("M0")
    ids = ["M0"]
    for number in range(1, 60):
        sponsor = rng.choice(ids)
        member_id = f"M{number}"
        net.enroll(member_id, sponsor, placement_mode=rng.choice(["spillover", "weaker_leg"]))
        ids.append(member_id)
    for member_id in rng.sample(ids[1:], 8):
        do_change_status(member_id, "terminated", reason="left", effective_at=net.tick())
    assert do_recount_network() == 0
    shape = placement_shape()
    for _ in range(40):
        top, moving = rng.choice(ids), rng.choice(ids[1:])
        found = nearest_free_slot(net[top], shape, moving=net[moving])
        expected = _oracle(top, moving)
        got = None if found is None else (found.parent.member_id, found.position)
        assert got == expected, (top, moving)
