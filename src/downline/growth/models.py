"""The growth app's rows: the sponsor's radar, follow-ups, notifications, mentors and
sponsor-change requests.

Stored texts are keys and numbers (DESIGN rule 12): a ``RadarItem`` holds its reason as a key
with exact figures in ``params``; a ``Notification`` holds its kind and the event's figures.
Both are rendered in the reader's language when shown (``growth.texts``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from downline.core.jobs import WorkerJob


class RadarItem(models.Model):
    """One person in a sponsor's (or mentor's) downline who needs them on ``day``, and why."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        DISMISSED = "dismissed", _("dismissed")

    sponsor = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # radar_sponsor_day (sponsor, day) serves every read by sponsor
        related_name="+",
        verbose_name=_("sponsor or mentor"),
    )
    member = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("member"),
    )
    reason = models.CharField(_("reason"), max_length=40)
    params = models.JSONField(_("figures"), default=dict)
    day = models.DateField(_("day"))
    via_mentor = models.BooleanField(_("as mentor"), default=False)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="open")
    action = models.CharField(_("action taken"), max_length=20, blank=True)
    action_params = models.JSONField(_("action details"), default=dict, blank=True)
    acted_at = models.DateTimeField(_("acted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("radar item")
        verbose_name_plural = _("radar items")
        constraints = (
            models.UniqueConstraint(
                fields=["day", "sponsor", "member", "reason"], name="radar_item_once_a_day"
            ),
        )
        indexes = (models.Index(fields=["sponsor", "day"], name="radar_sponsor_day"),)

    def __str__(self) -> str:
        return f"{self.day} {self.sponsor_id}→{self.member_id} {self.reason}"


class RadarBuild(WorkerJob):
    """One build of the radar for a day (a worker job with a heartbeat, ``core.jobs``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    day = models.DateField(_("day"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="queued")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    items = models.PositiveIntegerField(_("items"), default=0)
    seconds = models.JSONField(_("timings (seconds)"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("radar build")
        verbose_name_plural = _("radar builds")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.day} {self.status}"


class FollowUp(models.Model):
    """A follow-up task a distributor set themselves about a member of their downline."""

    owner = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="+", verbose_name=_("owner")
    )
    member = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("about"),
    )
    radar_item = models.ForeignKey(
        RadarItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(_("due on"))
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ("due_on", "id")

    def __str__(self) -> str:
        return f"{self.owner_id}→{self.member_id} {self.due_on}"


class Notification(models.Model):
    """One thing a member is told about, from one event (``event_id``) or a daily digest."""

    recipient = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("figures"), default=dict)
    event_id = models.BigIntegerField(_("event"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    delivered_at = models.DateTimeField(
        _("delivered at"), null=True, blank=True, help_text=_("e-mail and push handled")
    )
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)
    digest_pending = models.BooleanField(_("waits for the digest"), default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ("-created_at", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=["event_id", "recipient"], name="notification_once_per_event"
            ),
        )
        indexes = (
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["delivered_at"], name="notification_undelivered"),
        )

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind}"


class NotificationSettings(models.Model):
    """A member's channels per kind of notification and their time zone.

    ``prefs`` maps a kind to ``{"in_app": bool, "email": "off"|"immediate"|"digest",
    "push": bool}``; a kind not listed uses ``notify.DEFAULTS``."""

    member = models.OneToOneField(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="+"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    prefs = models.JSONField(_("preferences"), default=dict)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.member_id)


class PushSubscription(models.Model):
    """A browser's web-push subscription (endpoint and keys) of a member."""

    member = models.ForeignKey("genealogy.Distributor", on_delete=models.CASCADE, related_name="+")
    endpoint = models.URLField(_("endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    failures = models.PositiveIntegerField(_("failures"), default=0)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return self.endpoint[:60]


class MentorAssignment(models.Model):
    """A mentor who looks after ``member`` besides (not instead of) the sponsor; the genealogy
    does not change. Ended by ``ended_at``."""

    member = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
    )
    mentor = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("mentor"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mentor assignment")
        verbose_name_plural = _("mentor assignments")
        ordering = ("-created_at", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(ended_at__isnull=True),
                name="one_current_mentor",
            ),
        )

    def __str__(self) -> str:
        return f"{self.mentor_id} mentors {self.member_id}"


class SponsorChangeRequest(models.Model):
    """A request to move ``member`` to ``new_sponsor``: checked against the policy when made,
    decided by the company in the console, then carried out by genealogy's own action."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for the company")
        APPROVED = "approved", _("approved and carried out")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("approved but refused by the network rules")

    member = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
    )
    old_sponsor = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("old sponsor"),
    )
    new_sponsor = models.ForeignKey(
        "genealogy.Distributor",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("new sponsor"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requester_role = models.CharField(_("requested by"), max_length=12)  # member|upline|staff
    reason = models.TextField(_("reason"))
    old_sponsor_consent = models.BooleanField(_("old sponsor's written consent"), default=False)
    checks = models.JSONField(_("policy checks"), default=list)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="pending")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sponsor-change request")
        verbose_name_plural = _("sponsor-change requests")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.member_id}: {self.old_sponsor_id}→{self.new_sponsor_id} {self.state}"


class Message(models.Model):
    """A message a sponsor (or mentor) sent to a member of their downline from the radar,
    after the claim scanner let it through; delivered in the app and by e-mail."""

    sender = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="+", verbose_name=_("from")
    )
    recipient = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="+", verbose_name=_("to")
    )
    radar_item = models.ForeignKey(
        RadarItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, default="en")
    verdict = models.CharField(_("scanner verdict"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.sender_id}→{self.recipient_id}"
