"""Support: the knowledge base, the help desk and commission disputes.

Knowledge base

* ``Article``: one topic (``key``, a slug) in a ``category``, ``status`` draft/published/archived,
  ``version`` (raised each time its text changes), ``source`` manual or plan (generated from the
  active plan version by ``plan_articles``), related articles.
* ``ArticleText``: the article in one language (en, ru, pl, de); ``search_tokens`` holds the
  title's and body's words normalised and stemmed with that language's Snowball stemmer
  (``search.tokens``), space-separated with a space on both ends, so one ``LIKE '% tok %'``
  matches a stem on SQLite and PostgreSQL alike.
* ``ArticleVote``: "was this helpful", one per member and article (a new vote replaces the old).

Help desk

* ``Ticket``: a distributor's question; ``status`` new → open → waiting_on_member → resolved →
  closed; links to an order, a payout, a commission line (``line_ref``) and a distributor the
  question is about. SLA figures are stored on the ticket: ``first_response_due``,
  ``resolution_due`` (instants, recomputed when the clock pauses and resumes),
  ``paused_since`` (while waiting on the member) and ``paused_seconds`` (business seconds the
  clock stood still), ``*_breached`` and ``escalated_at`` (set once, by the breach task).
* ``TicketMessage``: a public reply or an internal note; ``TicketAttachment``: a checked file.
* ``CannedAnswer``: a reply text in one language, picked by staff.
* ``SlaPolicy``: business minutes to first response and to resolution per priority.

Disputes

* ``Dispute``: "this line is wrong" or "I expected a commission for order X"; stores the line
  (its final run, the block's row), the cause (bonus, condition key), the figures (base, rate,
  paid, counterfactual) as numbers; the trace is rendered again when read (design rule 12).
  Finance resolves with an adjustment (``adjustment_request``/``adjustment``) or rejects with a
  reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

LANGUAGE_CHOICES = (("en", "English"), ("ru", "Русский"), ("pl", "Polski"), ("de", "Deutsch"))


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        ARCHIVED = "archived", _("archived")

    class Source(models.TextChoices):
        MANUAL = "manual", _("written by staff")
        PLAN = "plan", _("generated from the plan")

    key = models.SlugField(_("key"), max_length=100, unique=True)
    category = models.CharField(_("category"), max_length=40)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PUBLISHED
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.MANUAL
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    position = models.PositiveIntegerField(_("position"), default=100)
    plan_version = models.ForeignKey(
        "compensation.PlanVersion",
        verbose_name=_("plan version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    related = models.ManyToManyField("self", verbose_name=_("related articles"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge-base article")
        verbose_name_plural = _("knowledge-base articles")
        ordering = ("category", "position", "key")

    def __str__(self) -> str:
        return self.key


class ArticleText(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    search_tokens = models.TextField(_("search tokens"), blank=True)

    class Meta:
        verbose_name = _("article text")
        verbose_name_plural = _("article texts")
        constraints = (
            models.UniqueConstraint(fields=["article", "language"], name="article_text_language"),
        )

    def __str__(self) -> str:
        return f"{self.article_id}/{self.language}"


class ArticleVote(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    language = models.CharField(_("language"), max_length=8, default="en")
    voted_at = models.DateTimeField(_("voted at"))

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = (
            models.UniqueConstraint(fields=["article", "member"], name="article_vote_member"),
        )

    def __str__(self) -> str:
        return f"{self.article_id}/{self.member_id} {self.helpful}"


class ContentState(models.Model):
    """What generated content was last written from: ``name`` "plan" (the plan version and
    generator revision of the plan articles) or "files" (the digest of the article files)."""

    name = models.CharField(max_length=20, unique=True)
    marker = models.CharField(max_length=120)
    generated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.marker}"


class SlaPolicy(models.Model):
    priority = models.CharField(_("priority"), max_length=8, unique=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.priority


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("new")
        OPEN = "open", _("open")
        WAITING = "waiting_on_member", _("waiting on the member")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")

    class Priority(models.TextChoices):
        LOW = "low", _("low")
        NORMAL = "normal", _("normal")
        HIGH = "high", _("high")
        URGENT = "urgent", _("urgent")

    class Channel(models.TextChoices):
        WEB = "web", _("web")
        EMAIL = "email", _("e-mail")
        ASSISTANT = "assistant", _("assistant")
        DISPUTE = "dispute", _("dispute")

    member = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_tickets",
    )
    from_email = models.EmailField(_("from e-mail"), blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    category = models.CharField(_("category"), max_length=40, default="general")
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    assignee_group = models.CharField(_("group"), max_length=20, default="support")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payout = models.ForeignKey(
        "payouts.Payout", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    line_ref = models.BigIntegerField(_("commission line"), null=True, blank=True)
    about_member = models.ForeignKey(
        "genealogy.Distributor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation = models.JSONField(_("assistant conversation"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    paused_since = models.DateTimeField(_("clock paused since"), null=True, blank=True)
    paused_seconds = models.BigIntegerField(_("business seconds paused"), default=0)
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ("-created_at", "-id")
        indexes = (
            models.Index(fields=["member", "-created_at"], name="ticket_member_idx"),
            models.Index(fields=["status", "priority"], name="ticket_status_idx"),
        )

    def __str__(self) -> str:
        return f"{self.token} {self.subject}"

    @property
    def token(self) -> str:
        return f"T-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NEW, self.Status.OPEN, self.Status.WAITING)


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("public reply")
        INTERNAL = "internal", _("internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PUBLIC)
    from_staff = models.BooleanField(_("from staff"), default=False)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("text"))
    email_message_id = models.CharField(_("e-mail Message-ID"), max_length=250, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ("created_at", "id")
        indexes = (models.Index(fields=["email_message_id"], name="ticket_msg_mid_idx"),)

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.pk} {self.kind}"


class TicketAttachment(models.Model):
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="support/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=100)

    def __str__(self) -> str:
        return self.name


class CannedAnswer(models.Model):
    key = models.SlugField(_("key"), max_length=60)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("canned answer")
        verbose_name_plural = _("canned answers")
        ordering = ("key", "language")
        constraints = (
            models.UniqueConstraint(fields=["key", "language"], name="canned_answer_language"),
        )

    def __str__(self) -> str:
        return f"{self.key}/{self.language}"


class Dispute(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PENDING_APPROVAL = "pending_approval", _("adjustment waiting for approval")
        ADJUSTED = "adjusted", _("resolved by an adjustment")
        REJECTED = "rejected", _("rejected")

    class Kind(models.TextChoices):
        LINE = "line", _("a statement line")
        ORDER = "order", _("an order without a commission")

    member = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.PROTECT, related_name="support_disputes"
    )
    ticket = models.OneToOneField(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="dispute"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    period = models.ForeignKey("periods.Period", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(
        "compensation.Run", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    line_id = models.BigIntegerField(_("commission line"), null=True, blank=True)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.ForeignKey(
        "genealogy.Distributor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bonus = models.CharField(_("bonus"), max_length=40, blank=True)
    level = models.SmallIntegerField(_("level"), null=True, blank=True)
    cause = models.CharField(_("cause (condition key)"), max_length=80, blank=True)
    currency = models.CharField(_("currency"), max_length=16, blank=True)
    base = models.BigIntegerField(_("base"), null=True, blank=True)
    rate_num = models.BigIntegerField(null=True, blank=True)
    rate_den = models.BigIntegerField(null=True, blank=True)
    paid = models.BigIntegerField(_("paid (minor units)"), default=0)
    counterfactual = models.BigIntegerField(
        _("would have been paid (minor units)"), null=True, blank=True
    )
    evidence = models.JSONField(_("evidence (numbers and keys)"), default=dict)
    message = models.TextField(_("member's message"), blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_reason = models.TextField(_("reason"), blank=True)
    adjustment_request = models.ForeignKey(
        "ledger.AdjustmentRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    adjustment = models.ForeignKey(
        "ledger.Adjustment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("commission dispute")
        verbose_name_plural = _("commission disputes")
        ordering = ("-opened_at", "-id")

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"D-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.PENDING_APPROVAL)
