"""Writes of the contests app (``do_*``: validated, atomic, audited)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.core import events as outbox
from downline.genealogy.models import Distributor
from downline.genealogy.rules import company_today

from . import compute as computing
from .definition import Contest as Definition
from .definition import load_contest_text
from .models import (
    POINT_KEYS,
    BadgeAssertion,
    BadgeClass,
    Contest,
    ContestAudit,
    FrozenResult,
    MemberSettings,
    PointEntry,
    PointLevel,
    PointRule,
    RecognitionEntry,
    Standing,
)

REFRESH_SECONDS = 3
"""A running contest is recomputed at most this often (boards follow orders within it)."""


def definition_of(contest: Contest) -> Definition:
    return Definition.from_json(contest.definition)


@transaction.atomic
def do_upload_contest(text: str, *, source_name: str = "contest.yaml", actor=None) -> Contest:
    """Validate a contest file and store it as a draft (a draft of the same slug is
    replaced). Raises ``ContestFileError`` (every mistake with its line) or ValidationError."""
    definition = load_contest_text(text, source_name)
    contest = Contest.objects.select_for_update().filter(slug=definition.slug).first()
    if contest is not None and contest.status != Contest.Status.DRAFT:
        raise ValidationError(
            {
                "source": _("Contest %(slug)s is %(status)s; its file cannot change.")
                % {"slug": contest.slug, "status": contest.get_status_display()}
            }
        )
    if contest is None:
        contest = Contest(slug=definition.slug, created_by=actor)
    contest.title = definition.title
    contest.metric = definition.metric
    contest.starts_on = definition.starts_on
    contest.ends_on = definition.ends_on
    contest.source = text
    contest.source_name = source_name
    contest.digest = definition.digest
    contest.definition = definition.as_json()
    contest.dirty = True
    contest.save()
    ContestAudit.objects.create(
        contest=contest, action="upload", actor=actor, params={"digest": definition.digest}
    )
    return contest


@transaction.atomic
def do_publish_contest(contest: Contest, *, actor=None) -> Contest:
    contest = Contest.objects.select_for_update().get(pk=contest.pk)
    if contest.status != Contest.Status.DRAFT:
        raise ValidationError({"status": _("Only a draft contest can be published.")})
    contest.status = Contest.Status.PUBLISHED
    contest.published_at = timezone.now()
    contest.dirty = True
    contest.save(update_fields=["status", "published_at", "dirty"])
    ContestAudit.objects.create(contest=contest, action="publish", actor=actor, params={})
    do_refresh_contest(contest)
    return contest


def do_refresh_contest(contest: Contest) -> int:
    """Recompute a published contest's standings now; returns how many are ranked."""
    if contest.status == Contest.Status.FINISHED:
        return contest.ranked
    computed = computing.compute(definition_of(contest))
    return computing.store_standings(contest, computed)


def do_refresh_due(
    *,
    max_age_seconds: int = REFRESH_SECONDS,
    contest: Contest | None = None,
    seconds: float | None = None,
) -> int:
    """Read new outbox events (consumer ``contests.activity``), then recompute every published
    contest that is marked dirty and was computed more than ``max_age_seconds`` ago. Safe to
    call from many places (a loop, a page poll): two callers wait for each other's consumer
    lock and the second finds nothing to do. ``seconds``: read events for at most about that
    long (a loop's tick, a page's poll). Returns the number of contests recomputed."""
    from .activity import consume_events

    consume_events(seconds=seconds)
    now = timezone.now()
    due = Contest.objects.filter(status=Contest.Status.PUBLISHED, dirty=True)
    if contest is not None:
        due = due.filter(pk=contest.pk)
    done = 0
    for item in due:
        if item.computed_at and now - item.computed_at < timedelta(seconds=max_age_seconds):
            continue
        with transaction.atomic():
            locked = Contest.objects.select_for_update(skip_locked=True).filter(pk=item.pk).first()
            if locked is None or not locked.dirty:
                continue
            do_refresh_contest(locked)
            done += 1
    return done


def _results_digest(rows: list[FrozenResult]) -> str:
    text = json.dumps(
        [[r.member_id, r.position, r.score, r.pv, r.tier] for r in rows], separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def do_freeze_contest(contest: Contest, *, actor=None) -> Contest:
    """Compute a published contest once more, write its results for good, recognise the
    winners and record ``contest.finished``. Refused before the window has ended."""
    contest = Contest.objects.select_for_update().get(pk=contest.pk)
    if contest.status != Contest.Status.PUBLISHED:
        raise ValidationError({"status": _("Only a published contest can be frozen.")})
    if company_today() <= contest.ends_on:
        raise ValidationError(
            {
                "status": _("Contest %(slug)s runs until %(day)s; freeze it after that day.")
                % {"slug": contest.slug, "day": contest.ends_on.isoformat()}
            }
        )
    from .activity import consume_events

    consume_events()
    definition = definition_of(contest)
    computed = computing.compute(definition)
    computing.store_standings(contest, computed)
    now = timezone.now()
    rows = [
        FrozenResult(
            contest=contest,
            member_id=s.member_id,
            position=s.position,
            score=s.score,
            pv=s.pv,
            achieved_at=s.achieved_at,
            tier=s.tier,
            tier_name=definition.tiers[s.tier]["name"] if s.tier >= 0 else "",
            frozen_at=now,
        )
        for s in Standing.objects.filter(contest=contest).order_by("position")
    ]
    FrozenResult.objects.bulk_create(rows, batch_size=2000)
    winners = [r for r in rows if r.tier >= 0]
    RecognitionEntry.objects.bulk_create(
        [
            RecognitionEntry(
                member_id=r.member_id,
                kind=RecognitionEntry.Kind.WINNER,
                occurred_on=contest.ends_on,
                params={"contest": contest.slug, "tier": r.tier_name, "position": r.position},
                key=f"winner:{contest.slug}:{r.member_id}",
            )
            for r in winners
        ],
        ignore_conflicts=True,
    )
    contest.status = Contest.Status.FINISHED
    contest.finished_at = now
    contest.save(update_fields=["status", "finished_at"])
    digest = _results_digest(rows)
    ContestAudit.objects.create(
        contest=contest,
        action="freeze",
        actor=actor,
        params={"results": len(rows), "winners": len(winners), "digest": digest},
    )
    outbox.record_event(
        outbox.CONTEST_FINISHED,
        {"contest": contest.slug, "results": len(rows), "winners": len(winners), "digest": digest},
    )
    for r in winners:
        _award_matching_badges(r.member_id, criterion=BadgeClass.Criterion.CONTEST_WINNER)
    return contest


@transaction.atomic
def do_set_member_settings(
    member: Distributor, *, board_anonymous: bool, recognition_opt_in: bool
) -> MemberSettings:
    row, _created = MemberSettings.objects.select_for_update().get_or_create(member=member)
    row.board_anonymous = bool(board_anonymous)
    row.recognition_opt_in = bool(recognition_opt_in)
    row.save()
    return row


# --------------------------------------------------------------------------- points and badges


@transaction.atomic
def do_set_point_rule(key: str, points: int, *, active: bool = True, actor=None) -> PointRule:
    if key not in POINT_KEYS:
        raise ValidationError(
            {
                "key": _("Points are given for %(keys)s only; never for recruiting (rule P1).")
                % {"keys": ", ".join(POINT_KEYS)}
            }
        )
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 10_000:
        raise ValidationError({"points": _("Points are a whole number from 0 to 10,000.")})
    rule, _created = PointRule.objects.update_or_create(
        key=key, defaults={"points": points, "active": active, "updated_by": actor}
    )
    return rule


@transaction.atomic
def do_set_level(min_points: int, name: dict[str, str]) -> PointLevel:
    if not isinstance(min_points, int) or min_points < 0:
        raise ValidationError({"min_points": _("A level starts at a whole number of points.")})
    if not name.get("en"):
        raise ValidationError({"name": _("A level needs an English name.")})
    level, _created = PointLevel.objects.update_or_create(
        min_points=min_points, defaults={"name": name}
    )
    return level


@transaction.atomic
def do_define_badge(
    slug: str, *, name: dict[str, str], description: dict[str, str], criterion: str, threshold: int
) -> BadgeClass:
    if criterion not in BadgeClass.Criterion.values:
        raise ValidationError(
            {
                "criterion": _(
                    "Unknown criterion %(value)r; badges are for %(keys)s (never recruiting)."
                )
                % {"value": criterion, "keys": ", ".join(BadgeClass.Criterion.values)}
            }
        )
    if not name.get("en"):
        raise ValidationError({"name": _("A badge needs an English name.")})
    if not isinstance(threshold, int) or threshold < 1:
        raise ValidationError({"threshold": _("The threshold is a whole number of at least 1.")})
    badge, _created = BadgeClass.objects.update_or_create(
        slug=slug,
        defaults={
            "name": name,
            "description": description,
            "criterion": criterion,
            "threshold": threshold,
        },
    )
    return badge


def award_points(member_id: int, rule_key: str, *, key: str, at) -> PointEntry | None:
    """Points for ``rule_key`` once per ``key`` (an event), inside the caller's transaction."""
    rule = PointRule.objects.filter(key=rule_key, active=True).first()
    if rule is None or rule.points == 0:
        return None
    entry, created = PointEntry.objects.get_or_create(
        key=key,
        defaults={"member_id": member_id, "rule_key": rule_key, "points": rule.points, "at": at},
    )
    if created:
        _award_matching_badges(member_id, criterion=BadgeClass.Criterion.POINTS)
        if rule_key == "customer_order":
            _award_matching_badges(member_id, criterion=BadgeClass.Criterion.CUSTOMER_ORDERS)
    return entry if created else None


def _award_matching_badges(member_id: int, *, criterion: str | None = None) -> list[BadgeAssertion]:
    from .selectors import badge_progress

    badges = BadgeClass.objects.filter(active=True).exclude(assertions__member_id=member_id)
    if criterion is not None:
        badges = badges.filter(criterion=criterion)
    awarded = []
    for badge in badges:
        if badge_progress(member_id, badge) >= badge.threshold:
            awarded.append(do_award_badge(member_id, badge))
    return awarded


@transaction.atomic
def do_award_badge(member_id: int, badge: BadgeClass) -> BadgeAssertion:
    assertion, created = BadgeAssertion.objects.get_or_create(
        badge=badge,
        member_id=member_id,
        defaults={"issued_at": timezone.now(), "salt": secrets.token_hex(8)},
    )
    if created:
        outbox.record_event(
            outbox.BADGE_AWARDED,
            {"badge": badge.slug, "assertion": str(assertion.uid)},
            member_id=member_id,
        )
    return assertion


@transaction.atomic
def do_revoke_badge(assertion: BadgeAssertion, *, reason: str, actor=None) -> BadgeAssertion:
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the badge is revoked.")})
    assertion.revoked_at = timezone.now()
    assertion.revocation_reason = reason.strip()[:200]
    assertion.save(update_fields=["revoked_at", "revocation_reason"])
    return assertion


def check_member_badges(member_id: int) -> list[BadgeAssertion]:
    """Award every badge whose criterion the member meets now (all criteria)."""
    return _award_matching_badges(member_id)
