"""A CRM for each distributor: contacts, notes, follow-up tasks, one timeline, consent records.

Privacy is the invariant: a contact belongs to one distributor (``owner``) and every read goes
through ``selectors.contacts_of(owner)``; nobody else — sponsor, upline, staff — has a page that
shows them (the admin does not list them either).

* ``Contact``: e-mail (stored lower-case, unique per owner when given), phone, names, language,
  time zone, source, tags, pipeline stage (new → contacted → presented → customer | distributor),
  e-mail consent (none, pending double opt-in, confirmed, withdrawn) and a random ``unsubscribe_token``
  for the contact's own pages (confirm, my data) and the unsubscribe link. ``search_text`` and
  ``tag_text`` are kept by the actions for fast search and tag filters over 20,000 contacts.
  An erased contact (``erased_at``) is an anonymised tombstone: no personal data left.
* ``TimelineEntry``: ``kind`` + ``params`` (ids, keys, numbers), rendered in the reader's language
  by ``timeline.render`` (rule 12).
* ``ConsentRecord``: what the contact agreed to, where and when, the exact text shown, the
  address it came from, and when the double opt-in was confirmed or the consent withdrawn.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Contact(models.Model):
    class Stage(models.TextChoices):
        NEW = "new", _("new")
        CONTACTED = "contacted", _("contacted")
        PRESENTED = "presented", _("presented")
        CUSTOMER = "customer", _("customer")
        DISTRIBUTOR = "distributor", _("distributor")

    class Consent(models.TextChoices):
        NONE = "none", _("no consent")
        PENDING = "pending", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        WITHDRAWN = "withdrawn", _("withdrawn")

    owner = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=40, default="manual")
    source_ref = models.CharField(_("source detail"), max_length=120, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.NEW)
    email_consent = models.CharField(
        _("e-mail consent"), max_length=10, choices=Consent.choices, default=Consent.NONE
    )
    unsubscribe_token = models.CharField(
        max_length=64, unique=True, default=new_token, editable=False
    )
    search_text = models.CharField(max_length=600, blank=True, editable=False)
    tag_text = models.CharField(max_length=600, blank=True, editable=False)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ("-last_activity_at", "-pk")
        constraints = (
            models.UniqueConstraint(
                fields=["owner", "email"],
                condition=~Q(email=""),
                name="contacts_one_email_per_owner",
            ),
        )
        indexes = (
            models.Index(
                fields=["owner", "-last_activity_at"],
                name="contacts_owner_activity",
                condition=Q(erased_at__isnull=True),
            ),
            models.Index(
                fields=["owner", "stage"],
                name="contacts_owner_stage",
                condition=Q(erased_at__isnull=True),
            ),
            models.Index(fields=["last_activity_at"], name="contacts_activity"),
        )

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        if self.erased_at:
            return str(_("erased contact"))
        return name or self.email or self.phone or f"#{self.pk}"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class Note(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class FollowUpTask(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tasks")
    owner = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.CASCADE, related_name="contact_tasks"
    )
    title = models.CharField(_("what to do"), max_length=200)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ("due_at", "pk")
        indexes = (
            models.Index(fields=["owner", "done_at", "due_at"], name="contacts_task_owner_due"),
            models.Index(
                fields=["reminder_sent_at", "done_at", "due_at"], name="contacts_task_remind"
            ),
        )

    def __str__(self) -> str:
        return self.title


class TimelineEntry(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ("-at", "-pk")
        indexes = (models.Index(fields=["contact", "-at"], name="contacts_timeline_contact"),)

    def __str__(self) -> str:
        return self.kind


class ConsentRecord(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=20, default="email")
    source = models.CharField(_("source"), max_length=40)
    source_ref = models.CharField(_("source detail"), max_length=120, blank=True)
    text_shown = models.TextField(_("text shown"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=64, blank=True)
    given_at = models.DateTimeField(_("given"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed (double opt-in)"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ("-given_at", "-pk")

    def __str__(self) -> str:
        return f"{self.channel} {self.source}"
