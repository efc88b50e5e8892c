"""The integrity check: live volumes against a recomputation from the orders."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from downline.orders.actions import do_cancel_order, do_place_order, do_return_order
from downline.orders.models import PeriodVolume
from downline.orders.selectors import compare_period_volumes, recompute_period_volumes
from downline.orders.volumes import fold_volume_changes
from downline.periods.actions import do_close_period

from .conftest import at


@pytest.fixture
def period(tree, shake, kit):
    do_place_order(tree["C"], [(shake, 2)], "EUR", paid_at=at(2025, 3, 3))
    kept = do_place_order(tree["K"], [(shake, 1), (kit, 1)], "EUR", paid_at=at(2025, 3, 4))
    cancelled = do_place_order(tree["B"], [(kit, 2)], "EUR", paid_at=at(2025, 3, 5))
    do_cancel_order(cancelled, reason="Duplicate")
    do_return_order(
        kept, {kept.lines.get(sku="KIT-1"): 1}, refunded_at=at(2025, 3, 9), reason="Unopened"
    )
    fold_volume_changes()  # what the worker's folder does within a second
    return kept.period


def test_the_recomputation_matches_the_live_volumes(tree, period):
    expected = recompute_period_volumes(period)
    assert expected[tree["R"].pk].group_pv == 2500 + 1250
    assert expected[tree["D"].pk].customer_pv == 1250
    # B's own order was cancelled; B still heads C and D in the placement tree
    assert expected[tree["B"].pk].pv == 0
    assert expected[tree["B"].pk].placement_group_pv == 2500 + 1250
    assert compare_period_volumes(period) == []


def test_check_volumes_reports_a_tampered_row_and_fix_repairs_it(tree, period, capsys):
    PeriodVolume.objects.filter(period=period, distributor=tree["A"]).update(group_pv=1)

    with pytest.raises(CommandError, match="1 member has volumes that differ"):
        call_command("check_volumes", "--period", period.code)
    assert "2025-03 A group_pv: live 0.01, from orders 37.50 (differs)" in capsys.readouterr().out

    call_command("check_volumes", "--fix")
    assert "(fixed)" in capsys.readouterr().out
    assert compare_period_volumes(period) == []
    call_command("check_volumes", "--period", period.code)
    assert "2025-03: volumes match the orders." in capsys.readouterr().out


def test_fix_leaves_a_closed_period_alone(tree, period):
    PeriodVolume.objects.filter(period=period, distributor=tree["A"]).update(group_pv=1)
    do_close_period(period)
    with pytest.raises(CommandError, match="Period 2025-03 is closed; its volumes are final"):
        call_command("check_volumes", "--period", period.code, "--fix")
    assert PeriodVolume.objects.get(period=period, distributor=tree["A"]).group_pv == 1


def test_an_unknown_period_is_reported(db):
    with pytest.raises(CommandError, match="There is no period '2031-01'"):
        call_command("check_volumes", "--period", "2031-01")
