"""Rebuilding the counters after rows were written around the actions (a bulk load)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from downline.genealogy.actions import do_recount_network
from downline.genealogy.errors import NetworkIntegrityError
from downline.genealogy.models import Distributor

from .conftest import JOINED, messages_of


def bulk_load_binary(levels: int) -> None:
    """A perfect binary tree loaded straight into the table, counters all zero."""
    Distributor.objects.create(member_id="N1", joined_on=JOINED)
    for number in range(2, 2 ** (levels + 1)):
        parent = Distributor.objects.get(member_id=f"N{number // 2}")
        Distributor.objects.create(
            member_id=f"N{number}",
            joined_on=JOINED,
            sponsor=parent,
            placement_parent=parent,
            placement_position=1 + number % 2,
        )


def test_recount_rebuilds_counts_and_free_depths(db):
    bulk_load_binary(3)  # 15 members
    Distributor.objects.filter(member_id__in=["N6", "N15"]).update(status="terminated")
    corrected = do_recount_network()
    assert corrected == 8  # the 7 inner members, and the terminated leaf N15
    root = Distributor.objects.get(member_id="N1")
    assert (root.enrollment_downline, root.placement_downline) == (14, 14)
    assert root.placement_free_depth == 3
    n3 = Distributor.objects.get(member_id="N3")
    assert (n3.placement_downline, n3.placement_free_depth) == (6, 2)
    assert Distributor.objects.get(member_id="N6").placement_free_depth == 1
    assert Distributor.objects.get(member_id="N12").placement_free_depth == 0
    assert Distributor.objects.get(member_id="N15").placement_free_depth is None
    assert do_recount_network() == 0


def test_recount_refuses_a_network_with_a_cycle(db):
    bulk_load_binary(2)
    Distributor.objects.filter(member_id="N2").update(
        sponsor=Distributor.objects.get(member_id="N4")
    )
    with pytest.raises(NetworkIntegrityError) as caught:
        do_recount_network()
    assert messages_of(caught.value) == (
        "These members cannot be reached from the root of the network (a cycle or a missing "
        "parent): N2, N4, N5. Nothing was recounted."
    )
    assert Distributor.objects.get(member_id="N1").enrollment_downline == 0


def test_recount_command(db):
    bulk_load_binary(1)
    output = StringIO()
    call_command("recount_network", stdout=output)
    assert output.getvalue() == "Members corrected: 1.\n"
    n2, n3 = Distributor.objects.get(member_id="N2"), Distributor.objects.get(member_id="N3")
    Distributor.objects.filter(pk=n2.pk).update(sponsor=n3)
    Distributor.objects.filter(pk=n3.pk).update(sponsor=n2)
    with pytest.raises(CommandError, match="cannot be reached from the root"):
        call_command("recount_network", stdout=output)
