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
