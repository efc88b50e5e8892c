"""Outreach: outbound mail, capture pages, sequences, broadcasts, webinars and the blog.

Contacts live in the contacts app (below outreach in the layers). Rows here keep a contact's id
as a plain integer (``contact_id``): the log of what was sent survives a contact's deletion
(which the contact may ask for), and nothing here blocks it.

Texts written by the company in four languages are data: JSON maps ``{language: {...}}``.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("en", "ru", "pl", "de")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def pick(texts: dict, language: str, field: str) -> str:
    """The text ``field`` in ``language``, else English, else any language that has it."""
    for lang in (language, "en", *LANGUAGES):
        value = (texts.get(lang) or {}).get(field)
        if value:
            return value
    return ""


# --------------------------------------------------------------------------- mail


class MailClaim(models.Model):
    """One worker's claim on a batch of mails: who holds it and its last sign of life."""

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    host = models.CharField(_("host"), max_length=200)
    pid = models.PositiveIntegerField(_("process"))
    started_at = models.DateTimeField(_("started at"))
    heartbeat_at = models.DateTimeField(_("heartbeat at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    recovered_at = models.DateTimeField(_("recovered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mail claim")
        verbose_name_plural = _("mail claims")

    def __str__(self) -> str:
        return f"{self.host}:{self.pid} ({self.token})"


class OutboundMail(models.Model):
    """One e-mail, sent at most once (see ``outreach.mail``)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SUPPRESSED = "suppressed", _("suppressed")

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    sender = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_mails",
    )
    contact_id = models.BigIntegerField(_("contact"), null=True, blank=True, db_index=True)
    to_email = models.EmailField(_("to"), max_length=254)
    to_name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=32)
    ref = models.CharField(_("reference"), max_length=100, blank=True)
    transactional = models.BooleanField(
        _("transactional"),
        default=False,
        help_text=_("Confirmations and reminders: sent in quiet hours and outside the caps."),
    )
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    attachment_name = models.CharField(_("attachment"), max_length=100, blank=True)
    attachment_type = models.CharField(_("attachment type"), max_length=100, blank=True)
    attachment_content = models.TextField(_("attachment content"), blank=True)
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    claim = models.ForeignKey(
        MailClaim, on_delete=models.SET_NULL, null=True, blank=True, related_name="mails"
    )
    send_started_at = models.DateTimeField(_("send started at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        indexes = (
            models.Index(fields=["state", "due_at"], name="outreach_mail_due"),
            models.Index(fields=["sender", "sent_at"], name="outreach_mail_sender_sent"),
        )

    def __str__(self) -> str:
        return f"{self.key} → {self.to_email} ({self.state})"


class Suppression(models.Model):
    """An address nothing is sent to any more (bounced, complained or unsubscribed)."""

    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("bounced")
        COMPLAINT = "complaint", _("complaint")
        UNSUBSCRIBE = "unsubscribe", _("unsubscribed")
        MANUAL = "manual", _("added by staff")

    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


# --------------------------------------------------------------------------- capture pages


class PageTemplate(models.Model):
    """A company-designed capture page. ``content``: ``{lang: {headline, body}}`` (Markdown);
    ``content_b`` the same for variant B (empty: no B variant)."""

    key = models.SlugField(_("key"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    content = models.JSONField(_("content"), default=dict)
    content_b = models.JSONField(_("variant B"), default=dict, blank=True)
    video_url = models.URLField(_("video URL"), blank=True)
    video_file = models.BinaryField(_("video file"), null=True, blank=True)
    video_type = models.CharField(_("video type"), max_length=100, blank=True)
    lead_course = models.SlugField(_("academy course (lead magnet)"), max_length=120, blank=True)
    ebook = models.BinaryField(_("e-book"), null=True, blank=True)
    ebook_name = models.CharField(_("e-book file name"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("page template")
        verbose_name_plural = _("page templates")

    def __str__(self) -> str:
        return self.name

    @property
    def has_b(self) -> bool:
        return any((self.content_b.get(lang) or {}).get("headline") for lang in LANGUAGES)


class Page(models.Model):
    """A distributor's personal capture page at ``p/<slug>/``. What the distributor wrote goes
    live only after the claim scanner let it through: ``greeting``/``headline`` are live,
    ``pending_*`` wait for compliance review."""

    owner = models.OneToOneField(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="outreach_page"
    )
    template = models.ForeignKey(PageTemplate, on_delete=models.PROTECT, related_name="pages")
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    display_name = models.CharField(_("name shown"), max_length=200)
    greeting = models.TextField(_("greeting"), blank=True)
    headline = models.CharField(_("headline"), max_length=200, blank=True)
    pending_greeting = models.TextField(_("greeting awaiting review"), blank=True)
    pending_headline = models.CharField(_("headline awaiting review"), max_length=200, blank=True)
    has_pending = models.BooleanField(_("awaiting review"), default=False)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    photo = models.BinaryField(_("photo"), null=True, blank=True)
    photo_type = models.CharField(_("photo type"), max_length=50, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("capture page")
        verbose_name_plural = _("capture pages")

    def __str__(self) -> str:
        return self.slug

    @property
    def source_id(self) -> str:
        """The id under which the scanner's review queue knows this page's current edit."""
        return f"{self.pk}:{self.revision}"


class PageStat(models.Model):
    """Visits and sign-ups of a page's variant on one day."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="stats")
    day = models.DateField(_("day"))
    variant = models.CharField(_("variant"), max_length=1, default="a")
    visits = models.PositiveIntegerField(_("visits"), default=0)
    signups = models.PositiveIntegerField(_("sign-ups"), default=0)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["page", "day", "variant"], name="outreach_stat_once"),
        )

    def __str__(self) -> str:
        return f"{self.page_id} {self.day} {self.variant}"


class VisitFold(models.Model):
    """How far the visit counters kept in the shared cache have been folded into ``PageStat``
    (``outreach.visits``): every time slot up to and including ``folded_through`` is counted
    in the rows. One row (pk 1), locked by the folder, moved in the same transaction as the
    counts it adds, so folding a slot twice adds nothing."""

    folded_through = models.BigIntegerField(_("folded through slot"), default=0)
    folded_at = models.DateTimeField(_("folded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("visit fold")
        verbose_name_plural = _("visit folds")

    def __str__(self) -> str:
        return f"visits folded through slot {self.folded_through}"


# --------------------------------------------------------------------------- sequences


class Sequence(models.Model):
    """A company-authored series of e-mails started by an event."""

    class Trigger(models.TextChoices):
        SIGNED_UP = "contact.signed_up", _("signed up on a page")
        WEBINAR_REGISTERED = "webinar.registered", _("registered for a webinar")
        WEBINAR_ATTENDED = "webinar.attended", _("attended a webinar")
        WEBINAR_MISSED = "webinar.missed", _("missed a webinar")
        CONVERTED = "contact.converted", _("became a customer")
        MEMBER_JOINED = "member.joined", _("joined as a distributor")
        NO_ORDER_30 = "no_order_30_days", _("no order for 30 days")

    class Reentry(models.TextChoices):
        NEVER = "never", _("never")
        AFTER = "after", _("after some days")
        ALWAYS = "always", _("always")

    key = models.SlugField(_("key"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    trigger = models.CharField(_("started by"), max_length=40, choices=Trigger.choices)
    reentry = models.CharField(
        _("re-entry"), max_length=8, choices=Reentry.choices, default=Reentry.NEVER
    )
    reentry_days = models.PositiveIntegerField(_("re-entry after days"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")

    def __str__(self) -> str:
        return self.name


class SequenceStep(models.Model):
    class Condition(models.TextChoices):
        ALWAYS = "", _("always")
        NOT_CUSTOMER = "not_customer", _("only if not a customer")
        NOT_DISTRIBUTOR = "not_distributor", _("only if not a distributor")

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    delay_minutes = models.PositiveIntegerField(
        _("delay (minutes)"), default=0, help_text=_("After the previous step (or the start).")
    )
    condition = models.CharField(
        _("condition"), max_length=20, choices=Condition.choices, default="", blank=True
    )
    content = models.JSONField(_("content"), default=dict)  # {lang: {subject, body}}

    class Meta:
        ordering = (
            "sequence",
            "position",
        )
        constraints = (
            models.UniqueConstraint(fields=["sequence", "position"], name="outreach_step_once"),
        )

    def __str__(self) -> str:
        return f"{self.sequence_id}#{self.position}"


class Enrollment(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        FINISHED = "finished", _("finished")
        LEFT = "left", _("left")

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="enrollments")
    owner = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="outreach_enrollments"
    )
    contact_id = models.BigIntegerField(_("contact"), null=True, blank=True, db_index=True)
    member = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outreach_member_enrollments",
        help_text=_("For sequences about a distributor themselves (joined, no order)."),
    )
    email = models.EmailField(_("e-mail"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    left_reason = models.CharField(_("reason"), max_length=20, blank=True)
    started_at = models.DateTimeField(_("started at"))
    next_position = models.PositiveSmallIntegerField(_("next step"), default=1)
    next_due_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    event_id = models.BigIntegerField(_("event"), null=True, blank=True)

    class Meta:
        indexes = (
            models.Index(fields=["state", "next_due_at"], name="outreach_enr_due"),
            models.Index(fields=["sequence", "email"], name="outreach_enr_email"),
        )

    def __str__(self) -> str:
        return f"{self.sequence_id}: {self.email} ({self.state})"


class Broadcast(models.Model):
    """One mail to a segment: a distributor's contacts (``owner``) or company news (no owner:
    every distributor)."""

    owner = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outreach_broadcasts",
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, default="en")
    stages = models.JSONField(_("stages"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)

    class State(models.TextChoices):
        SENT = "sent", _("sent")
        HELD = "held", _("held for compliance review")
        REJECTED = "rejected", _("rejected by compliance")

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.SENT)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")

    def __str__(self) -> str:
        return self.subject


# --------------------------------------------------------------------------- webinars


class Webinar(models.Model):
    class Kind(models.TextChoices):
        LIVE = "live", _("live")
        EVERGREEN = "evergreen", _("evergreen (recorded)")

    class Provider(models.TextChoices):
        BBB = "bbb", _("BigBlueButton")
        JITSI = "jitsi", _("Jitsi")
        VIDEO = "video", _("recorded video")

    content = models.JSONField(_("content"), default=dict)  # {lang: {title, description}}
    host = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outreach_webinars",
        help_text=_("A leader hosting it; empty for the company."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.LIVE)
    provider = models.CharField(
        _("video server"), max_length=8, choices=Provider.choices, default=Provider.BBB
    )
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=60)
    viewing_times = models.JSONField(
        _("viewing times"),
        default=list,
        blank=True,
        help_text=_("Evergreen: daily times (HH:MM, company time)."),
    )
    video_url = models.URLField(_("recording URL"), blank=True)
    replay_url = models.URLField(_("replay URL"), blank=True)
    meeting_id = models.CharField(_("meeting id"), max_length=100, unique=True)
    attendance_taken_at = models.DateTimeField(_("attendance taken"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    lesson = models.ForeignKey(
        "academy.Lesson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webinars",
        limit_choices_to={"kind": "webinar"},
        verbose_name=_("academy lesson"),
    )  # attending it (live or replay) completes this webinar lesson for a distributor

    class Meta:
        verbose_name = _("webinar")
        verbose_name_plural = _("webinars")
        ordering = (
            "-starts_at",
            "-pk",
        )

    def __str__(self) -> str:
        return pick(self.content, "en", "title") or self.meeting_id

    def title(self, language: str) -> str:
        return pick(self.content, language, "title")


class Registration(models.Model):
    webinar = models.ForeignKey(Webinar, on_delete=models.CASCADE, related_name="registrations")
    owner = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="outreach_registrations"
    )
    contact_id = models.BigIntegerField(_("contact"), null=True, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), max_length=254)
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=8, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    session_at = models.DateTimeField(_("session"))
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    settled_at = models.DateTimeField(_("attendance settled"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["webinar", "email", "session_at"], name="outreach_registration_once"
            ),
        )

    def __str__(self) -> str:
        return f"{self.webinar_id}: {self.email}"


# --------------------------------------------------------------------------- blog


class Article(models.Model):
    slug = models.SlugField(_("address"), max_length=120, unique=True)
    content = models.JSONField(_("content"), default=dict)  # {lang: {title, summary, body}}
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = (
            "-published_at",
            "-pk",
        )

    def __str__(self) -> str:
        return self.slug

    def title(self, language: str) -> str:
        return pick(self.content, language, "title")
