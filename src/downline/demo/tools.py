"""The distributor's tools in the demo: academy, contacts, outreach, growth, contests, support and
the assistant, each seeded by its own module after the company's six months are in place.

Each module named in ``TOOL_SEEDS`` has ``seed(ctx: ToolsContext) -> None``. It runs inside the
demo's one transaction (a failure leaves no demo data) with the clock at the demo's present;
a module that wants history sets the clock itself with ``ctx.timeline.at(...)``.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model

from .people import Person
from .timeline import Timeline

Say = Callable[[str], None]
logger = logging.getLogger(__name__)

TOOL_SEEDS: tuple[str, ...] = (
    "downline.demo.academy_demo",
    "downline.demo.contacts_demo",
    "downline.demo.outreach_demo",
    "downline.demo.growth_demo",
    "downline.demo.contests_demo",
    "downline.demo.support_demo",
    "downline.demo.assistant_demo",
)


@dataclass
class ToolsContext:
    """What the tools' seeders may use: the clock, the demo months, the staff logins, the
    personas' member ids by login name, and each member's language and person."""

    timeline: Timeline
    today: date
    months: list[str]  # period codes, oldest first; the last one is open
    admin: object  # the superuser ``admin``
    fiona: object  # the finance login ``fiona``
    persona_ids: dict[str, str]  # login name (emma, …) -> member id
    people: dict[str, tuple[str, Person]]  # member id -> (language, person)
    seed: int
    say: Say

    def login(self, username: str):
        return get_user_model().objects.get(username=username)


def seed_tools(ctx: ToolsContext) -> None:
    for name in TOOL_SEEDS:
        started = time.perf_counter()
        importlib.import_module(name).seed(ctx)
        logger.info("demo: %s seeded in %.1f s", name, time.perf_counter() - started)
