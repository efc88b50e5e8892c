from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledRun(models.Model):
    """One enqueue of a periodic job for one company-local day, or for one slot of a day (the
    minute it starts) for jobs that run every few minutes (see ``downline.core.scheduler``).

    The unique (job, run_for, slot) triple is what makes a run happen once: the row and the task are
    written in one transaction, so a scheduler that restarts, or a second scheduler, finds the
    row and enqueues nothing.
    """

    job = models.CharField(_("job"), max_length=100)
    run_for = models.DateField(_("run for day"))
    slot = models.PositiveSmallIntegerField(
        _("minute of the day"), default=0, help_text=_("for jobs that run every few minutes")
    )
    enqueued_at = models.DateTimeField(_("enqueued at"), auto_now_add=True)
    task_result_id = models.CharField(_("task result id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ("-run_for", "job")
        constraints = (
            models.UniqueConstraint(
                fields=["job", "run_for", "slot"], name="one_run_per_job_and_slot"
            ),
        )

    def __str__(self) -> str:
        hours, minutes = divmod(self.slot, 60)
        return f"{self.job} {self.run_for:%Y-%m-%d} {hours:02d}:{minutes:02d}"


class Event(models.Model):
    """Something that happened, written by an action in its own transaction (the outbox; see
    ``downline.core.events``). ``payload`` holds ids, keys and numbers, never sentences.

    ``tx`` is the writing transaction's id on PostgreSQL (``pg_current_xact_id()``; 0 on
    SQLite, whose writers run one at a time): consumers read events in ``(tx, id)`` order and
    only from transactions older than every transaction still running, so no event commits
    behind a consumer's cursor.
    """

    kind = models.CharField(_("kind"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred at"))
    member_id = models.BigIntegerField(
        _("member"), null=True, blank=True, help_text=_("primary key of the distributor")
    )
    payload = models.JSONField(_("payload"), default=dict)
    tx = models.BigIntegerField(_("transaction"), default=0)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ("tx", "id")
        indexes = (
            models.Index(fields=["tx", "id"], name="core_event_tx_id"),
            models.Index(fields=["kind", "id"], name="core_event_kind_id"),
        )

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Consumer(models.Model):
    """A reader of the outbox and how far it got: ``(cursor_tx, cursor_id)`` of the last event
    it handled. Moved in the same transaction as the handler's writes."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    cursor_tx = models.BigIntegerField(_("cursor transaction"), default=0)
    cursor_id = models.BigIntegerField(_("cursor event"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("event consumer")
        verbose_name_plural = _("event consumers")

    def __str__(self) -> str:
        return f"{self.name} @ {self.cursor_tx}/{self.cursor_id}"
