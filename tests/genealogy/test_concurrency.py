"""Concurrent structure writers on PostgreSQL: the network lock keeps slots and counters right."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from downline.genealogy.actions import do_enroll, do_recount_network
from downline.genealogy.errors import NetworkIntegrityError
from downline.genealogy.models import Distributor

from .conftest import JOINED, messages_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(work, results: list, start: threading.Barrier | None = None) -> threading.Thread:
    def run() -> None:
        try:
            if start is not None:
                start.wait(timeout=10)
            results.append(work())
        except Exception as error:  # reported to the test through results
            results.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_second_enrollment_waits_for_the_first_and_then_sees_the_slot_taken():
    do_enroll(member_id="R", sponsor=None, joined_on=JOINED)
    do_enroll(member_id="A", sponsor="R", joined_on=JOINED)
    results: list = []
    with transaction.atomic():
        do_enroll(member_id="X", sponsor="A", joined_on=JOINED, placement_parent="A", position=1)
        waiting = in_thread(
            lambda: do_enroll(
                member_id="Y", sponsor="A", joined_on=JOINED, placement_parent="A", position=1
            ),
            results,
        )
        time.sleep(0.5)
        assert waiting.is_alive(), "the second enrollment did not wait for the network lock"
    waiting.join(timeout=10)
    (outcome,) = results
    assert isinstance(outcome, NetworkIntegrityError)
    assert messages_of(outcome) == "Slot L under A is already taken by X; Y cannot be placed there."


def test_concurrent_spillover_enrollments_under_nested_sponsors_all_succeed():
    """Sponsors R and A share A's subtree: without the network lock one writer would find a
    slot the other is taking and fail, or the free-slot depths would lose an update."""
    do_enroll(member_id="R", sponsor=None, joined_on=JOINED)
    do_enroll(member_id="A", sponsor="R", joined_on=JOINED)
    do_enroll(member_id="B", sponsor="R", joined_on=JOINED)
    results: list = []
    start = threading.Barrier(12)
    threads = [
        in_thread(
            lambda n=n: do_enroll(member_id=f"M{n:02}", sponsor="RA"[n % 2], joined_on=JOINED),
            results,
            start,
        )
        for n in range(12)
    ]
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(result, Distributor) for result in results), results
    slots = {(m.placement_parent_id, m.placement_position) for m in results}
    assert len(slots) == 12
    assert Distributor.objects.get(member_id="R").placement_downline == 14
    assert do_recount_network() == 0


def test_two_concurrent_roots_are_serialised_and_the_second_gets_a_clear_error():
    """The network lock makes the second enrollment wait for the first to commit; it then
    sees the root and is refused by the one-root rule (the unique constraint stays as the last
    line of defence)."""
    results: list = []
    with transaction.atomic():
        do_enroll(member_id="R1", sponsor=None, joined_on=JOINED)
        second = in_thread(
            lambda: do_enroll(member_id="R2", sponsor=None, joined_on=JOINED), results
        )
        time.sleep(0.5)
    second.join(timeout=10)
    (outcome,) = results
    assert isinstance(outcome, NetworkIntegrityError)
    assert messages_of(outcome) == (
        "R2 needs a sponsor: the network already has its root, R1, and there is only one."
    )
    assert list(Distributor.objects.values_list("member_id", flat=True)) == ["R1"]
