"""One id alphabet for member ids and order numbers, enforced at import and when created.

Before: ``A/B`` passed the import and then broke every page that links to the member (500),
and ``=SUM(…)`` or ``-5`` went into CSV files as spreadsheet formulas.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from downline.core.ids import MAX_ID_LENGTH, is_valid_id
from downline.dataset.csv_io import DatasetError, network_from_text, orders_from_text
from downline.dataset.tables import PlacementShape
from downline.genealogy.actions import do_enroll, do_update_details
from downline.genealogy.errors import NetworkIntegrityError
from downline.genealogy.models import Distributor
from downline.orders.actions import do_create_product, do_place_order
from downline.orders.errors import OrderError

HEADER = "id,sponsor_id,placement_id,placement_position,joined_on,status,kind\n"
ROOT = "D0000001,,,,2026-01-05,active,distributor\n"
SHAPE = PlacementShape("binary", 2)
RULE = (
    "is not a valid id: 1 to 64 characters, letters A-Z or a-z, digits, '.', '_' or '-', "
    "starting with a letter or a digit"
)


@pytest.mark.parametrize(
    "value",
    ["D0000002", "C0000042", "O0008501", "DL00000042-2", "shop_1.7", "R", "7", "x" * MAX_ID_LENGTH],
)
def test_the_ids_the_platform_makes_and_uses_are_valid(value):
    assert is_valid_id(value)
    row = f"{value},D0000001,,L,2026-01-06,active,distributor\n"
    assert value in network_from_text(HEADER + ROOT + row, shape=SHAPE).ids


@pytest.mark.parametrize(
    "value",
    [
        "A/B",
        "=SUM(A1:A2)",
        "+49123",
        "-5",
        "@cmd",
        "a b",
        "a?b",
        "a#b",
        "a%2F",
        "ü1",
        ".x",
        "_x",
        "x" * (MAX_ID_LENGTH + 1),
    ],
)
def test_the_import_refuses_ids_outside_the_alphabet_naming_line_and_column(value):
    text = HEADER + ROOT + f'"{value}",D0000001,,L,2026-01-06,active,distributor\n'
    with pytest.raises(DatasetError) as caught:
        network_from_text(text, shape=SHAPE)
    (error,) = caught.value.errors
    assert (error.file, error.line, error.column) == ("distributors.csv", 3, "id")
    assert RULE in str(error)


def test_order_numbers_follow_the_same_alphabet():
    network = network_from_text(HEADER + ROOT, shape=SHAPE)
    text = (
        "id,distributor_id,paid_at,pv,cv,amount,currency,kind,returns_order_id\n"
        "O/1,D0000001,2026-02-10T10:00:00Z,1.00,1.00,1.00,EUR,product,\n"
    )
    with pytest.raises(DatasetError) as caught:
        orders_from_text(text, network=network)
    assert str(caught.value.errors[0]) == f"orders.csv:2: id: 'O/1' {RULE}"


@pytest.mark.django_db
def test_enrolling_a_member_refuses_an_id_outside_the_alphabet():
    do_enroll(member_id="D0000001", sponsor=None, joined_on=date(2026, 1, 5))
    for bad in ("A/B", "=1+1", "-5"):
        with pytest.raises(NetworkIntegrityError) as caught:
            do_enroll(member_id=bad, sponsor="D0000001", joined_on=date(2026, 1, 5))
        assert "the member id must be 1 to 64 characters" in " ".join(caught.value.messages)
    assert not Distributor.objects.exclude(member_id="D0000001").exists()


@pytest.mark.django_db
def test_a_member_stored_before_the_rule_can_still_be_changed():
    root = do_enroll(member_id="D0000001", sponsor=None, joined_on=date(2026, 1, 5))
    Distributor.objects.filter(pk=root.pk).update(member_id="OLD/1")
    do_update_details("OLD/1", name="Still Here")
    assert Distributor.objects.get(member_id="OLD/1").name == "Still Here"


@pytest.mark.django_db
def test_an_order_number_outside_the_alphabet_is_refused():
    with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False):
        buyer = do_enroll(member_id="D0000001", sponsor=None, joined_on=date(2026, 1, 5))
        tea = do_create_product("TEA-1", {"en": "Tea"}, pv=100, cv=100, prices={"EUR": 500})
        for bad in ("A/B", "=1+1", "@x"):
            with pytest.raises(OrderError) as caught:
                do_place_order(buyer, [(tea, 1)], "EUR", number=bad)
            assert "is not a valid order number" in str(caught.value)
        assert do_place_order(buyer, [(tea, 1)], "EUR", number="SHOP-77.1").number == "SHOP-77.1"
