"""The console's chart figures count a period's new distributors by the company's calendar days.

A monthly period starts at midnight in the company's time zone (Europe/Berlin), which is 22:00
or 23:00 UTC of the previous day. A distributor who joined on the last day of August is new in
August, not in September as well.
"""

from __future__ import annotations

from datetime import date

from django.core.cache import cache

from downline.compensation.reports import period_figures
from downline.compensation.runs import do_run_final
from downline.genealogy.models import Distributor

from .conftest import at


def test_new_distributors_are_those_who_joined_on_the_periods_local_days(settings, world):
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"
    cache.clear()
    joined = {
        "N1": ("B", 1, date(2026, 8, 31)),  # August's last day: new in August only
        "N2": ("B", 2, date(2026, 9, 1)),  # September's first day
        "N3": ("C", 1, date(2026, 9, 30)),  # September's last day
        "N4": ("C", 2, date(2026, 10, 1)),  # October's first day
    }
    for member_id, (sponsor, position, day) in joined.items():
        world.add(member_id, sponsor, position)
        Distributor.objects.filter(member_id=member_id).update(joined_on=day)
    world.order("B", 1, at(2026, 9, 10))
    do_run_final(world.period("2026-09"))

    [september] = period_figures()

    assert september.code == "2026-09"
    assert september.new == 2  # N2 and N3
