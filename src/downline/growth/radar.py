"""The sponsor's radar: who in a sponsor's team needs them today, and the exact figure why.

``build(day)`` computes every reason for the whole network at once (a handful of set-based
queries and NumPy passes over the columns, never a query per member) and stores one
``RadarItem`` per (sponsor, member, reason) for ``day``; each member's item goes to their
enrollment sponsor (first level) and, when they have a current mentor, to the mentor too.

Reasons (the key, then ``params``; volumes in hundredths, DESIGN rule 12):

* ``newcomer_no_order`` — joined ``day_n`` days ago (day 1 = the joining day, within
  ``DOWNLINE_RADAR_NEWCOMER_DAYS``, default 30) and no order credited to them yet.
* ``newcomer_no_lesson`` — as above, no lesson completed in the academy (when it is installed).
* ``inactive`` — not active in the open period so far: ``days_left`` in the period and the
  ``pv_missing``/``cv_missing`` to the plan's activity minimums (live ``PeriodVolume``).
* ``close_to_rank`` — the latest projection has them within ``DOWNLINE_RADAR_CLOSE_PERCENT``
  (default 80) % of every volume condition of their next rank (the lowest above their paid-as
  rank, as in their trace): ``rank``, ``version``, ``missing`` {condition: volume} (pv, gv,
  qualifying_volume) and, from the projection's stored traces, ``conditions``: every
  condition of that rank that does not hold with its required and actual value, legs holding
  a rank included, and for the counted volume the legs still below the per-leg cap with their
  group volume (``growth.rank_gaps``).
* ``rank_dropped`` — paid as a lower rank in the newest final run than in the one before:
  ``from_rank``, ``to_rank``, ``period``, ``version``.
* ``autoship_failed`` — an active autoship's order failed in the last 7 days: ``due_on``,
  ``attempts``.
* ``certificate_expiring`` — an academy certificate expires within 30 days: ``certificate``,
  ``expires_on``, ``days_left``.

Items a sponsor already acted on (done, dismissed or with an action) are kept; the others of
the day are replaced by the new build, so building twice gives the same list.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from downline.academy.selectors import started_or_completed
from downline.calendar import bounds_for_instant
from downline.compensation.models import Run
from downline.compensation.plans import loaded_plan, plan_version_for
from downline.core.bulk_sql import Const, Packed, insert_rows, is_postgresql, read_columns
from downline.genealogy.models import Distributor
from downline.orders.models import Autoship, AutoshipRun, Order, PeriodVolume
from downline.orders.volumes import settle_live_volumes
from downline.periods.models import Period

from . import rank_gaps
from .models import MentorAssignment, RadarItem

logger = logging.getLogger(__name__)

NEWCOMER_NO_ORDER = "newcomer_no_order"
NEWCOMER_NO_LESSON = "newcomer_no_lesson"
INACTIVE = "inactive"
CLOSE_TO_RANK = "close_to_rank"
RANK_DROPPED = "rank_dropped"
AUTOSHIP_FAILED = "autoship_failed"
CERTIFICATE_EXPIRING = "certificate_expiring"
REASONS = (
    NEWCOMER_NO_ORDER,
    NEWCOMER_NO_LESSON,
    INACTIVE,
    CLOSE_TO_RANK,
    RANK_DROPPED,
    AUTOSHIP_FAILED,
    CERTIFICATE_EXPIRING,
)
DT = Distributor._meta.db_table


def newcomer_days() -> int:
    return int(getattr(settings, "DOWNLINE_RADAR_NEWCOMER_DAYS", 30))


def close_percent() -> int:
    return int(getattr(settings, "DOWNLINE_RADAR_CLOSE_PERCENT", 80))


@dataclass
class Found:
    """Members found for one reason: their database ids and each one's params as JSON text
    (the reasons with many members write the text from a format, see :func:`json_format`)."""

    reason: str
    members: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    sponsors: list[int] = field(default_factory=list)

    def add(self, member: int, params: dict, sponsor: int | None = None) -> None:
        self.members.append(int(member))
        self.texts.append(json.dumps(params))
        self.sponsors.append(int(sponsor or 0))

    def extend(self, members: list[int], texts: list[str], sponsors: list[int]) -> None:
        self.members.extend(members)
        self.texts.extend(texts)
        self.sponsors.extend(sponsors)


def json_format(params: dict[str, object]) -> str:
    """A ``%``-format that writes the JSON of ``params`` with each integer-valued key as
    ``%d`` (the other values fixed): ``json_format({"day_n": 0}) % (4,)`` equals
    ``json.dumps({"day_n": 4})``, at a fraction of its cost per member."""
    parts = []
    for key, value in params.items():
        text = "%d" if value is int else json.dumps(value).replace("%", "%%")
        parts.append(f"{json.dumps(key).replace('%', '%%')}: {text}")
    return "{" + ", ".join(parts) + "}"


def _rows(sql: str, params: list) -> list[list]:
    return read_columns(sql, params)


# --------------------------------------------------------------------------- the reasons


def newcomers(day: date) -> tuple[Found, Found]:
    """Newcomers of the window; "no order" is one read of the window's credited orders and a
    NumPy set test, not a subquery per member."""
    since = day - timedelta(days=newcomer_days() - 1)
    cols = _rows(
        f"SELECT d.id, d.joined_on, d.sponsor_id FROM {DT} d "
        "WHERE d.kind = 'distributor' AND d.status = 'active' AND d.sponsor_id IS NOT NULL "
        "AND d.joined_on >= %s AND d.joined_on <= %s",
        [since, day],
    )
    no_order, no_lesson = Found(NEWCOMER_NO_ORDER), Found(NEWCOMER_NO_LESSON)
    if not cols:
        return no_order, no_lesson
    ids, joined, sponsors = cols
    # an order credited to a newcomer is paid after they joined (a day's margin for time zones)
    start = datetime(since.year, since.month, since.day, tzinfo=UTC) - timedelta(days=1)
    ordered = _rows(
        f"SELECT DISTINCT o.distributor_id FROM {Order._meta.db_table} o "
        "WHERE o.paid_at >= %s AND o.returns_order_id IS NULL AND o.status <> 'cancelled'",
        [start],
    )
    with_order = np.asarray(ordered[0] if ordered else [], dtype=np.int64)
    pks = np.asarray(ids, dtype=np.int64)
    sponsor_pks = np.asarray(sponsors, dtype=np.int64)
    epoch_days = np.asarray(
        [on if isinstance(on, date) else date.fromisoformat(on) for on in joined],
        dtype="datetime64[D]",
    )
    day_n = (np.datetime64(day, "D") - epoch_days).astype(np.int64) + 1
    template = json_format({"day_n": int})
    rows = np.flatnonzero(~np.isin(pks, with_order))
    no_order.extend(
        pks[rows].tolist(),
        [template % (n,) for n in day_n[rows].tolist()],
        sponsor_pks[rows].tolist(),
    )
    lessons = started_or_completed(
        Distributor.objects.filter(
            kind=Distributor.Kind.DISTRIBUTOR,
            status=Distributor.Status.ACTIVE,
            sponsor__isnull=False,
            joined_on__gte=since,
            joined_on__lte=day,
        ).values("pk")
    )
    done = np.asarray([pk for pk, n in lessons.items() if n], dtype=np.int64)
    rows = np.flatnonzero(~np.isin(pks, done))
    no_lesson.extend(
        pks[rows].tolist(),
        [template % (n,) for n in day_n[rows].tolist()],
        sponsor_pks[rows].tolist(),
    )
    return no_order, no_lesson


def _period_of(day: date) -> tuple[Period | None, object]:
    zone = settings.DOWNLINE_TIME_ZONE
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    bounds = bounds_for_instant(noon, settings.DOWNLINE_PERIOD_KIND, zone)
    return Period.objects.filter(code=bounds.code).first(), bounds


def inactive(day: date, skip: set[int]) -> Found:
    found = Found(INACTIVE)
    period, bounds = _period_of(day)
    if period is None:
        return found
    version = plan_version_for(period)
    rule = loaded_plan(version).plan.activity if version is not None else None
    pv_min = (rule.pv_at_least or 0) if rule is not None else 0
    cv_min = (rule.cv_at_least or 0) if rule is not None else 0
    if pv_min <= 0 and cv_min <= 0:
        return found
    settle_live_volumes(period.pk)
    cols = _rows(
        f"SELECT d.id, COALESCE(v.pv, 0), COALESCE(v.cv, 0), d.sponsor_id FROM {DT} d "
        f"LEFT JOIN {PeriodVolume._meta.db_table} v ON v.period_id = %s AND v.distributor_id = d.id "
        "WHERE d.kind = 'distributor' AND d.status = 'active' AND d.sponsor_id IS NOT NULL "
        "AND d.joined_on <= %s AND (COALESCE(v.pv, 0) < %s OR COALESCE(v.cv, 0) < %s)",
        [period.pk, day, pv_min, cv_min],
    )
    if not cols:
        return found
    days_left = (bounds.last_day - day).days + 1
    pks = np.asarray(cols[0], dtype=np.int64)
    rows = np.flatnonzero(~np.isin(pks, np.asarray(sorted(skip), dtype=np.int64)))
    pv_missing = np.maximum(0, pv_min - np.asarray(cols[1], dtype=np.int64)[rows])
    cv_missing = np.maximum(0, cv_min - np.asarray(cols[2], dtype=np.int64)[rows])
    template = json_format(
        {"days_left": days_left, "pv_missing": int, "cv_missing": int, "period": period.code}
    )
    found.extend(
        pks[rows].tolist(),
        [template % pair for pair in zip(pv_missing.tolist(), cv_missing.tolist(), strict=True)],
        np.asarray(cols[3], dtype=np.int64)[rows].tolist(),
    )
    return found


VOLUME_CONDITIONS = ("pv", "gv", "qualifying_volume")


def close_to_rank(day: date) -> Found:
    """Members within ``close_percent`` of every volume condition of their next rank (the
    lowest above their paid-as rank, as in their trace), from the latest projection of the
    open period: the candidates come out of the result columns in one query (NumPy over
    them), then the projection's stored traces say every condition of that rank that does not
    hold, with required and actual values and the legs still below the per-leg cap
    (``rank_gaps``). A projection without traces as numbers gives the volume conditions
    only."""
    found = Found(CLOSE_TO_RANK)
    period, _bounds = _period_of(day)
    if period is None:
        return found
    run = (
        Run.objects.filter(period=period, kind=Run.Kind.PROJECTION)
        .select_related("plan_version")
        .order_by("-computed_at", "-id")
        .first()
    )
    if run is None:
        return found
    plan = loaded_plan(run.plan_version).plan
    ranks = plan.ranks
    share = close_percent()
    needs: dict[int, dict[str, int]] = {}
    for index in range(1, len(ranks)):
        rank = ranks[index]
        required = {
            "pv": rank.pv,
            "gv": rank.gv,
            "qualifying_volume": rank.qualifying_volume.at_least
            if rank.qualifying_volume
            else None,
        }
        required = {k: int(v) for k, v in required.items() if v}
        if required:
            needs[index] = required
    if not needs:
        return found
    # only the rows within share % of every volume condition of their next rank leave the
    # database: have * 100 >= need * share
    clauses, params = [], []
    for index, required in needs.items():
        parts = ["r.paid_as_rank = %s"]
        params.append(index - 1)
        for name, need in required.items():
            parts.append(f"r.{name} * 100 >= %s")
            params.append(need * share)
        clauses.append("(" + " AND ".join(parts) + ")")
    cols = _rows(
        "SELECT r.distributor_id, r.paid_as_rank, r.pv, r.gv, r.qualifying_volume, "
        f"d.sponsor_id FROM {RunResult_table()} r JOIN {DT} d ON d.id = r.distributor_id "
        "WHERE r.run_id = %s AND d.sponsor_id IS NOT NULL AND d.status = 'active' "
        f"AND d.kind = 'distributor' AND ({' OR '.join(clauses)})",
        [run.pk, *params],
    )
    if not cols:
        return found
    ids = np.asarray(cols[0], dtype=np.int64)
    paid_as = np.asarray(cols[1], dtype=np.int64)
    have = {
        name: np.asarray(cols[i + 2], dtype=np.int64) for i, name in enumerate(VOLUME_CONDITIONS)
    }
    sponsors = np.asarray(cols[5], dtype=np.int64)
    gaps = rank_gaps.rank_gaps(run.pk, plan, ids) if rank_gaps.has_traces(run.pk) else None
    for index, required in needs.items():
        mask = paid_as == index - 1
        gap = np.zeros(len(ids), dtype=np.int64)
        for name, need in required.items():
            mask &= have[name] * 100 >= need * share
            gap += np.maximum(0, need - have[name])
        if gaps is None:
            mask &= gap > 0
        for row in np.flatnonzero(mask).tolist():
            item = {"rank": ranks[index].name, "version": run.plan_version_id}
            if gaps is not None:
                conditions = gaps.get(int(ids[row]))
                if not conditions:  # holds the rank, or no stored trace
                    continue
                item["conditions"] = conditions
            item["missing"] = {
                name: int(need - have[name][row])
                for name, need in required.items()
                if need > have[name][row]
            }
            found.add(ids[row], item, sponsors[row])
    return found


def RunResult_table() -> str:
    from downline.compensation.models import RunResult

    return RunResult._meta.db_table


def rank_dropped(day: date) -> Found:
    found = Found(RANK_DROPPED)
    finals = list(
        Run.objects.filter(kind=Run.Kind.FINAL, period__starts_at__lt=_day_end(day))
        .select_related("period", "plan_version")
        .order_by("-period__starts_at")[:2]
    )
    if len(finals) < 2:
        return found
    newer, older = finals
    new_names = [r.name for r in loaded_plan(newer.plan_version).plan.ranks]
    old_names = [r.name for r in loaded_plan(older.plan_version).plan.ranks]
    table = RunResult_table()
    cols = _rows(
        f"SELECT n.distributor_id, o.paid_as_rank, n.paid_as_rank, d.sponsor_id FROM {table} n "
        f"JOIN {table} o ON o.run_id = %s AND o.distributor_id = n.distributor_id "
        f"JOIN {DT} d ON d.id = n.distributor_id "
        "WHERE n.run_id = %s AND n.paid_as_rank < o.paid_as_rank AND d.sponsor_id IS NOT NULL "
        "AND d.kind = 'distributor'",
        [older.pk, newer.pk],
    )
    if not cols:
        return found
    for pk, before, after, sponsor in zip(*cols, strict=True):
        found.add(
            pk,
            {
                "from_rank": old_names[before],
                "to_rank": new_names[after],
                "period": newer.period.code,
                "version": newer.plan_version_id,
            },
            sponsor,
        )
    return found


def _day_end(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


def autoship_failed(day: date) -> Found:
    found = Found(AUTOSHIP_FAILED)
    since = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=7)
    rows = (
        AutoshipRun.objects.filter(
            outcome=AutoshipRun.Outcome.FAILED,
            autoship__active=True,
            last_attempt_at__gte=since,
            last_attempt_at__lt=_day_end(day),
            autoship__distributor__sponsor__isnull=False,
        )
        .order_by("autoship__distributor_id", "-due_on")
        .values_list(
            "autoship__distributor_id", "due_on", "attempts", "autoship__distributor__sponsor_id"
        )
    )
    seen: set[int] = set()
    for pk, due_on, attempts, sponsor in rows:
        if pk in seen:
            continue
        seen.add(pk)
        found.add(pk, {"due_on": due_on.isoformat(), "attempts": attempts}, sponsor)
    assert Autoship  # the model whose runs are read
    return found


def certificates_expiring(day: date) -> Found:
    found = Found(CERTIFICATE_EXPIRING)
    try:
        from downline.academy.selectors import certificates_expiring as expiring
    except ImportError:
        return found
    rows = list(expiring(30, on=day))
    sponsor_of = dict(
        Distributor.objects.filter(pk__in=[r[0] for r in rows]).values_list("pk", "sponsor_id")
    )
    for member_pk, key, expires_on in rows:
        if not sponsor_of.get(member_pk):
            continue
        found.add(
            member_pk,
            {
                "certificate": key,
                "expires_on": expires_on.isoformat(),
                "days_left": (expires_on - day).days,
            },
            sponsor_of[member_pk],
        )
    return found


# --------------------------------------------------------------------------- storing


def _json_column(texts: list[str]) -> object:
    """JSON values for ``insert_rows``: binary jsonb for ``COPY``, text on SQLite."""
    if not is_postgresql():
        return texts
    joined = "\x01" + "\x01".join(texts) if texts else ""
    if joined.isascii():  # one byte a character: each value is 1 + len(text) bytes
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
        return Packed(lengths=lengths, data=np.frombuffer(joined.encode(), dtype=np.uint8))
    payloads = [b"\x01" + t.encode() for t in texts]
    return Packed(
        lengths=np.fromiter(map(len, payloads), dtype=np.int64, count=len(payloads)),
        data=np.frombuffer(b"".join(payloads), dtype=np.uint8),
    )


def _digests(day: date, sponsors: np.ndarray, members: np.ndarray) -> int:
    """One ``radar_digest`` notification per sponsor with open items ("N people need you
    today": distinct members), written with ``COPY``; a sponsor already told today (a digest
    delivered before a rebuild) is not told again, an undelivered one is replaced."""
    from .models import Notification

    told = Notification.objects.filter(kind="radar_digest", params__day=day.isoformat())
    told.filter(delivered_at__isnull=True).delete()
    done = np.asarray(list(told.values_list("recipient_id", flat=True)), dtype=np.int64)
    pairs = np.unique(sponsors.astype(np.int64) * (1 << 32) + members.astype(np.int64))
    who, count = np.unique(pairs >> 32, return_counts=True)
    keep = ~np.isin(who, done)
    who, count = who[keep], count[keep]
    template = json_format({"count": int, "day": day.isoformat()})
    text = [template % (n,) for n in count.tolist()]
    insert_rows(
        Notification,
        {
            "recipient_id": who,
            "kind": Const("radar_digest"),
            "params": _json_column(text),
            "created_at": Const(timezone.now()),
            "digest_pending": Const(False),
        },
        len(who),
    )
    return len(who)


def build(day: date, *, on_step: Callable[[str], None] | None = None) -> tuple[int, dict]:
    """Compute and store the radar of ``day`` for every sponsor; returns the number of items
    stored and seconds per step."""
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[name] = round(now - started, 3)
        started = now
        if on_step:
            on_step(name)

    no_order, no_lesson = newcomers(day)
    step("newcomers")
    found = [no_order, no_lesson, inactive(day, set(no_order.members))]
    step("inactive")
    found.append(close_to_rank(day))
    step("close_to_rank")
    found.append(rank_dropped(day))
    step("rank_dropped")
    found.append(autoship_failed(day))
    found.append(certificates_expiring(day))
    step("autoships_certificates")

    members = np.asarray([m for f in found for m in f.members], dtype=np.int64)
    reasons = [f.reason for f in found for _m in f.members]
    params = [text for f in found for text in f.texts]
    sponsors = np.asarray([x for f in found for x in f.sponsors], dtype=np.int64)
    via = np.zeros(len(members), dtype=bool)
    mentors = dict(
        MentorAssignment.objects.filter(ended_at__isnull=True).values_list("member_id", "mentor_id")
    )
    if mentors:
        extra = [i for i, m in enumerate(members.tolist()) if m in mentors]
        if extra:
            members = np.concatenate([members, members[extra]])
            sponsors = np.concatenate(
                [sponsors, np.asarray([mentors[int(members[i])] for i in extra], dtype=np.int64)]
            )
            reasons += [reasons[i] for i in extra]
            params += [params[i] for i in extra]
            via = np.concatenate([via, np.ones(len(extra), dtype=bool)])
    keep = sponsors > 0
    with transaction.atomic():
        # one statement: an open item without an action has no follow-up or message
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {RadarItem._meta.db_table} WHERE day = %s AND state = 'open' "
                "AND action = ''",
                [connection.ops.adapt_datefield_value(day)],
            )
        kept = set(
            RadarItem.objects.filter(day=day).values_list("sponsor_id", "member_id", "reason")
        )
        if kept:
            for i in np.flatnonzero(keep).tolist():
                if (int(sponsors[i]), int(members[i]), reasons[i]) in kept:
                    keep[i] = False
        rows = np.flatnonzero(keep)
        # in index order (sponsor, member): the indexes are written page by page
        rows = rows[np.lexsort((members[rows], sponsors[rows]))]
        count = len(rows)
        param_column = _json_column([params[i] for i in rows.tolist()])
        step("prepared")
        insert_rows(
            RadarItem,
            {
                "sponsor_id": sponsors[rows],
                "member_id": members[rows],
                "reason": [reasons[i] for i in rows.tolist()],
                "params": param_column,
                "day": Const(day),
                "via_mentor": via[rows],
                "state": Const(RadarItem.State.OPEN.value),
                "action": Const(""),
                "action_params": Const({}) if is_postgresql() else Const("{}"),
            },
            count,
        )
        step("stored")
        _digests(day, sponsors[rows], members[rows])
    step("digests")
    logger.info("radar of %s: %s items (%s)", day, count, timings)
    return count, timings
