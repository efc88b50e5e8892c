"""A contest's inputs read in bulk (columnar SQL), scored by ``scoring``, written as standings.

Reads, for the contest's window (company-local days ``starts_on`` … ``ends_on``):

1. the distributors (id, status, country): one query;
2. the orders paid in the window, net of their returns (one query with the returns summed in a
   sub-select), cancelled orders left out; for ``new_customers`` instead each retail
   customer's first order, when it falls in the window;
3. for the activity metrics, the per-day counters of ``ActivityCount`` in the window.

Standings are then replaced in one transaction: only members with a position are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from downline.core.bulk_sql import (
    Const,
    insert_rows,
    instants,
    is_postgresql,
    naive_utc_sql,
    read_columns,
    table_of,
)
from downline.genealogy.models import Distributor
from downline.genealogy.rules import company_today
from downline.orders.models import Order
from downline.periods.selectors import company_time_zone

from . import scoring
from .definition import Contest as Definition
from .models import ActivityCount, Contest, HeldCertificate, Standing

ACTIVITY_KINDS = {
    "training_completed": ActivityCount.Kind.LESSON,
    "webinar_attendance": ActivityCount.Kind.WEBINAR,
    "rank_advancements": ActivityCount.Kind.RANK,
}
EPOCH = np.datetime64("1970-01-01T00:00:00", "us")


@dataclass
class Computed:
    member_ids: np.ndarray  # database ids, row order
    country: list[str]
    scores: scoring.Scores
    eligible: np.ndarray
    position: np.ndarray
    tier: np.ndarray


def window_bounds(definition: Definition) -> tuple[datetime, datetime]:
    """The window as aware instants: company-local midnight of the first day, and of the day
    after the last."""
    zone = ZoneInfo(company_time_zone())
    start = datetime.combine(definition.starts_on, time(0), tzinfo=zone)
    end = datetime.combine(definition.ends_on + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def micros_sql(column: str) -> str:
    """An instant column as microseconds since 1970 (UTC): an exact integer straight from
    PostgreSQL (``EXTRACT`` gives an exact numeric), so 3,000,000 orders need no Python
    ``datetime``; on SQLite the naive UTC text, converted by :func:`_micros`."""
    if is_postgresql():
        return f"(EXTRACT(EPOCH FROM {column}) * 1000000)::bigint"
    return naive_utc_sql(column)


def _micros(values: list) -> np.ndarray:
    if not values:
        return np.zeros(0, dtype=np.int64)
    if isinstance(values[0], int):
        return np.asarray(values, dtype=np.int64)
    return (instants(values) - EPOCH).astype(np.int64)


def _utc_naive(moment: datetime):
    from django.db import connection

    if connection.vendor == "postgresql":
        return moment
    return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def to_instant(micros: int) -> datetime | None:
    if micros < 0:
        return None
    return datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC")) + timedelta(microseconds=int(micros))


def compute(definition: Definition) -> Computed:
    """Score ``definition`` over every distributor (see the module docstring)."""
    people = table_of(Distributor)
    orders = table_of(Order)
    columns = read_columns(
        f"SELECT id, status, country FROM {people} WHERE kind = %s ORDER BY id",
        [Distributor.Kind.DISTRIBUTOR],
    )
    ids = np.asarray(columns[0] if columns else [], dtype=np.int64)
    status = np.asarray(columns[1] if columns else [], dtype=object)
    country = list(columns[2]) if columns else []
    n = len(ids)
    start, end = window_bounds(definition)
    paid = micros_sql("o.paid_at")
    rows = read_columns(
        f"SELECT o.distributor_id, o.buyer_id, o.is_customer_order, "
        f"o.pv - COALESCE(r.pv, 0), {paid} FROM {orders} o "
        f"LEFT JOIN (SELECT returns_order_id, SUM(pv) AS pv FROM {orders} "
        f"WHERE returns_order_id IS NOT NULL GROUP BY returns_order_id) r "
        f"ON r.returns_order_id = o.id "
        f"WHERE o.returns_order_id IS NULL AND o.status <> %s "
        f"AND o.paid_at >= %s AND o.paid_at < %s",
        [Order.Status.CANCELLED, _utc_naive(start), _utc_naive(end)],
    )
    member_db = np.asarray(rows[0] if rows else [], dtype=np.int64)
    row = np.searchsorted(ids, member_db)
    row = np.minimum(row, max(n - 1, 0))
    known = (ids[row] == member_db) if n else np.zeros(0, dtype=bool)
    row = row[known]
    buyer = np.asarray(rows[1] if rows else [], dtype=np.int64)[known]
    customer = np.asarray(rows[2] if rows else [], dtype=bool)[known]
    volume = np.maximum(np.asarray(rows[3] if rows else [], dtype=np.int64), 0)[known]
    moment = _micros(rows[4] if rows else [])[known]
    pv = np.bincount(row, weights=volume, minlength=n).astype(np.int64)

    metric = definition.metric
    if metric in ("customer_volume", "pv"):
        scores = scoring.volume_scores(
            n,
            row,
            buyer,
            volume,
            ~customer,
            moment,
            per_order=definition.per_order,
            per_customer=definition.per_customer,
            own_share=definition.own_share if metric == "pv" else None,
        )
    elif metric == "new_customers":
        first = read_columns(
            f"SELECT o.distributor_id, {micros_sql('MIN(o.paid_at)')} FROM {orders} o "
            f"WHERE o.is_customer_order = %s AND o.returns_order_id IS NULL AND o.status <> %s "
            f"GROUP BY o.buyer_id, o.distributor_id "
            f"HAVING MIN(o.paid_at) >= %s AND MIN(o.paid_at) < %s",
            [True, Order.Status.CANCELLED, _utc_naive(start), _utc_naive(end)],
        )
        scores = _counts(
            ids, first[0] if first else [], None, _micros(first[1] if first else []), pv
        )
    else:
        counts = ActivityCount.objects.filter(
            kind=ACTIVITY_KINDS[metric],
            day__gte=definition.starts_on,
            day__lte=definition.ends_on,
        ).values_list("member_id", "count", "day")
        members, numbers, days = (
            (list(c) for c in zip(*counts, strict=True)) if counts else ([], [], [])
        )
        day_micros = (
            (np.asarray(days, dtype="datetime64[D]").astype("datetime64[us]") - EPOCH).astype(
                np.int64
            )
            if days
            else np.zeros(0, dtype=np.int64)
        )
        scores = _counts(ids, members, numbers, day_micros, pv)

    eligible = np.ones(n, dtype=bool)
    if definition.good_standing:
        eligible &= status == Distributor.Status.ACTIVE
    if definition.active:
        eligible &= pv > 0
    if definition.certified:
        holders = np.asarray(sorted(certificate_holders(definition.certified)), dtype=np.int64)
        eligible &= np.isin(ids, holders)
    position = scoring.rank(scores, eligible, definition.tie_breakers)
    tier = scoring.assign_tiers(scores.score, position, list(definition.tiers))
    return Computed(ids, country, scores, eligible, position, tier)


def _counts(ids, members, numbers, moments, pv) -> scoring.Scores:
    member_db = np.asarray(members, dtype=np.int64)
    n = len(ids)
    row = np.searchsorted(ids, member_db)
    row = np.minimum(row, max(n - 1, 0))
    known = ids[row] == member_db if n else np.zeros(0, dtype=bool)
    count = (
        np.ones(len(member_db), dtype=np.int64)
        if numbers is None
        else np.asarray(numbers, dtype=np.int64)
    )
    return scoring.count_scores(n, row[known], count[known], moments[known], pv)


def certificate_holders(key: str) -> set[int]:
    """Members holding certificate ``key`` today: the academy's answer through the hook
    ``CERTIFICATES_HELD`` (when registered), together with the certificates the outbox told
    this app about (``certificate.earned``, not revoked, not expired)."""
    from downline.core import hooks

    today = company_today()
    held: set[int] = set()
    hook = getattr(hooks, "CERTIFICATES_HELD", None)
    if hook is not None and hook.handlers:
        for answer in hook.fire(keys=(key,), on=today):
            held.update((answer or {}).get(key, ()))
    mine = HeldCertificate.objects.filter(key=key)
    revoked = set(mine.filter(revoked=True).values_list("member_id", flat=True))
    held.update(
        mine.filter(revoked=False)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .values_list("member_id", flat=True)
    )
    return held - revoked


def store_standings(contest: Contest, computed: Computed) -> int:
    """Replace the contest's standings with ``computed`` (ranked members only)."""
    rows = np.flatnonzero(computed.position > 0)
    with transaction.atomic():
        Standing.objects.filter(contest=contest).delete()
        achieved = computed.scores.achieved[rows]
        insert_rows(
            Standing,
            {
                "contest_id": Const(contest.pk),
                "member_id": computed.member_ids[rows],
                "position": computed.position[rows],
                "score": computed.scores.score[rows],
                "pv": computed.scores.pv[rows],
                "achieved_at": EPOCH + np.maximum(achieved, 0).astype("timedelta64[us]"),
                "tier": computed.tier[rows],
                "country": [computed.country[i] for i in rows.tolist()],
            },
            len(rows),
        )
        Contest.objects.filter(pk=contest.pk).update(
            computed_at=timezone.now(), dirty=False, ranked=len(rows)
        )
    return len(rows)
