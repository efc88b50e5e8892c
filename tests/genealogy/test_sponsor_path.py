"""The stored sponsor path stays equal to the walk up the sponsor tree after every kind of write,
and "everyone below X" read through it equals the recursive walk down."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from downline.exchange.importing import import_files
from downline.genealogy import sponsor_path
from downline.genealogy.actions import (
    do_change_sponsor,
    do_move,
    do_recount_network,
    do_reverse_event,
    do_upgrade_customer,
)
from downline.genealogy.errors import NetworkIntegrityError
from downline.genealogy.models import Distributor
from downline.genealogy.tree_sql import ENROLLMENT, downline_cte, upline_ids


def walked_path(pk: int) -> str:
    return "/" + "".join(f"{i}/" for i in reversed(upline_ids(ENROLLMENT, pk)))


def assert_paths_match_the_tree() -> None:
    for pk, path in Distributor.objects.values_list("pk", "sponsor_path"):
        assert path == walked_path(pk), pk


def below_by_path(member: Distributor) -> set[int]:
    path = Distributor.objects.values_list("sponsor_path", flat=True).get(pk=member.pk)
    condition, params = sponsor_path.below_condition(path, alias="d")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT d.id FROM {sponsor_path.TABLE} d WHERE {condition}", params)
        return {row[0] for row in cursor.fetchall()}


def below_by_walk(member: Distributor) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE {downline_cte(ENROLLMENT)} SELECT id FROM downline",
            [member.pk, 10_000],
        )
        return {row[0] for row in cursor.fetchall()}


def test_enrolment_gives_the_sponsors_path_and_own_id(net):
    root = net.enroll("R")
    a = net.enroll("A", "R")
    b = net.enroll("B", "A")
    k = net.enroll("K", "B", kind="customer")
    assert net["R"].sponsor_path == f"/{root.pk}/"
    assert net["B"].sponsor_path == f"/{root.pk}/{a.pk}/{b.pk}/"
    assert net["K"].sponsor_path == f"/{root.pk}/{a.pk}/{b.pk}/{k.pk}/"
    assert sponsor_path.depth_of(net["K"].sponsor_path) == 3


def test_a_sponsor_move_rewrites_the_moved_subtree_and_a_reversal_restores_it(net, unilevel):
    net.enroll("R")
    net.many("R", "A", "B")
    net.many("A", "A1", "A2")
    net.many("A1", "A11", "A12")
    net.enroll("A1K", "A1", kind="customer")
    before = dict(Distributor.objects.values_list("member_id", "sponsor_path"))
    events = do_move("A1", sponsor="B", reason="moved", effective_at=net.tick())
    assert_paths_match_the_tree()
    assert below_by_path(net["A"]) == {net["A2"].pk}
    assert below_by_path(net["B"]) == {net[m].pk for m in ("A1", "A11", "A12", "A1K")}
    assert net["A12"].sponsor_path.startswith(net["B"].sponsor_path)
    do_reverse_event(events[0], reason="undo", effective_at=net.tick())
    assert dict(Distributor.objects.values_list("member_id", "sponsor_path")) == before


def test_upgrade_keeps_the_path_and_move_with_placement_rewrites_it(net):
    net.enroll("R")
    net.many("R", "A", "B")
    net.enroll("K", "A", kind="customer")
    path = net["K"].sponsor_path
    do_upgrade_customer("K", effective_at=net.tick())
    assert net["K"].sponsor_path == path
    net.enroll("K1", "K")
    do_move("K", sponsor="B", reason="moved", effective_at=net.tick())
    assert_paths_match_the_tree()


@pytest.mark.parametrize("seed", [1, 2])
def test_random_moves_keep_every_path_and_every_subtree_exact(net, unilevel, seed):
    rng = random.Random(seed)
    net.enroll("M0")
    ids = ["M0"]
    for number in range(1, 40):
        member_id = f"M{number}"
        net.enroll(member_id, rng.choice(ids))
        ids.append(member_id)
    moved = 0
    for _ in range(30):
        moving, target = rng.choice(ids[1:]), rng.choice(ids)
        try:
            do_move(moving, sponsor=target, reason="test", effective_at=net.tick())
        except NetworkIntegrityError:  # a cycle, or no change: refused, nothing written
            continue
        moved += 1
    assert moved >= 5
    assert_paths_match_the_tree()
    for member_id in ids:
        assert below_by_path(net[member_id]) == below_by_walk(net[member_id]), member_id


def test_a_deep_member_is_found_by_the_full_path_beyond_the_indexed_prefix(net, unilevel):
    """Paths longer than the indexed key (2,000 characters: here about 550 levels) are found
    by the key's equality and the full path, before and after a move inside the deep part."""
    net.enroll("D0")
    parent = net["D0"]
    for number in range(1, 560):  # written directly: 560 enrollments would take long
        parent = Distributor.objects.create(
            member_id=f"D{number}",
            sponsor=parent,
            placement_parent=parent,
            placement_position=1,
            joined_on=parent.joined_on,
        )
    do_recount_network()
    deep = net["D559"]
    assert len(deep.sponsor_path) > sponsor_path.INDEX_CHARS
    assert deep.sponsor_path_key == deep.sponsor_path[: sponsor_path.INDEX_CHARS]
    assert deep.sponsor_depth == 559  # D0 is the root
    for member_id in ("D0", "D100", "D520", "D540", "D555"):
        member = net[member_id]
        assert below_by_path(member) == below_by_walk(member), member_id
    assert len(net["D540"].sponsor_path) > sponsor_path.INDEX_CHARS
    assert do_change_sponsor("D550", "D530", reason="shorter", effective_at=net.tick())
    assert_paths_match_the_tree()
    for member_id in ("D530", "D540", "D550"):
        member = net[member_id]
        assert below_by_path(member) == below_by_walk(member), member_id


def test_a_member_without_a_path_has_nobody_below():
    assert sponsor_path.below_condition("", alias="d") == ("1 = 0", [])


def test_an_import_fills_the_path_of_every_new_member_also_under_existing_ones(
    net, settings, tmp_path
):
    header = "id,sponsor_id,placement_id,placement_position,joined_on,status,kind\n"
    first = tmp_path / "first.csv"
    first.write_text(
        header
        + "R,,,,2026-01-05,active,distributor\n"
        + "A,R,,L,2026-01-06,active,distributor\n"
        + "B,R,,R,2026-01-07,active,distributor\n",
        encoding="utf-8",
    )
    import_files(distributors=first)
    second = tmp_path / "second.csv"
    second.write_text(  # a new member whose sponsor comes after it in the file
        header
        + "D,C,,L,2026-02-05,active,distributor\n"
        + "C,A,,L,2026-02-01,active,distributor\n"
        + "K,D,,,2026-02-06,active,customer\n",
        encoding="utf-8",
    )
    import_files(distributors=second)
    assert_paths_match_the_tree()
    assert below_by_path(net["A"]) == {net[m].pk for m in ("C", "D", "K")}


def test_the_recount_repairs_paths_written_around_the_actions(net):
    net.enroll("R")
    net.many("R", "A", "B")
    net.enroll("C", "A")
    Distributor.objects.filter(member_id__in=["A", "C"]).update(sponsor_path="")
    assert do_recount_network() == 2
    assert_paths_match_the_tree()
