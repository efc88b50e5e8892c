"""Rank advancements as team events (registered with ``register_team_event_source``).

An advancement is what ``compensation.reports`` defines: a member's highest rank in a run is
above their highest rank in the run before it, for the pairs (previous final, latest final) and
(latest final, newest projection of the open period). A final advancement is dated when its run
finished; a projected one (the period is still open, it may change) when the projection read
its inputs, and its sentence says "on track".

Like new recruits, a small team (up to ``selectors.SMALL_TEAM`` below) is walked down and joined
with the runs' results; for a larger one the highest advancements of the whole network (at most
``reports.ADVANCEMENT_CANDIDATES`` per pair, cached per pair of runs) are checked by walking up
from each until the viewer or the root.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext

from downline.compensation.labels import rank_label
from downline.compensation.models import Run
from downline.compensation.reports import (
    RunPair,
    advancement_pairs,
    advancements_in_team,
    network_advancements,
    rank_names,
)
from downline.genealogy.models import Distributor
from downline.genealogy.tree_sql import ENROLLMENT, TABLE

from . import selectors
from .team_events import RANK_ADVANCEMENT, TeamEvent, register_team_event_source

DOWNLINE_SQL = f"""WITH RECURSIVE downline(id, lvl) AS (
    SELECT d.id, 1 FROM {TABLE} d WHERE d.sponsor_id = CAST(%s AS BIGINT) AND d.kind = 'distributor'
    UNION ALL
    SELECT d.id, w.lvl + 1 FROM {TABLE} d JOIN downline w ON d.sponsor_id = w.id
    WHERE d.kind = 'distributor'
)"""


def _event(pair: RunPair, member: Distributor, new: int, level: int | None) -> TeamEvent:
    run = pair.after
    rank = rank_label(run.plan_version, rank_names(run)[new])
    values = {
        "name": member.name or member.member_id,
        "member": member.member_id,
        "rank": rank,
        "period": run.period.code,
    }
    if run.kind == Run.Kind.FINAL:
        text = gettext("%(name)s (%(member)s) reached %(rank)s in %(period)s.") % values
        at = run.finished_at
    else:
        text = (
            gettext("%(name)s (%(member)s) is on track to reach %(rank)s in %(period)s.") % values
        )
        at = run.computed_at
    return TeamEvent(
        at=at,
        kind=RANK_ADVANCEMENT,
        member_id=member.member_id,
        name=member.name,
        text=text,
        level=level,
    )


@register_team_event_source
def rank_advancements(member: Distributor, limit: int) -> list[TeamEvent]:
    """Rank advancements of members of ``member``'s enrollment downline (see the module)."""
    if member.enrollment_downline == 0:
        return []
    pairs = advancement_pairs()
    found: list[tuple[RunPair, int, int, int | None]] = []  # pair, id, new rank, level
    for pair in pairs:
        if member.enrollment_downline <= selectors.SMALL_TEAM:
            rows = advancements_in_team(pair, DOWNLINE_SQL, [member.pk])
            rows.sort(key=lambda row: (-row[2], row[0]))
            found.extend((pair, pk, new, level) for pk, _old, new, level in rows[:limit])
        else:
            candidates = network_advancements(pair)
            with connection.cursor() as cursor:
                levels = selectors._levels_below(
                    cursor, member, [row[0] for row in candidates], ENROLLMENT
                )
            kept = [(pair, pk, new, levels[pk]) for pk, _old, new in candidates if pk in levels]
            found.extend(kept[:limit])
    if not found:
        return []
    members = Distributor.objects.only("id", "member_id", "name").in_bulk([row[1] for row in found])
    return [_event(pair, members[pk], new, level) for pair, pk, new, level in found]
