"""What the plan lab keeps: one row per simulation started from the console.

``SimulationRun`` holds who started it and when, the plan or plans it simulated, the growth
model's settings, its status and progress, and the result.

**The plans are snapshots.** A run keeps the plan text it simulated (``plan_text``,
``compare_text``) next to the version it came from: an unlocked ``PlanVersion`` can still be
edited, and a result must keep saying what it was computed from.

**Where the results live: in the database, as the metrics document only.** ``metrics`` holds
``metrics.json`` (tens of kilobytes for a typical run). ``report.html`` is *not* stored: it is
rendered from ``metrics`` on request (``downline.simulation.report.render_report``), because

* it is a function of the metrics alone, so storing it would duplicate them;
* every copy carries Apache ECharts (about 1.1 MB), which would make each row a megabyte;
* the report then follows the reader's language, not the language of whoever started the run;
* the app servers stay stateless (DESIGN.md): a file under ``VAR_DIR`` written by the worker
  would be missing on another machine, and it would outlive or lose its row outside the
  database's transactions and backups.

Progress is ``progress`` (0–100) with a short ``message``; the task writes them in short
transactions of their own so the console can poll while the simulation runs.

A run is a ``WorkerJob`` (``downline.core.jobs``): it records its worker and a heartbeat, and is
failed with the reason when its worker dies, instead of staying "running" for good.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from downline.core.jobs import WorkerJob


class SimulationRun(WorkerJob):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

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

    plan_version = models.ForeignKey(
        "compensation.PlanVersion",
        verbose_name=_("plan version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    plan_label = models.CharField(_("plan"), max_length=200)
    plan_text = models.TextField(_("plan file"))
    compare_version = models.ForeignKey(
        "compensation.PlanVersion",
        verbose_name=_("compared plan version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    compare_label = models.CharField(_("compared plan"), max_length=200, blank=True)
    compare_text = models.TextField(_("compared plan file"), blank=True)

    months = models.PositiveIntegerField(_("months"))
    start_distributors = models.PositiveIntegerField(_("distributors at the start"))
    replicas = models.PositiveIntegerField(_("replicas"))
    seed = models.PositiveBigIntegerField(_("seed"))
    params_text = models.TextField(_("growth parameters (YAML)"), blank=True)

    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(_("progress message"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    metrics = models.JSONField(_("metrics"), null=True, blank=True)

    class Meta:
        verbose_name = _("simulation")
        verbose_name_plural = _("simulations")
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="simulation_progress_at_most_100"
            ),
        )

    def __str__(self) -> str:
        return f"#{self.pk} {self.plan_label} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def compares(self) -> bool:
        return bool(self.compare_text)
