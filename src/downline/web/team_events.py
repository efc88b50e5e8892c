"""Recent events in a distributor's team, from every app that has some to tell.

Each source is a function ``(member, limit) -> list[TeamEvent]`` registered with
``register_team_event_source``; the dashboard merges their events, newest first. This app
registers new recruits (``StructureEvent`` rows of kind ``enrolled``). Rank advancements are
registered by the commission runs when they record them (``downline.compensation``): that is the
extension point, and there is no other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from downline.genealogy.models import Distributor

RECRUIT = "recruit"
RANK_ADVANCEMENT = "rank_advancement"


@dataclass(frozen=True)
class TeamEvent:
    """Something that happened to ``member_id`` (in the viewer's team) at ``at``.

    ``kind`` is ``recruit`` or ``rank_advancement`` (or a kind a later source adds); ``text`` is
    the sentence shown, already translated; ``level`` is how far below the viewer the member is
    in the enrollment tree, when known.
    """

    at: datetime
    kind: str
    member_id: str
    name: str
    text: str
    level: int | None = None


TeamEventSource = Callable[[Distributor, int], list[TeamEvent]]
_SOURCES: list[TeamEventSource] = []


def register_team_event_source(source: TeamEventSource) -> TeamEventSource:
    """Add a source of team events (usable as a decorator); registering twice is harmless."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def team_event_sources() -> list[TeamEventSource]:
    return list(_SOURCES)


def recent_team_events(member: Distributor, limit: int = 10) -> list[TeamEvent]:
    """The ``limit`` newest events of every registered source, newest first."""
    events: list[TeamEvent] = []
    for source in _SOURCES:
        events.extend(source(member, limit))
    events.sort(key=lambda event: event.at, reverse=True)
    return events[:limit]
