"""Placement modes, against hand-built trees and against a plain-Python breadth-first oracle."""

from __future__ import annotations

import random
from collections import deque

import pytest

from downline.genealogy.actions import (
    do_change_placement,
    do_change_status,
    do_recount_network,
)
from downline.genealogy.errors import NetworkIntegrityError
from downline.genealogy.models import Distributor
from downline.genealogy.placement import find_slot
from downline.genealogy.shape import placement_shape

from .conftest import messages_of


def test_spillover_fills_breadth_first_left_to_right(net):
    net.enroll("R")
    net.many("R", *[f"M{n:02}" for n in range(1, 15)])
    expected = {
        "M01": ("R", 1),
        "M02": ("R", 2),
        "M03": ("M01", 1),
        "M04": ("M01", 2),
        "M05": ("M02", 1),
        "M06": ("M02", 2),
        "M07": ("M03", 1),
        "M08": ("M03", 2),
        "M09": ("M04", 1),
        "M10": ("M04", 2),
        "M11": ("M05", 1),
        "M12": ("M05", 2),
        "M13": ("M06", 1),
        "M14": ("M06", 2),
    }
    assert {member: net.slot(member) for member in expected} == expected


def test_spillover_stays_inside_the_sponsors_subtree(net):
    net.enroll("R")
    net.many("R", "A", "B")
    net.many("B", "B1", "B2", "B3")
    assert [net.slot(m) for m in ("B1", "B2", "B3")] == [("B", 1), ("B", 2), ("B1", 1)]
    assert net.slot("B3") != ("A", 1)


def test_spillover_finds_a_gap_left_by_an_explicit_placement(net):
    net.enroll("R")
    net.enroll("A", "R", placement_parent="R", position=1)
    net.enroll("B", "R", placement_parent="R", position=2)
    net.enroll("A2", "R", placement_parent="A", position=2)
    net.enroll("B1", "R", placement_parent="B", position=1)
    net.enroll("X", "R")
    assert net.slot("X") == ("A", 1)
    net.enroll("Y", "R")
    assert net.slot("Y") == ("B", 2)


def test_spillover_skips_terminated_members_but_descends_below_them(net):
    net.enroll("R")
    net.many("R", "A", "B", "A1")
    assert net.slot("A1") == ("A", 1)
    do_change_status("A", "terminated", reason="left", effective_at=net.tick())
    net.enroll("X", "R")
    assert net.slot("X") == ("B", 1)
    net.enroll("Y", "R")
    assert net.slot("Y") == ("B", 2)
    net.enroll("Z", "R")
    assert net.slot("Z") == ("A1", 1)


def test_spillover_with_no_free_slot_says_so(net):
    net.enroll("R")
    net.many("R", "A", "B")
    for member in ("A", "B"):
        do_change_status(member, "terminated", reason="left", effective_at=net.tick())
    with pytest.raises(NetworkIntegrityError) as caught:
        net.enroll("X", "R")
    assert messages_of(caught.value) == (
        "There is no free placement slot under R for X: every member of their placement "
        "subtree is full or terminated."
    )


def test_extreme_left_and_right_follow_the_outer_legs(net):
    net.enroll("R")
    net.many("R", "A", "B", "C", "D", "E", "F")  # full to level 2
    net.enroll("L", "R", placement_mode="extreme_left")
    net.enroll("L2", "R", placement_mode="extreme_left")
    net.enroll("RR", "R", placement_mode="extreme_right")
    assert net.slot("L") == ("C", 1)
    assert net.slot("L2") == ("L", 1)
    assert net.slot("RR") == ("F", 2)


def test_extreme_leg_ending_under_a_terminated_member_is_refused(net):
    net.enroll("R")
    net.many("R", "A", "B")
    do_change_status("A", "terminated", reason="left", effective_at=net.tick())
    with pytest.raises(NetworkIntegrityError) as caught:
        net.enroll("X", "R", placement_mode="extreme_left")
    assert messages_of(caught.value) == (
        "The outermost slot of R's outer leg is under A, who is terminated; place X with "
        "another mode or explicitly."
    )


def test_weaker_leg_prefers_an_empty_slot_then_the_smaller_leg(net):
    net.enroll("R")
    net.enroll("A", "R", placement_parent="R", position=1)
    net.enroll("W1", "R", placement_mode="weaker_leg")
    assert net.slot("W1") == ("R", 2)  # the empty right slot is weakest
    net.enroll("A1", "R", placement_parent="A", position=1)
    net.enroll("A2", "R", placement_parent="A", position=2)
    # left leg: A, A1, A2 (3); right leg: W1 (1)
    net.enroll("W2", "R", placement_mode="weaker_leg")
    assert net.slot("W2") == ("W1", 1)
    net.enroll("W3", "R", placement_mode="weaker_leg")
    assert net.slot("W3") == ("W1", 2)
    # 3 against 3: the tie goes to the lower slot (left), breadth-first inside it
    net.enroll("W4", "R", placement_mode="weaker_leg")
    assert net.slot("W4") == ("A1", 1)


def test_weaker_leg_of_a_matrix(net, matrix3):
    net.enroll("R")
    net.enroll("A", "R", placement_parent="R", position=1)
    net.enroll("C", "R", placement_parent="R", position=3)
    net.enroll("W", "R", placement_mode="weaker_leg")
    assert net.slot("W") == ("R", 2)


def test_matrix_spillover_fills_each_level_left_to_right(net, matrix3):
    net.enroll("R")
    net.many("R", *[f"M{n}" for n in range(1, 6)])
    assert [net.slot(f"M{n}") for n in range(1, 6)] == [
        ("R", 1),
        ("R", 2),
        ("R", 3),
        ("M1", 1),
        ("M1", 2),
    ]


@pytest.mark.parametrize("mode", ["spillover", "extreme_left", "extreme_right", "weaker_leg"])
def test_unilevel_places_every_mode_directly_under_the_sponsor(net, unilevel, mode):
    net.enroll("R")
    net.many("R", "A", "B")
    net.enroll("X", "A", placement_mode=mode)
    assert net.slot("X") == ("A", None)


# --------------------------------------------------------------------------- the oracle


class Oracle:
    """The placement modes by plain breadth-first search over the whole (small) tree."""

    def __init__(self) -> None:
        self.shape = placement_shape()
        rows = list(
            Distributor.objects.values(
                "id", "member_id", "kind", "status", "placement_parent_id", "placement_position"
            )
        )
        self.by_id = {row["id"]: row for row in rows}
        self.children: dict[int, dict[int, int]] = {row["id"]: {} for row in rows}
        for row in rows:
            if row["placement_parent_id"] is not None:
                self.children[row["placement_parent_id"]][row["placement_position"]] = row["id"]

    def takes(self, node: int) -> bool:
        row = self.by_id[node]
        return (
            row["kind"] == "distributor"
            and row["status"] != "terminated"
            and len(self.children[node]) < self.shape.width
        )

    def free(self, node: int) -> int:
        return min(set(self.shape.positions) - set(self.children[node]))

    def size(self, node: int) -> int:
        return 1 + sum(self.size(child) for child in self.children[node].values())

    def spillover(self, top: int) -> tuple[int, int] | None:
        queue = deque([top])
        while queue:
            node = queue.popleft()
            if self.takes(node):
                return node, self.free(node)
            queue.extend(self.children[node][p] for p in sorted(self.children[node]))
        return None

    def extreme(self, top: int, outer: int) -> tuple[int, int]:
        node = top
        while outer in self.children[node]:
            node = self.children[node][outer]
        return node, outer

    def weaker_leg(self, top: int) -> tuple[int, int] | None:
        def leg(position: int) -> int:
            child = self.children[top].get(position)
            return 0 if child is None else self.size(child)

        for position in sorted(self.shape.positions, key=lambda p: (leg(p), p)):
            child = self.children[top].get(position)
            if child is None:
                return top, position
            found = self.spillover(child)
            if found is not None:
                return found
        return None

    def expect(self, top: int, mode: str) -> tuple[int, int] | None:
        if mode == "spillover":
            return self.spillover(top)
        if mode == "weaker_leg":
            return self.weaker_leg(top)
        return self.extreme(top, 1 if mode == "extreme_left" else self.shape.width)


@pytest.mark.parametrize("shape", [("binary", 2), ("matrix", 3)])
def test_modes_agree_with_a_breadth_first_oracle(net, settings, shape):
    settings.DOWNLINE_PLACEMENT, settings.DOWNLINE_MATRIX_WIDTH = shape
    rng = random.Random(20261123)
    net.enroll("R")
    members = ["R"]
    for number in range(90):
        sponsor = rng.choice(members)
        if net[sponsor].status == "terminated":
            continue
        mode = rng.choice(["spillover", "spillover", "extreme_left", "extreme_right", "weaker_leg"])
        member_id = f"M{number:03}"
        oracle = Oracle()
        expected = oracle.expect(net[sponsor].pk, mode)
        try:
            member = net.enroll(member_id, sponsor, placement_mode=mode)
        except NetworkIntegrityError:
            bottom = expected and oracle.by_id[expected[0]]
            assert expected is None or bottom["status"] == "terminated"
            continue
        assert (member.placement_parent_id, member.placement_position) == expected, (
            member_id,
            sponsor,
            mode,
        )
        members.append(member_id)
        active = [m for m in members[1:] if net[m].status != "terminated"]
        if active and rng.random() < 0.08:
            do_change_status(
                rng.choice(active), "terminated", reason="left", effective_at=net.tick()
            )
    assert do_recount_network() == 0


def test_free_depth_stays_right_through_moves_and_status_changes(net):
    net.enroll("R")
    net.many("R", *[f"M{n:02}" for n in range(1, 13)])
    do_change_placement("M03", "M12", position=1, reason="regroup", effective_at=net.tick())
    do_change_status("M06", "terminated", reason="left", effective_at=net.tick())
    do_change_status("M06", "active", reason="back", effective_at=net.tick())
    do_change_status("M02", "terminated", reason="left", effective_at=net.tick())
    assert do_recount_network() == 0
    oracle = Oracle()
    for member in Distributor.objects.all():
        expected = oracle.spillover(member.pk)
        if expected is None:
            assert member.placement_free_depth is None, member.member_id
            continue
        slot = find_slot(member, "spillover", member_label="probe")
        assert (slot.parent_id, slot.position) == expected, member.member_id
