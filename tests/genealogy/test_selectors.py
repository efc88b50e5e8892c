"""Live reads: front lines, downline pages, upline paths, counts; pinned query counts."""

from __future__ import annotations

import pytest

from downline.genealogy.selectors import (
    downline_page,
    front_line,
    subtree_counts,
    upline_path,
)


def ids(rows) -> list[str]:
    return [row.member_id for row in rows]


@pytest.fixture
def spilled(net):
    """R with M01..M14 all sponsored by R, spilled into a full binary tree of 3 levels.

    M03 also has two retail customers, K1 and K2.
    """
    net.enroll("R")
    net.many("R", *[f"M{n:02}" for n in range(1, 15)])
    net.many("M03", "K1", "K2", kind="customer")
    return net


def test_front_lines(spilled):
    assert ids(front_line(spilled["M03"])) == ["K1", "K2"]
    assert ids(front_line(spilled["M03"], include_customers=False)) == []
    assert ids(front_line(spilled["M03"], "placement")) == ["M07", "M08"]
    assert ids(front_line(spilled["R"], "placement")) == ["M01", "M02"]
    assert len(front_line(spilled["R"])) == 14


def test_downline_page_orders_by_level_then_member_and_counts_every_level(spilled):
    first = downline_page(spilled["R"], "placement", max_depth=3, page=1, page_size=5)
    assert [(row.member_id, row.level) for row in first.rows] == [
        ("M01", 1),
        ("M02", 1),
        ("M03", 2),
        ("M04", 2),
        ("M05", 2),
    ]
    assert first.counts_per_level == {1: 2, 2: 4, 3: 8}
    assert (first.total, first.num_pages, first.has_next) == (14, 3, True)
    last = downline_page(spilled["R"], "placement", max_depth=3, page=3, page_size=5)
    assert [(row.member_id, row.level) for row in last.rows] == [
        ("M11", 3),
        ("M12", 3),
        ("M13", 3),
        ("M14", 3),
    ]
    assert not last.has_next


def test_downline_page_depth_and_customers(spilled):
    page = downline_page(spilled["M01"], "placement", max_depth=2)
    assert ids(page.rows) == ["M03", "M04", "M07", "M08", "M09", "M10"]
    assert page.counts_per_level == {1: 2, 2: 4}
    enrollment = downline_page(spilled["M03"], "enrollment", max_depth=2)
    assert enrollment.rows == []
    assert enrollment.counts_per_level == {1: 0, 2: 0}
    with_customers = downline_page(spilled["M03"], max_depth=2, include_customers=True)
    assert ids(with_customers.rows) == ["K1", "K2"]
    assert downline_page(spilled["R"], max_depth=1).counts_per_level == {1: 14}


def test_downline_page_rejects_bad_arguments(spilled):
    root = spilled["R"]
    with pytest.raises(ValueError, match=r"max_depth must be 1\.\.20, not 0"):
        downline_page(root, max_depth=0)
    with pytest.raises(ValueError, match="page must be 1 or more, not 0"):
        downline_page(root, page=0)
    with pytest.raises(ValueError, match=r"page_size must be 1\.\.500, not 501"):
        downline_page(root, page_size=501)
    with pytest.raises(ValueError, match="tree must be one of enrollment, placement"):
        downline_page(root, tree="sideways")


def test_upline_path_goes_from_the_member_to_the_root(spilled):
    path = upline_path(spilled["M14"], "placement")
    assert [(row.member_id, row.level) for row in path] == [
        ("M14", 0),
        ("M06", 1),
        ("M02", 2),
        ("R", 3),
    ]
    assert ids(upline_path(spilled["K1"])) == ["K1", "M03", "R"]
    assert ids(upline_path(spilled["R"])) == ["R"]


def test_subtree_counts_come_from_the_maintained_counters(spilled):
    counts = subtree_counts(spilled["R"])
    assert (counts.enrollment, counts.placement, counts.personal_customers) == (14, 14, 0)
    counts = subtree_counts(spilled["M03"])
    assert (counts.enrollment, counts.placement, counts.personal_customers) == (0, 2, 2)


@pytest.mark.parametrize("size", [3, 120])
def test_reads_take_a_fixed_number_of_queries(net, django_assert_num_queries, size):
    net.enroll("R")
    net.many("R", *[f"M{n:03}" for n in range(size)])
    root, deepest = net["R"], net[f"M{size - 1:03}"]
    with django_assert_num_queries(2):
        downline_page(root, "placement", max_depth=5, page=2, page_size=10)
    with django_assert_num_queries(2):
        downline_page(root, "enrollment", max_depth=3)
    with django_assert_num_queries(1):
        upline_path(deepest, "placement")
    with django_assert_num_queries(1):
        subtree_counts(root)
