"""Plan versions: validation with line numbers, numbering, comparison by text, meaning and impact."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from downline.compensation.compare import impact, meaning_diff, text_diff
from downline.compensation.plans import (
    PlanVersionError,
    do_create_plan_version,
    plan_version_for,
)

from .conftest import PLAN, at


def raised(text: str) -> str:
    return text.replace("levels: [10%, 5%]", "levels: [12%, 5%]")


def test_a_plan_with_mistakes_is_refused_naming_each_line(db):
    text = PLAN.read_text(encoding="utf-8").replace("rate: 5%", "rate: 500%")
    with pytest.raises(PlanVersionError) as error:
        do_create_plan_version(text)
    [issue] = error.value.issues
    assert issue.startswith("plan.yaml:")
    assert "bonuses[1].rate" in issue


def test_versions_are_numbered_and_compared(world):
    first = plan_version_for(world.period("2026-09"))
    second = do_create_plan_version(raised(first.text), note="richer first level")
    assert (first.number, second.number) == (1, 2)
    assert "-    levels: [10%, 5%]" in text_diff(first, second)
    changes = {change.path: (change.before, change.after) for change in meaning_diff(first, second)}
    assert list(changes) == ["bonuses.unilevel.levels"]
    before, after = changes["bonuses.unilevel.levels"]
    assert before[0] != after[0]
    assert before[1] == after[1]


def test_impact_on_a_stored_period(world, capsys):
    """B's 3 shakes (CV 30.00): A's level 1 goes from 10% (3.00) to 12% (3.60), so R's
    matching on A goes from 1.50 to 1.80."""
    world.order("B", 3, at(2026, 9, 10))
    period = world.period("2026-09")
    first = plan_version_for(period)
    second = do_create_plan_version(raised(first.text))
    result = impact(period, first, second)
    changes = {row.member_id: (row.before, row.after) for row in result.distributors}
    assert changes == {"A": (300, 360), "R": (300, 330)}
    assert result.total_after - result.total_before == 90
    call_command(
        "plan_impact", "--plan", f"#{first.pk}", "--vs", f"#{second.pk}", "--period", "2026-09"
    )
    out = capsys.readouterr().out
    for text in ("bonuses.unilevel.levels", "107.50", "108.40"):
        assert text in out
