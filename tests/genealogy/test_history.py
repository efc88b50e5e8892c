"""The network as it stood on past instants, rebuilt from structure events."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from downline.genealogy.actions import (
    do_change_placement,
    do_change_sponsor,
    do_change_status,
    do_move,
    do_reverse_event,
)
from downline.genealogy.errors import NetworkIntegrityError
from downline.genealogy.models import Distributor
from downline.genealogy.selectors import (
    front_line_as_of,
    member_as_of,
    network_as_of,
    sponsor_as_of,
    upline_path_as_of,
)

from .conftest import T0, messages_of

HOUR = timedelta(hours=1)


def at(hours: float):
    return T0 + timedelta(hours=hours)


@pytest.fixture
def history(net):
    """Enrollments at hours 1-5, then a move (6), a placement change (7), a sponsor change (8),
    its reversal (9) and a late enrollment (10)."""
    net.enroll("R", effective_at=at(1))
    net.enroll("A", "R", effective_at=at(2))  # R.L
    net.enroll("B", "R", effective_at=at(3))  # R.R
    net.enroll("A1", "A", effective_at=at(4))  # A.L
    net.enroll("A2", "A", effective_at=at(5))  # A.R
    do_move(
        "A1",
        sponsor="B",
        placement_parent="B",
        position=1,
        reason="team change",
        effective_at=at(6),
    )
    do_change_placement("A2", "A", position=1, reason="left leg", effective_at=at(7))
    changed = do_change_sponsor("A2", "R", reason="sponsor request", effective_at=at(8))
    do_reverse_event(changed, reason="not approved", effective_at=at(9))
    net.enroll("C", "B", effective_at=at(10))  # B.R
    return net


def ids(rows) -> list[str]:
    return [row.member_id for row in rows]


def test_members_who_had_not_joined_are_absent(history):
    assert list(network_as_of(at(1.5))) == ["R"]
    assert set(network_as_of(at(4.5))) == {"R", "A", "B", "A1"}
    assert member_as_of(history["C"], at(9.5)) is None
    assert sponsor_as_of(history["C"], at(9.5)) is None
    assert upline_path_as_of(history["C"], at(9.5)) == []
    assert member_as_of(history["C"], at(10)).sponsor_member_id == "B"


def test_sponsor_as_of_follows_each_change(history):
    a1, a2 = history["A1"], history["A2"]
    assert sponsor_as_of(a1, at(5.9)).member_id == "A"
    assert sponsor_as_of(a1, at(6)).member_id == "B"
    assert sponsor_as_of(a2, at(7.5)).member_id == "A"
    assert sponsor_as_of(a2, at(8.5)).member_id == "R"
    assert sponsor_as_of(a2, at(9)).member_id == "A"
    assert sponsor_as_of(history["R"], at(9)) is None


def test_placement_as_of_follows_each_change(history):
    a2 = history["A2"]
    before, moved = member_as_of(a2, at(6.5)), member_as_of(a2, at(7))
    assert (before.placement_parent_member_id, before.placement_position) == ("A", 2)
    assert (moved.placement_parent_member_id, moved.placement_position) == ("A", 1)


def test_front_lines_as_of(history):
    a, b, r = history["A"], history["B"], history["R"]
    assert ids(front_line_as_of(a, at(5.5))) == ["A1", "A2"]
    assert ids(front_line_as_of(a, at(5.5), "placement")) == ["A1", "A2"]
    assert ids(front_line_as_of(a, at(6))) == ["A2"]
    assert ids(front_line_as_of(b, at(6))) == ["A1"]
    assert ids(front_line_as_of(b, at(6), "placement")) == ["A1"]
    assert ids(front_line_as_of(r, at(8.5))) == ["A", "A2", "B"]
    assert ids(front_line_as_of(r, at(9.5))) == ["A", "B"]
    assert ids(front_line_as_of(b, at(10), "placement")) == ["A1", "C"]
    assert [row.placement_position for row in front_line_as_of(b, at(10), "placement")] == [1, 2]


def test_upline_paths_as_of(history):
    a1 = history["A1"]
    assert ids(upline_path_as_of(a1, at(5), "placement")) == ["A1", "A", "R"]
    assert ids(upline_path_as_of(a1, at(5))) == ["A1", "A", "R"]
    assert ids(upline_path_as_of(a1, at(6), "placement")) == ["A1", "B", "R"]
    assert ids(upline_path_as_of(a1, at(6))) == ["A1", "B", "R"]


def test_the_network_now_is_the_live_network(history):
    with time_machine.travel(at(24 * 30), tick=False):  # a month after the last change
        rebuilt = network_as_of(timezone.now())
    live = {
        member.member_id: (
            member.sponsor_id,
            member.placement_parent_id,
            member.placement_position,
            member.status,
            member.kind,
        )
        for member in Distributor.objects.all()
    }
    assert {
        member_id: (
            row.sponsor_id,
            row.placement_parent_id,
            row.placement_position,
            row.status,
            row.kind,
        )
        for member_id, row in rebuilt.items()
    } == live


def test_a_tree_change_cannot_be_backdated_behind_recorded_history(history):
    with pytest.raises(NetworkIntegrityError) as caught:
        do_change_sponsor("C", "R", reason="x", effective_at=at(9.5))
    assert messages_of(caught.value).startswith(
        "The change to C cannot take effect at 2026-01-05T18:30:00+00:00: a change effective "
        "at 2026-01-05T19:00:00+00:00 is already recorded."
    )


def test_a_status_change_only_follows_the_members_own_history(history):
    do_change_status("B", "suspended", reason="compliance", effective_at=at(3.5))
    assert member_as_of(history["B"], at(3.2)).status == "active"
    assert member_as_of(history["B"], at(4)).status == "suspended"
    with pytest.raises(NetworkIntegrityError):
        do_change_status("B", "active", reason="x", effective_at=at(3.4))
