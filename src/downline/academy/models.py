"""The academy: courses → modules → lessons (Markdown, quiz, SCORM), tracks, progress, certificates.

Texts. Course, module, question and choice texts are JSON maps ``{language: text}``; a lesson's
body has one ``LessonText`` row per language that remembers the lesson ``version`` it was
translated from, so the author sees which translations are missing or older than the source.
Readers get their language, else the course's ``source_language`` (``texts.pick``).

Progress. ``LessonProgress`` holds one row per (member, lesson) — the unique index serves "this
member's progress" and ``(lesson, state)`` the funnel per lesson; at 20 million rows both stay
index-only reads. ``QuizAttempt`` keeps the drawn questions, the answers and the integer score.

Certificates. ``Certificate`` rows are earned when a course's lessons are done and its quizzes
passed; valid while not revoked and not expired. Its ``code`` is the public verification id.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from downline.genealogy.models import sponsor_depth_field, sponsor_path_key_field

LANGUAGES = ("en", "ru", "pl", "de")


def new_code() -> str:
    return secrets.token_urlsafe(12)


class Course(models.Model):
    class Area(models.TextChoices):
        PRODUCT = "product", _("product")
        SALES = "sales", _("sales")
        RECRUITING = "recruiting", _("recruiting")
        LEADERSHIP = "leadership", _("leadership")
        MARKETING = "marketing", _("marketing")
        FINANCIAL = "financial", _("financial literacy")
        COMPLIANCE = "compliance", _("compliance")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    area = models.CharField(_("area"), max_length=12, choices=Area.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    source_language = models.CharField(_("source language"), max_length=8, default="en")
    title = models.JSONField(_("title"), default=dict)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    certificate_key = models.SlugField(_("certificate key"), max_length=80, blank=True)
    certificate_pass_mark = models.PositiveSmallIntegerField(_("certificate pass mark"), default=0)
    certificate_valid_months = models.PositiveSmallIntegerField(
        _("certificate valid for (months)"), null=True, blank=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.slug


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    key = models.SlugField(_("key"), max_length=80)
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.JSONField(_("title"), default=dict, blank=True)

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ("course_id", "position", "id")
        constraints = (models.UniqueConstraint(fields=["course", "key"], name="module_key"),)

    def __str__(self) -> str:
        return f"{self.course_id}/{self.key}"


class Lesson(models.Model):
    class Kind(models.TextChoices):
        MARKDOWN = "markdown", _("lesson")
        QUIZ = "quiz", _("quiz")
        SCORM = "scorm", _("SCORM package")
        WEBINAR = "webinar", _("webinar")

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    key = models.SlugField(_("key"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MARKDOWN)
    position = models.PositiveIntegerField(_("position"), default=0)
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=5)
    required = models.BooleanField(_("required for the certificate"), default=True)
    version = models.PositiveIntegerField(_("source version"), default=1)
    requires = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="unlocks", verbose_name=_("requires")
    )
    video = models.FileField(_("video"), upload_to="academy/video/", blank=True)
    captions = models.FileField(_("captions (WebVTT)"), upload_to="academy/video/", blank=True)
    attachment = models.FileField(_("download"), upload_to="academy/files/", blank=True)
    scorm_package = models.FileField(_("SCORM package"), upload_to="academy/scorm/", blank=True)
    scorm_entry = models.CharField(_("SCORM entry point"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ("course_id", "position", "id")
        constraints = (models.UniqueConstraint(fields=["course", "key"], name="lesson_key"),)

    def __str__(self) -> str:
        return f"{self.course_id}/{self.key}"


class LessonText(models.Model):
    """A lesson's title and Markdown body in one language, translated from ``source_version``."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    source_version = models.PositiveIntegerField(_("translated from version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("lesson text")
        verbose_name_plural = _("lesson texts")
        constraints = (
            models.UniqueConstraint(fields=["lesson", "language"], name="lesson_text_language"),
        )

    def __str__(self) -> str:
        return f"{self.lesson_id}:{self.language}"


class Quiz(models.Model):
    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz")
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"), default=80)
    draw = models.PositiveSmallIntegerField(_("questions drawn per attempt (0: all)"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts (0: unlimited)"), default=0)
    wait_minutes = models.PositiveIntegerField(_("minutes between attempts"), default=0)

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return f"quiz {self.lesson_id}"


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        ORDERING = "ordering", _("ordering")
        FREE_TEXT = "free_text", _("free text (graded by staff)")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    position = models.PositiveIntegerField(_("position"), default=0)
    text = models.JSONField(_("text"), default=dict)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ("quiz_id", "position", "id")

    def __str__(self) -> str:
        return f"{self.quiz_id}/{self.position} {self.kind}"


class Choice(models.Model):
    """An answer option; for ordering questions ``position`` is the right order."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(_("position"), default=0)
    text = models.JSONField(_("text"), default=dict)
    correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ("question_id", "position", "id")

    def __str__(self) -> str:
        return f"{self.question_id}/{self.position}"


class LessonProgress(models.Model):
    class State(models.TextChoices):
        STARTED = "started", _("started")
        COMPLETED = "completed", _("completed")

    member = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+", db_index=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    started_at = models.DateTimeField(_("started at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    folded_state = models.CharField(
        _("state counted in the KPIs"), max_length=10, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = (
            models.UniqueConstraint(fields=["member", "lesson"], name="progress_member_lesson"),
        )
        indexes = (
            models.Index(fields=["lesson", "state"], name="progress_lesson_state"),
            models.Index(fields=["member", "-updated_at"], name="progress_member_recent"),
        )

    def __str__(self) -> str:
        return f"{self.member_id}:{self.lesson_id} {self.state}"


class QuizAttempt(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("in progress")
        GRADING = "grading", _("waiting for grading")
        PASSED = "passed", _("passed")
        FAILED = "failed", _("failed")

    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    question_ids = models.JSONField(_("questions drawn"), default=list)
    answers = models.JSONField(_("answers"), default=dict)  # question id -> answer
    marks = models.JSONField(_("marks"), default=dict)  # question id -> true/false
    score = models.PositiveSmallIntegerField(_("score (%)"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kpi_folded = models.BooleanField(_("counted in the KPIs"), default=False, db_default=False)

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(fields=["member", "quiz", "number"], name="attempt_number"),
        )
        indexes = (
            models.Index(fields=["status"], name="attempt_status", condition=Q(status="grading")),
            models.Index(fields=["id"], name="attempt_to_fold", condition=Q(kpi_folded=False)),
        )

    def __str__(self) -> str:
        return f"{self.member_id}:{self.quiz_id} #{self.number} {self.status}"


class Track(models.Model):
    class Audience(models.TextChoices):
        NEWCOMER = "newcomer", _("newcomers")
        TEAM_LEADER = "team-leader", _("team leaders")
        TOP_LEADER = "top-leader", _("top leaders")

    key = models.SlugField(_("key"), max_length=80, unique=True)
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices)
    title = models.JSONField(_("title"), default=dict)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("track")
        verbose_name_plural = _("tracks")
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.key


class TrackItem(models.Model):
    class Action(models.TextChoices):
        FIRST_ORDER = "first_order", _("first order")
        FIRST_CUSTOMER = "first_customer", _("first customer")
        WEBINAR_ATTENDED = "webinar_attended", _("a webinar watched")

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("position"), default=0)
    lesson = models.ForeignKey(Lesson, null=True, blank=True, on_delete=models.CASCADE)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, blank=True)
    due_days = models.PositiveSmallIntegerField(_("due days after joining"), null=True, blank=True)
    min_rank = models.CharField(_("minimum rank"), max_length=80, blank=True)
    unlock_days = models.PositiveSmallIntegerField(
        _("unlocks days after joining"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("track item")
        verbose_name_plural = _("track items")
        ordering = ("track_id", "position", "id")
        constraints = (
            models.CheckConstraint(
                condition=(Q(lesson__isnull=False) & Q(action=""))
                | (Q(lesson__isnull=True) & ~Q(action="")),
                name="track_item_lesson_or_action",
            ),
        )

    def __str__(self) -> str:
        return f"{self.track_id}/{self.position}"


class BusinessAction(models.Model):
    """The first time a member did a business action (from the outbox; see ``consumers``)."""

    member = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    action = models.CharField(_("action"), max_length=20, choices=TrackItem.Action.choices)
    done_at = models.DateTimeField(_("done at"))

    class Meta:
        verbose_name = _("business action")
        verbose_name_plural = _("business actions")
        constraints = (
            models.UniqueConstraint(fields=["member", "action"], name="business_action_once"),
        )

    def __str__(self) -> str:
        return f"{self.member_id} {self.action}"


class Certificate(models.Model):
    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    key = models.SlugField(_("certificate key"), max_length=80)
    code = models.CharField(_("verification code"), max_length=32, unique=True, default=new_code)
    grade = models.PositiveSmallIntegerField(_("grade (%)"))
    passed = models.BooleanField(_("passed"))
    course_version = models.PositiveIntegerField(_("course version"), default=1)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expiring_recorded = models.BooleanField(_("expiry notice recorded"), default=False)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ("-issued_on", "-id")
        indexes = (
            models.Index(fields=["key", "expires_on"], name="certificate_key_expiry"),
            models.Index(fields=["member", "key"], name="certificate_member_key"),
        )

    def __str__(self) -> str:
        return f"{self.key} {self.code}"

    def state_on(self, day) -> str:
        """``revoked``, ``expired``, ``failed`` or ``valid`` on ``day``."""
        if self.revoked_at is not None:
            return "revoked"
        if not self.passed:
            return "failed"
        if self.expires_on is not None and self.expires_on < day:
            return "expired"
        return "valid"


class ScormState(models.Model):
    """What a SCORM 1.2 package reported for one member (``cmi.core.*``)."""

    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    lesson_status = models.CharField(_("lesson status"), max_length=20, blank=True)
    score_raw = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SCORM state")
        verbose_name_plural = _("SCORM states")
        constraints = (
            models.UniqueConstraint(fields=["member", "lesson"], name="scorm_member_lesson"),
        )

    def __str__(self) -> str:
        return f"{self.member_id}:{self.lesson_id} {self.lesson_status}"


class TrainingSummary(models.Model):
    """One row per member who started learning, kept by the actions that write progress and
    attempts, so that a sponsor's team report reads one row per member instead of aggregating
    millions of progress rows (``selectors.team_report``). ``rebuild_summaries`` recomputes it.

    ``sponsor_path`` is a copy of the member's stored sponsor path (``genealogy.sponsor_path``),
    with the same generated prefix and depth: a sponsor's team is one range of its index, which
    carries the counts, so the report counts a team without reading the distributor table. The
    copy is taken when the row is made and kept by ``summary.follow_sponsor_move`` and
    ``summary.copy_sponsor_paths``, in the transaction of the move or repair (``core.hooks``)."""

    member = models.OneToOneField(
        "genealogy.Distributor", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    touched = models.PositiveIntegerField(_("lessons started"), default=0)
    completed = models.PositiveIntegerField(_("lessons completed"), default=0)
    last_at = models.DateTimeField(_("last activity"), null=True)
    failed_twice = models.PositiveIntegerField(_("quizzes failed twice, not passed"), default=0)
    kpi_pending = models.BooleanField(
        _("progress not yet counted in the KPIs"), default=True, db_default=True
    )
    kpi_version = models.PositiveIntegerField(_("progress writes"), default=0, db_default=0)
    sponsor_path = models.TextField(_("sponsor path"), default="", db_default="", editable=False)
    sponsor_path_key = sponsor_path_key_field()
    sponsor_depth = sponsor_depth_field()

    class Meta:
        verbose_name = _("training summary")
        verbose_name_plural = _("training summaries")
        indexes = (
            models.Index(
                fields=["member"], name="summary_kpi_pending", condition=Q(kpi_pending=True)
            ),
            models.Index(
                fields=["sponsor_path_key"],
                include=["member", "sponsor_depth", "touched", "last_at", "failed_twice"],
                name="summary_team_idx",
            ),
        )

    def __str__(self) -> str:
        return f"{self.member_id}: {self.completed}/{self.touched}"


# --- KPI counters (``kpi_fold``): small tables the console's KPI page reads -----------------


class LessonCount(models.Model):
    """Progress rows of a lesson counted so far: started (all rows) and completed."""

    lesson = models.OneToOneField(
        Lesson, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    started = models.PositiveBigIntegerField(_("started"), default=0)
    completed = models.PositiveBigIntegerField(_("completed"), default=0)

    class Meta:
        verbose_name = _("lesson count")
        verbose_name_plural = _("lesson counts")

    def __str__(self) -> str:
        return f"{self.lesson_id}: {self.completed}/{self.started}"


class CourseCount(models.Model):
    """Members with at least one counted progress row in the course; ``lessons`` is the
    course's lesson ids when last counted (a changed set is recounted)."""

    course = models.OneToOneField(
        Course, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    members = models.PositiveBigIntegerField(_("members"), default=0)
    lessons = models.TextField(_("lessons counted"), blank=True, default="")

    class Meta:
        verbose_name = _("course count")
        verbose_name_plural = _("course counts")

    def __str__(self) -> str:
        return f"{self.course_id}: {self.members}"


class TrackCount(models.Model):
    """Members with at least one counted progress row on a lesson of the track; ``lessons`` is
    the track's lesson ids when last counted (a changed set is recounted)."""

    track = models.OneToOneField(
        Track, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    members = models.PositiveBigIntegerField(_("members"), default=0)
    lessons = models.TextField(_("lessons counted"), blank=True, default="")

    class Meta:
        verbose_name = _("track count")
        verbose_name_plural = _("track counts")

    def __str__(self) -> str:
        return f"{self.track_id}: {self.members}"


class QuestionCount(models.Model):
    """Answers to a question in counted finished attempts: asked, and marked right."""

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    asked = models.PositiveBigIntegerField(_("asked"), default=0)
    right = models.PositiveBigIntegerField(_("right"), default=0)

    class Meta:
        verbose_name = _("question count")
        verbose_name_plural = _("question counts")

    def __str__(self) -> str:
        return f"{self.question_id}: {self.right}/{self.asked}"


class KpiSnapshot(models.Model):
    """A stored KPI figure set (``cohorts``: the joiner cohorts as of ``computed_at``); the row
    ``fold`` is the lock that keeps two folds from running at once."""

    key = models.CharField(_("key"), max_length=20, primary_key=True)
    data = models.JSONField(_("data"), default=list)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("KPI snapshot")
        verbose_name_plural = _("KPI snapshots")

    def __str__(self) -> str:
        return self.key
