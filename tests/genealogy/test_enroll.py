"""Enrollment: every integrity rule refuses with a message naming the members and the reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from downline.genealogy.actions import do_change_status, do_enroll
from downline.genealogy.errors import NetworkIntegrityError
from downline.genealogy.models import Distributor, StructureEvent

from .conftest import JOINED, T0, messages_of


def refused(**options) -> str:
    options.setdefault("joined_on", JOINED)
    with pytest.raises(NetworkIntegrityError) as caught:
        do_enroll(**options)
    return messages_of(caught.value)


def test_the_first_member_is_the_root_and_there_is_only_one(net):
    root = net.enroll("R")
    assert root.sponsor is None
    assert root.placement_parent is None
    message = refused(member_id="X", sponsor=None)
    assert message == (
        "X needs a sponsor: the network already has its root, R, and there is only one."
    )
    assert Distributor.objects.count() == 1


def test_the_root_is_a_distributor_and_is_not_placed(net):
    assert refused(member_id="C", sponsor=None, kind="customer") == (
        "Retail customer C needs a sponsor who is a distributor."
    )
    net.enroll("R")
    net.enroll("A", "R")
    assert Distributor.objects.get(member_id="R").kind == "distributor"


def test_unknown_sponsor_is_named(net):
    net.enroll("R")
    assert refused(member_id="X", sponsor="NOPE") == ("There is no member NOPE (given as sponsor).")


def test_a_retail_customer_cannot_sponsor_anyone(net):
    net.enroll("R")
    net.enroll("C1", "R", kind="customer")
    assert refused(member_id="X", sponsor="C1") == (
        "C1 is a retail customer and cannot sponsor X; only distributors sponsor members."
    )
    assert refused(member_id="Y", sponsor="C1", kind="customer") == (
        "C1 is a retail customer and cannot sponsor Y; only distributors sponsor members."
    )


def test_a_retail_customer_is_not_placed_and_not_counted(net):
    net.enroll("R")
    net.enroll("A", "R")
    customer = net.enroll("C1", "A", kind="customer")
    assert customer.placement_parent is None
    assert customer.placement_position is None
    assert customer.placement_free_depth is None
    assert net.counts("A") == (0, 0)
    assert net.counts("R") == (1, 1)
    assert refused(member_id="C2", sponsor="A", kind="customer", placement_parent="A") == (
        "Retail customer C2 is not placed in the placement tree; give no placement for them."
    )


def test_a_terminated_sponsor_takes_no_new_members_but_a_suspended_one_does(net):
    net.enroll("R")
    net.enroll("A", "R")
    net.enroll("B", "R")
    do_change_status("A", "terminated", reason="left the company", effective_at=net.tick())
    do_change_status("B", "suspended", reason="compliance review", effective_at=net.tick())
    assert refused(member_id="X", sponsor="A") == "A is terminated and cannot sponsor X."
    net.enroll("Y", "B")
    assert net.slot("Y") == ("B", 1)


def test_explicit_placement_must_be_inside_the_sponsors_placement_subtree(net):
    net.enroll("R")
    net.enroll("A", "R")
    net.enroll("B", "R")
    assert refused(member_id="X", sponsor="A", placement_parent="B", position=1) == (
        "B is not in the placement subtree of A, the sponsor of X; a member is placed under "
        "their sponsor or below them."
    )
    net.enroll("X", "A", placement_parent="A", position=2)
    net.enroll("Y", "A", placement_parent="X", position=1)
    assert net.slot("Y") == ("X", 1)


def test_a_taken_slot_names_who_holds_it(net):
    net.enroll("R")
    net.enroll("A", "R", placement_parent="R", position=1)
    assert refused(member_id="X", sponsor="R", placement_parent="R", position=1) == (
        "Slot L under R is already taken by A; X cannot be placed there."
    )


def test_binary_capacity_is_two(net):
    net.enroll("R")
    net.enroll("A", "R", placement_parent="R")
    net.enroll("B", "R", placement_parent="R")
    assert (net.slot("A"), net.slot("B")) == (("R", 1), ("R", 2))
    assert refused(member_id="X", sponsor="R", placement_parent="R") == (
        "Every slot under R is taken; X cannot be placed there."
    )
    assert refused(member_id="X", sponsor="R", placement_parent="A", position=3) == (
        "Position 3 does not exist under A in a binary placement tree; use 1 (left) or 2 (right)."
    )


def test_matrix_capacity_is_the_width(net, matrix3):
    net.enroll("R")
    net.many("R", "A", "B", "C")
    assert [net.slot(m) for m in "ABC"] == [("R", 1), ("R", 2), ("R", 3)]
    assert refused(member_id="X", sponsor="R", placement_parent="R") == (
        "Every slot under R is taken; X cannot be placed there."
    )
    assert refused(member_id="X", sponsor="R", placement_parent="A", position=4) == (
        "Position 4 does not exist under A in a matrix placement tree; use 1 to 3."
    )


def test_unilevel_has_no_positions_and_no_limit(net, unilevel):
    net.enroll("R")
    for number in range(5):
        net.enroll(f"A{number}", "R")
    assert {net.slot(f"A{n}") for n in range(5)} == {("R", None)}
    assert refused(member_id="X", sponsor="R", placement_parent="R", position=1) == (
        "A unilevel placement tree has no positions; place X under R without a position."
    )


def test_the_placement_parent_must_be_a_distributor(net):
    net.enroll("R")
    net.enroll("C1", "R", kind="customer")
    assert refused(member_id="X", sponsor="R", placement_parent="C1", position=1) == (
        "C1 is a retail customer and has no place in the placement tree; X cannot be placed "
        "under them."
    )


def test_the_placement_parent_must_not_be_terminated(net):
    net.enroll("R")
    net.enroll("A", "R")
    do_change_status("A", "terminated", reason="left", effective_at=net.tick())
    assert refused(member_id="X", sponsor="R", placement_parent="A", position=1) == (
        "A is terminated; X cannot be placed under them."
    )


def test_mode_and_explicit_slot_are_exclusive(net):
    net.enroll("R")
    assert refused(
        member_id="X", sponsor="R", placement_mode="spillover", placement_parent="R"
    ) == (
        "A placement parent or position was given for X together with the automatic "
        "placement mode spillover; give either a mode or a parent and position."
    )
    assert refused(member_id="X", sponsor="R", placement_mode="sideways") == (
        "sideways is not a placement mode; use one of spillover, extreme_left, extreme_right, "
        "weaker_leg, explicit."
    )


def test_member_id_is_unique_and_fields_are_checked(net):
    net.enroll("R")
    assert refused(member_id="R", sponsor="R") == "Member R: this member id is already taken."
    with pytest.raises(NetworkIntegrityError) as caught:
        do_enroll(
            member_id="X",
            sponsor="R",
            joined_on=JOINED,
            email="not-an-address",
            country="Germany",
            currency="euro",
            language="xx",
        )
    errors = caught.value.message_dict
    assert errors["email"] == ["Member X: Enter a valid email address."]
    assert errors["country"] == ["Member X: the country must be a two-letter ISO code such as DE."]
    assert errors["currency"] == [
        "Member X: the currency must be a three-letter ISO code such as EUR."
    ]
    assert errors["language"] == ["Member X: Value 'xx' is not a valid choice."]
    assert not Distributor.objects.filter(member_id="X").exists()


def test_a_member_cannot_join_before_their_sponsor_or_in_the_future(net, settings):
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"
    net.enroll("R", joined_on=date(2026, 1, 5))
    assert refused(member_id="X", sponsor="R", joined_on=date(2025, 12, 31)) == (
        "X cannot join on 2025-12-31, before their sponsor R joined on 2026-01-05."
    )
    # half past midnight on 1 December in the company's time zone (Berlin), 30 November in UTC
    with time_machine.travel(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), tick=False):
        assert refused(member_id="Y", sponsor="R", joined_on=date(2026, 12, 2)) == (
            "Y cannot join on 2026-12-02, a date in the future."
        )
        # the company's today is 1 December already: Z joins today and enters the network now
        z = net.enroll("Z", "R", joined_on=date(2026, 12, 1), effective_at=timezone.now())
        assert z.joined_on == date(2026, 12, 1)


def test_enrollment_is_recorded_as_an_event(net, django_user_model):
    operator = django_user_model.objects.create_user("operator")
    net.enroll("R")
    at = net.tick()
    member = net.enroll("A", "R", actor=operator, reason="paper application", effective_at=at)
    event = StructureEvent.objects.get(distributor=member)
    assert event.kind == StructureEvent.Kind.ENROLLED
    assert (event.actor, event.reason, event.effective_at) == (operator, "paper application", at)
    assert (event.new_sponsor.member_id, event.new_placement_parent.member_id) == ("R", "R")
    assert (event.new_placement_position, event.new_status, event.new_kind) == (
        1,
        "active",
        "distributor",
    )
    assert event.old_sponsor is None
    assert event.old_kind == ""


def test_effective_time_is_not_in_the_future_nor_before_recorded_history(net):
    net.enroll("R")
    net.enroll("A", "R", effective_at=T0 + timedelta(hours=5))
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        future = timezone.now() + timedelta(hours=1)
        assert refused(member_id="X", sponsor="R", effective_at=future).startswith(
            "The change to X cannot take effect in the future"
        )
    message = refused(member_id="Y", sponsor="R", effective_at=T0 + timedelta(hours=1))
    assert message == (
        "The change to Y cannot take effect at 2026-01-05T10:00:00+00:00: a change effective "
        "at 2026-01-05T14:00:00+00:00 is already recorded. Changes are recorded in time order "
        "so that the network as it stood on every past date stays valid."
    )


def test_downline_counts_follow_every_enrollment(net):
    net.enroll("R")
    net.enroll("A", "R")  # R.L
    net.enroll("B", "A")  # A.L
    net.enroll("C", "A")  # A.R
    net.enroll("D", "B")  # B.L
    net.enroll("E", "R")  # R.R
    net.enroll("K", "D", kind="customer")
    assert net.counts("R") == (5, 5)
    assert net.counts("A") == (3, 3)
    assert net.counts("B") == (1, 1)
    assert net.counts("D") == (0, 0)
    assert net.counts("E") == (0, 0)


def test_placement_counts_differ_from_enrollment_counts_under_spillover(net):
    net.enroll("R")
    net.many("R", "A", "B", "C", "D")  # C, D spill under A
    assert net.slot("C") == ("A", 1)
    assert net.slot("D") == ("A", 2)
    assert net.counts("A") == (0, 2)
    assert net.counts("R") == (4, 4)
