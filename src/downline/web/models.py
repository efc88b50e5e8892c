"""What the console keeps of its own: notes on distributors and commission-run jobs.

* ``Note``: a support note on a distributor (never edited; a correction is a new note).
* ``RunJob``: a projection, preview or final started from the console as a background task;
  ``steps`` lists the steps the run has finished (``load``, ``compute``, ``lines``,
  ``results``, ``ledger``, ``close``), so the page can show its progress while it runs.
  It is a ``WorkerJob`` (``downline.core.jobs``): it records its worker and a heartbeat, and
  is failed with the reason when its worker dies, so a killed worker never blocks a period.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from downline.compensation.models import Run
from downline.core.jobs import WorkerJob

STEPS = {
    "projection": ("load", "compute", "results"),
    "preview": ("load", "compute", "results"),
    "final": ("load", "compute", "lines", "results", "ledger", "close"),
}


class Note(models.Model):
    distributor = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("note"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=["distributor", "-created_at"], name="note_member_idx"),)

    def __str__(self) -> str:
        return f"{self.distributor_id}: {self.text[:40]}"


class RunJob(WorkerJob):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    period = models.ForeignKey(
        "periods.Period", verbose_name=_("period"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Run.Kind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    steps = models.JSONField(_("finished steps"), default=list)
    error = models.TextField(_("error"), blank=True)
    run = models.ForeignKey(
        "compensation.Run",
        verbose_name=_("run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("commission run job")
        verbose_name_plural = _("commission run jobs")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.kind} {self.period_id} {self.status}"

    @property
    def expected_steps(self) -> tuple[str, ...]:
        return STEPS.get(self.kind, ())

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        expected = self.expected_steps
        return 0 if not expected else 100 * len(self.steps) // len(expected)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
