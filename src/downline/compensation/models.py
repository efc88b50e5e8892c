"""Plan versions, commission runs and what they computed.

* ``PlanVersion``: the text of a plan file, its SHA-256 and who wrote it. A version that a final
  run used is locked (``locked_at``): its text can no longer change.
* ``PlanActivation``: from ``period`` on (until a later activation) ``version`` is the plan.
* ``Run``: one computation of a period. *Projections* and *previews* store per-distributor
  results only; the *final* run (at most one per period, a database constraint) also stores every
  commission line, the engine state for the next period and the ledger posting.
* ``RunResult``: one distributor's figures in one run, with their trace.
* ``LineBlock``: every commission line of one recipient in a final run, packed.
* ``CommissionLine``: a clawback line (negative) of a return.
* ``Clawback``: what a return of an order from a closed period took back, and from whom.

Ranks and bonuses are stored as indices into the plan version's ``ranks`` and ``bonuses``.
Money is integer minor units of the plan's currency, volumes integer hundredths.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanVersion(models.Model):
    name = models.CharField(_("plan name"), max_length=200)
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("plan file"))
    digest = models.CharField(_("SHA-256"), max_length=64)
    note = models.TextField(_("note"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    locked_at = models.DateTimeField(
        _("locked at"), null=True, blank=True, help_text=_("set when a final run used it")
    )

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ("name", "-number")
        constraints = (
            models.UniqueConstraint(fields=["name", "number"], name="plan_version_number"),
        )

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class PlanActivation(models.Model):
    period = models.OneToOneField(
        "periods.Period",
        verbose_name=_("from period"),
        on_delete=models.PROTECT,
        related_name="plan_activation",
    )
    version = models.ForeignKey(
        PlanVersion, verbose_name=_("plan version"), on_delete=models.PROTECT
    )
    activated_at = models.DateTimeField(_("activated at"), auto_now=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("activated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("plan activation")
        verbose_name_plural = _("plan activations")

    def __str__(self) -> str:
        return f"{self.version} from {self.period}"


class Run(models.Model):
    class Kind(models.TextChoices):
        PROJECTION = "projection", _("projection")
        PREVIEW = "preview", _("preview")
        FINAL = "final", _("final")

    period = models.ForeignKey(
        "periods.Period", verbose_name=_("period"), on_delete=models.PROTECT, related_name="runs"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    plan_version = models.ForeignKey(
        PlanVersion, verbose_name=_("plan version"), on_delete=models.PROTECT, related_name="runs"
    )
    computed_at = models.DateTimeField(_("computed at"), help_text=_("when the inputs were read"))
    finished_at = models.DateTimeField(_("finished at"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    currency = models.CharField(_("currency"), max_length=16)
    minor_digits = models.PositiveSmallIntegerField(_("minor digits"))
    distributors = models.PositiveIntegerField(_("distributors"))
    orders = models.PositiveIntegerField(_("orders"))
    lines = models.BigIntegerField(_("lines"))
    total_paid = models.BigIntegerField(_("total paid (minor units)"))
    total_before_cap = models.BigIntegerField(_("total before caps (minor units)"))
    total_pv = models.BigIntegerField(_("total PV (hundredths)"))
    total_cv = models.BigIntegerField(_("total CV (hundredths)"))
    total_amount = models.BigIntegerField(_("turnover (hundredths)"))
    input_digest = models.CharField(_("input digest"), max_length=64)
    summary = models.JSONField(_("summary"), default=dict)
    timings = models.JSONField(_("timings (seconds)"), default=dict)
    state = models.BinaryField(_("engine state after the period"), null=True, blank=True)

    class Meta:
        verbose_name = _("commission run")
        verbose_name_plural = _("commission runs")
        ordering = ("-computed_at", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=["period"], condition=models.Q(kind="final"), name="one_final_run_per_period"
            ),
        )
        indexes = (models.Index(fields=["period", "kind", "-computed_at"]),)

    def __str__(self) -> str:
        return f"{self.period} {self.get_kind_display()} #{self.pk}"


class RunResult(models.Model):
    """One distributor in one run. ``sponsor_id``/``placement_id`` are their parents in the trees
    the run computed on; ``by_bonus`` the amount per plan bonus (little-endian int64, see
    :func:`downline.compensation.selectors.by_bonus`). The trace is stored as numbers in the
    run's :class:`RunTrace` chunks and rendered when read; ``trace`` holds the zlib-compressed
    JSON trace (sentences in English) only for runs stored before that (``NULL`` since), see
    :func:`downline.compensation.selectors.trace_of`."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="results")
    distributor = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    sponsor_id = models.BigIntegerField(null=True)
    placement_id = models.BigIntegerField(null=True)
    pv = models.BigIntegerField()
    cv = models.BigIntegerField()
    gv = models.BigIntegerField()
    qualifying_volume = models.BigIntegerField()
    active = models.BooleanField()
    qualified_rank = models.SmallIntegerField()
    paid_as_rank = models.SmallIntegerField()
    highest_rank = models.SmallIntegerField()
    earned = models.BigIntegerField()
    carry_left = models.BigIntegerField()
    carry_right = models.BigIntegerField()
    by_bonus = models.BinaryField()
    trace = models.BinaryField(null=True, blank=True)

    class Meta:
        verbose_name = _("run result")
        verbose_name_plural = _("run results")
        constraints = (
            models.UniqueConstraint(fields=["run", "distributor"], name="run_result_distributor"),
        )

    def __str__(self) -> str:
        return f"{self.run_id}/{self.distributor_id}"


class RunTrace(models.Model):
    """The traces of a run's distributors ``first_distributor … last_distributor`` (database
    ids, every row of the chunk in between, ascending) as numbers: one zstd-compressed Arrow
    IPC stream of :mod:`downline.calc.trace_file` (design rule 12: numbers stored, sentences
    rendered in the reader's language when read, :mod:`downline.compensation.traces`)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="traces")
    first_distributor = models.BigIntegerField()
    last_distributor = models.BigIntegerField()
    rows = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        verbose_name = _("run trace chunk")
        verbose_name_plural = _("run trace chunks")
        constraints = (
            models.UniqueConstraint(
                fields=["run", "first_distributor"], name="run_trace_first_distributor"
            ),
        )

    def __str__(self) -> str:
        return f"{self.run_id}/{self.first_distributor}-{self.last_distributor}"


class Clawback(models.Model):
    """A return of an order whose period has a final run: the negative lines it created in the
    open ``period`` and the ledger transaction that posted them."""

    return_order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("return"),
        on_delete=models.PROTECT,
        related_name="clawback",
    )
    original_run = models.ForeignKey(
        Run, verbose_name=_("final run of the order"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.ForeignKey(
        "periods.Period", verbose_name=_("period"), on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=16)
    amount = models.BigIntegerField(_("amount (minor units)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ledger_transaction = models.ForeignKey(
        "ledger.Transaction",
        verbose_name=_("ledger transaction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("clawback")
        verbose_name_plural = _("clawbacks")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.return_order} {self.amount}"


class LineBlock(models.Model):
    """Every commission line of one recipient in one final run, packed column by column into
    ``data`` (see ``line_blocks``): one row per recipient instead of one per line, so a period
    of tens of millions of lines is written in seconds and a statement is one indexed read.
    ``lines`` and ``amount`` are the count and Σ amount of the packed lines."""

    run = models.ForeignKey(Run, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    recipient = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    lines = models.IntegerField()
    amount = models.BigIntegerField()
    data = models.BinaryField()

    class Meta:
        verbose_name = _("commission lines of a recipient")
        verbose_name_plural = _("commission lines of recipients")
        constraints = (
            models.UniqueConstraint(fields=["run", "recipient"], name="line_block_recipient"),
        )

    def __str__(self) -> str:
        return f"{self.run_id}/{self.recipient_id}"


class CommissionLine(models.Model):
    """A clawback line: negative, in the open ``period`` of the return that caused it.

    ``bonus`` and the rate refer to the plan version of the clawback's original final run.
    """

    period = models.ForeignKey("periods.Period", on_delete=models.PROTECT, related_name="+")
    clawback = models.ForeignKey(Clawback, on_delete=models.PROTECT, related_name="lines")
    bonus = models.SmallIntegerField()
    recipient = models.ForeignKey(
        "genealogy.Distributor", on_delete=models.PROTECT, related_name="+"
    )
    source = models.ForeignKey(
        "genealogy.Distributor", null=True, on_delete=models.PROTECT, related_name="+"
    )
    source_order = models.ForeignKey(
        "orders.Order", null=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.SmallIntegerField()
    base = models.BigIntegerField()
    rate_num = models.BigIntegerField()
    rate_den = models.BigIntegerField()
    amount_before_cap = models.BigIntegerField()
    amount = models.BigIntegerField()

    class Meta:
        verbose_name = _("clawback line")
        verbose_name_plural = _("clawback lines")
        indexes = (models.Index(fields=["recipient", "period"], name="line_recipient_period"),)

    def __str__(self) -> str:
        return f"{self.bonus}:{self.recipient_id} {self.amount}"
