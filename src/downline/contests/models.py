"""Contests, their standings and frozen results; recognition, points and badges.

Invariants:

* A ``Contest`` holds the file it was made from (``source``) and the validated definition
  (``definition``, JSON); a published contest's file never changes; a finished one is frozen:
  its ``FrozenResult`` rows are written once, with the digest of their content in the audit row.
* ``Standing`` rows are a cache of the last computation (``Contest.computed_at``): only members
  with a score above zero, written whole each time. Boards read them; they never hold money.
* ``ActivityCount`` is the per-member, per-day counter of outbox events (lessons, quizzes,
  webinars, rank advancements) kept by the consumer ``contests.activity``; each event is counted
  once because the consumer's cursor moves in the same transaction.
* Points are never given for recruiting: ``PointRule.key`` is one of ``POINT_KEYS``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Contest(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        FINISHED = "finished", _("finished (frozen)")

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    title = models.JSONField(_("title by language"), default=dict)
    metric = models.CharField(_("metric"), max_length=32)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    source = models.TextField(_("contest file"))
    source_name = models.CharField(_("file name"), max_length=200, default="contest.yaml")
    digest = models.CharField(_("SHA-256"), max_length=64)
    definition = models.JSONField(_("definition"), default=dict)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    dirty = models.BooleanField(_("needs recomputing"), default=True)
    ranked = models.PositiveIntegerField(_("members on the board"), default=0)

    class Meta:
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        ordering = ("-starts_on", "slug")

    def __str__(self) -> str:
        return self.slug

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title.get("en") or self.slug


class Standing(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="standings")
    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(_("position"))
    score = models.BigIntegerField(_("score"))
    pv = models.BigIntegerField(_("PV in the window"), default=0)
    achieved_at = models.DateTimeField(_("reached at"), null=True, blank=True)
    tier = models.SmallIntegerField(_("tier"), default=-1)
    country = models.CharField(_("country"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("standing")
        verbose_name_plural = _("standings")
        ordering = ("contest", "position")
        constraints = (
            models.UniqueConstraint(fields=["contest", "member"], name="one_standing_per_member"),
        )
        indexes = (
            models.Index(fields=["contest", "position"], name="standing_position"),
            models.Index(fields=["contest", "country", "position"], name="standing_country"),
        )

    def __str__(self) -> str:
        return f"{self.contest_id}#{self.position} {self.member_id}"


class FrozenResult(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.PROTECT, related_name="results")
    member = models.ForeignKey("genealogy.Distributor", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("position"))
    score = models.BigIntegerField(_("score"))
    pv = models.BigIntegerField(_("PV in the window"), default=0)
    achieved_at = models.DateTimeField(_("reached at"), null=True, blank=True)
    tier = models.SmallIntegerField(_("tier"), default=-1)
    tier_name = models.CharField(_("tier name"), max_length=100, blank=True)
    frozen_at = models.DateTimeField(_("frozen at"))

    class Meta:
        verbose_name = _("frozen result")
        verbose_name_plural = _("frozen results")
        ordering = ("contest", "position")
        constraints = (
            models.UniqueConstraint(fields=["contest", "member"], name="one_result_per_member"),
        )

    def __str__(self) -> str:
        return f"{self.contest_id}#{self.position} {self.member_id}"


class ContestAudit(models.Model):
    """Who did what to a contest (upload, publish, freeze), with numbers (rule 12)."""

    contest = models.ForeignKey(Contest, on_delete=models.PROTECT, related_name="audit")
    action = models.CharField(_("action"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    params = models.JSONField(_("details"), default=dict)

    class Meta:
        verbose_name = _("contest audit entry")
        verbose_name_plural = _("contest audit entries")
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.contest_id} {self.action}"


class MemberSettings(models.Model):
    """A member's choices: shown on boards by name or as "a distributor", and on the
    recognition wall (opt-in)."""

    member = models.OneToOneField(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="+"
    )
    board_anonymous = models.BooleanField(_("appear as 'a distributor' on boards"), default=False)
    recognition_opt_in = models.BooleanField(_("show me on the recognition wall"), default=False)

    class Meta:
        verbose_name = _("contest settings of a member")
        verbose_name_plural = _("contest settings of members")

    def __str__(self) -> str:
        return f"{self.member_id}"


class ActivityCount(models.Model):
    class Kind(models.TextChoices):
        LESSON = "lesson", _("lesson completed")
        QUIZ = "quiz", _("quiz passed")
        WEBINAR = "webinar", _("webinar attended")
        RANK = "rank", _("rank advancement")

    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("activity count")
        verbose_name_plural = _("activity counts")
        constraints = (
            models.UniqueConstraint(fields=["member", "kind", "day"], name="one_count_per_day"),
        )
        indexes = (models.Index(fields=["kind", "day"], name="activity_kind_day"),)

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.day}: {self.count}"


class HeldCertificate(models.Model):
    """Certificates as the outbox told us (certificate.earned / certificate.revoked)."""

    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(_("certificate"), max_length=100)
    earned_on = models.DateField(_("earned on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("held certificate")
        verbose_name_plural = _("held certificates")
        constraints = (
            models.UniqueConstraint(fields=["member", "key"], name="one_certificate_per_key"),
        )

    def __str__(self) -> str:
        return f"{self.member_id} {self.key}"


class RecognitionEntry(models.Model):
    class Kind(models.TextChoices):
        RANK = "rank", _("rank advancement")
        ANNIVERSARY = "anniversary", _("anniversary")
        CERTIFICATE = "certificate", _("certificate")
        WINNER = "winner", _("contest winner")

    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    occurred_on = models.DateField(_("on"))
    params = models.JSONField(_("details"), default=dict)
    key = models.CharField(_("source key"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("recognition entry")
        verbose_name_plural = _("recognition entries")
        ordering = ("-occurred_on", "-id")

    def __str__(self) -> str:
        return f"{self.kind} {self.member_id} {self.occurred_on}"


POINT_KEYS = (
    "lesson_completed",
    "quiz_passed",
    "webinar_attended",
    "customer_order",
    "active_month_streak",
)
"""What points may be given for. Recruiting is deliberately absent (pyramid-risk rule P1)."""


class PointRule(models.Model):
    key = models.CharField(_("criterion"), max_length=32, unique=True)
    points = models.PositiveIntegerField(_("points"))
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("points criterion")
        verbose_name_plural = _("points criteria")
        ordering = ("key",)

    def __str__(self) -> str:
        return f"{self.key}: {self.points}"


class PointLevel(models.Model):
    name = models.JSONField(_("name by language"), default=dict)
    min_points = models.PositiveIntegerField(_("from points"), unique=True)

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        ordering = ("min_points",)

    def __str__(self) -> str:
        return f"{self.min_points}"


class PointEntry(models.Model):
    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    rule_key = models.CharField(_("criterion"), max_length=32)
    points = models.IntegerField(_("points"))
    at = models.DateTimeField(_("at"))
    key = models.CharField(_("source key"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ("-at", "-id")
        indexes = (models.Index(fields=["member", "at"], name="points_member_at"),)

    def __str__(self) -> str:
        return f"{self.member_id} {self.rule_key} {self.points}"


class BadgeClass(models.Model):
    class Criterion(models.TextChoices):
        POINTS = "points", _("points at least")
        LESSONS = "lessons", _("lessons completed at least")
        WEBINARS = "webinars", _("webinars attended at least")
        CUSTOMER_ORDERS = "customer_orders", _("customers' orders at least")
        CONTEST_WINNER = "contest_winner", _("won a contest tier")

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.JSONField(_("name by language"), default=dict)
    description = models.JSONField(_("description by language"), default=dict)
    criterion = models.CharField(_("criterion"), max_length=20, choices=Criterion.choices)
    threshold = models.PositiveIntegerField(_("threshold"), default=1)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ("slug",)

    def __str__(self) -> str:
        return self.slug


class BadgeAssertion(models.Model):
    uid = models.UUIDField(_("assertion id"), default=uuid.uuid4, unique=True, editable=False)
    badge = models.ForeignKey(BadgeClass, on_delete=models.PROTECT, related_name="assertions")
    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))
    salt = models.CharField(_("salt"), max_length=32)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(_("revocation reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("badge award")
        verbose_name_plural = _("badge awards")
        ordering = ("-issued_at",)
        constraints = (
            models.UniqueConstraint(fields=["badge", "member"], name="one_award_per_badge"),
        )

    def __str__(self) -> str:
        return str(self.uid)
