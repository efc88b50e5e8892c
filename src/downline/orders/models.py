"""Products, orders, returns, autoships and the live period volumes that orders move.

Money is integer minor units of the order's currency; PV and CV are integer hundredths of a
volume point (``12.50`` PV is stored as 1250). Prices and volumes are copied onto the order line
when the order is written, so later catalogue changes never alter past orders.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from downline.genealogy.models import Distributor
from downline.periods.models import Period


class ProductKind(models.TextChoices):
    PRODUCT = "product", _("product")
    STARTER_KIT = "starter_kit", _("starter kit")
    AUTOSHIP = "autoship", _("autoship item")
    FEE = "fee", _("fee")


class Product(models.Model):
    """A catalogue item with names in the four shipped languages and PV/CV per unit."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_pl = models.CharField(_("name (Polish)"), max_length=200, blank=True)
    name_de = models.CharField(_("name (German)"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=12, choices=ProductKind.choices, default=ProductKind.PRODUCT
    )
    pv = models.BigIntegerField(_("PV (hundredths)"), default=0)
    cv = models.BigIntegerField(_("CV (hundredths)"), default=0)
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ("sku",)
        constraints = (
            models.CheckConstraint(
                condition=Q(pv__gte=0, cv__gte=0), name="product_volumes_not_negative"
            ),
        )

    def __str__(self) -> str:
        return f"{self.sku} {self.name_en}"

    def name_in(self, language: str) -> str:
        """The name in ``language`` (``en``, ``ru``, ``pl``, ``de``); English when it is empty."""
        return getattr(self, f"name_{language}", "") or self.name_en


class ProductPrice(models.Model):
    """The price of one unit of a product in one currency, in minor units."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="prices"
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.BigIntegerField(_("price (minor units)"))

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = (
            models.UniqueConstraint(fields=["product", "currency"], name="one_price_per_currency"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_not_negative"),
        )

    def __str__(self) -> str:
        return f"{self.product.sku} {self.currency} {self.amount}"


class Autoship(models.Model):
    """A distributor's standing monthly order, placed by a scheduled task on ``day_of_month``.

    ``next_run_on`` is the next date an order is due; each placed order moves it to the same day of
    the following month (see ``actions.do_place_autoship_order``).
    """

    distributor = models.ForeignKey(
        Distributor,
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="autoships",
    )
    day_of_month = models.PositiveSmallIntegerField(_("day of month"))
    currency = models.CharField(_("currency"), max_length=3)
    active = models.BooleanField(_("active"), default=True)
    next_run_on = models.DateField(_("next run on"))
    last_run_on = models.DateField(_("last run on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("autoship")
        verbose_name_plural = _("autoships")
        constraints = (
            models.CheckConstraint(
                condition=Q(day_of_month__gte=1, day_of_month__lte=28),
                name="autoship_day_1_to_28",
            ),
        )
        indexes = (models.Index(fields=["active", "next_run_on"]),)

    def __str__(self) -> str:
        return f"{self.distributor.member_id} / {self.day_of_month}"


class AutoshipItem(models.Model):
    autoship = models.ForeignKey(
        Autoship, verbose_name=_("autoship"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)

    class Meta:
        verbose_name = _("autoship item")
        verbose_name_plural = _("autoship items")
        constraints = (
            models.CheckConstraint(condition=Q(quantity__gte=1), name="autoship_item_quantity"),
        )

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product.sku}"


class AutoshipRun(models.Model):
    """The outcome of placing one autoship's order due on ``due_on``.

    One row per autoship and due date: ``ordered`` with the order, or ``failed`` with the reason
    of the latest attempt. A failed date is tried again by every later run until it succeeds or
    the autoship is cancelled.
    """

    class Outcome(models.TextChoices):
        ORDERED = "ordered", _("ordered")
        FAILED = "failed", _("failed")

    autoship = models.ForeignKey(
        Autoship, verbose_name=_("autoship"), on_delete=models.CASCADE, related_name="runs"
    )
    due_on = models.DateField(_("due on"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    order = models.ForeignKey(
        "Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    last_attempt_at = models.DateTimeField(_("last attempt at"))

    class Meta:
        verbose_name = _("autoship run")
        verbose_name_plural = _("autoship runs")
        ordering = ("-due_on",)
        constraints = (
            models.UniqueConstraint(fields=["autoship", "due_on"], name="one_run_per_due_date"),
        )

    def __str__(self) -> str:
        return f"{self.autoship_id} {self.due_on} {self.outcome}"


class Order(models.Model):
    """A paid order, or a return of one (``returns_order`` set).

    ``buyer`` placed the order; ``distributor`` is whom its volume is credited to: the buyer, or
    the sponsor of a retail-customer buyer. Totals are positive for orders and for returns alike;
    a return subtracts them from the volumes of the period it is paid back in. An order's status
    is ``paid``, then possibly ``partly_returned``/``returned`` or ``cancelled``; a return row is
    always ``refunded``.
    """

    class Status(models.TextChoices):
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")
        RETURNED = "returned", _("returned")
        PARTLY_RETURNED = "partly_returned", _("partly returned")
        REFUNDED = "refunded", _("refund")

    number = models.CharField(_("order number"), max_length=64, unique=True)
    buyer = models.ForeignKey(
        Distributor, verbose_name=_("buyer"), on_delete=models.PROTECT, related_name="purchases"
    )
    distributor = models.ForeignKey(
        Distributor,
        verbose_name=_("credited distributor"),
        on_delete=models.PROTECT,
        related_name="credited_orders",
    )
    is_customer_order = models.BooleanField(_("bought by a retail customer"), default=False)
    kind = models.CharField(
        _("kind"), max_length=12, choices=ProductKind.choices, default=ProductKind.PRODUCT
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PAID
    )
    returns_order = models.ForeignKey(
        "self",
        verbose_name=_("return of order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )
    after_close = models.BooleanField(
        _("return after the close"),
        default=False,
        help_text=_(
            "A return of an order from a closed period: its volume stays with that period and "
            "its commissions are clawed back instead."
        ),
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.BigIntegerField(_("amount (minor units)"), default=0)
    pv = models.BigIntegerField(_("PV (hundredths)"), default=0)
    cv = models.BigIntegerField(_("CV (hundredths)"), default=0)
    paid_at = models.DateTimeField(_("paid at"))
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="orders"
    )
    autoship = models.ForeignKey(
        Autoship,
        verbose_name=_("autoship"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=100, null=True, blank=True, unique=True
    )
    reason = models.TextField(_("reason of the return or cancellation"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ("id",)
        constraints = (
            models.CheckConstraint(
                condition=Q(amount__gte=0, pv__gte=0, cv__gte=0), name="order_totals_not_negative"
            ),
        )
        indexes = (
            models.Index(fields=["period", "distributor"], name="order_period_member_idx"),
            models.Index(fields=["distributor", "paid_at"], name="order_member_time_idx"),
            models.Index(fields=["paid_at"], name="order_paid_at_idx"),
        )

    def __str__(self) -> str:
        return self.number

    @property
    def is_return(self) -> bool:
        return self.returns_order_id is not None


class OrderLine(models.Model):
    """One line of an order, with price, PV and CV per unit copied from the product."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT
    )
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.BigIntegerField(_("unit price (minor units)"))
    unit_pv = models.BigIntegerField(_("unit PV (hundredths)"))
    unit_cv = models.BigIntegerField(_("unit CV (hundredths)"))
    returns_line = models.ForeignKey(
        "self",
        verbose_name=_("return of line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ("id",)
        constraints = (
            models.CheckConstraint(
                condition=Q(unit_price__gte=0, unit_pv__gte=0, unit_cv__gte=0),
                name="order_line_not_negative",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity"),
        )

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku or self.description}"

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price

    @property
    def pv(self) -> int:
        return self.quantity * self.unit_pv

    @property
    def cv(self) -> int:
        return self.quantity * self.unit_cv


class PeriodVolume(models.Model):
    """Folded live volumes of one distributor in one period (see ``VolumeChange`` for the rest).

    ``pv``/``cv`` are the distributor's own orders plus their retail customers' (the latter also
    in ``customer_pv``/``customer_cv``). ``group_*`` sum the distributor's own and everyone's below
    them in the enrollment tree, ``placement_group_*`` the same over the placement tree; a binary
    leg's volume is the ``placement_group_cv`` of the child on that side. All in hundredths.
    """

    # no index of its own: the unique (period, distributor) index serves every read by period,
    # and a lone period index tempts the planner while the open period's statistics are stale
    period = models.ForeignKey(
        Period,
        verbose_name=_("period"),
        on_delete=models.PROTECT,
        related_name="volumes",
        db_index=False,
    )
    distributor = models.ForeignKey(
        Distributor,
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="period_volumes",
    )
    pv = models.BigIntegerField(_("PV"), default=0)
    cv = models.BigIntegerField(_("CV"), default=0)
    customer_pv = models.BigIntegerField(_("customer PV"), default=0)
    customer_cv = models.BigIntegerField(_("customer CV"), default=0)
    group_pv = models.BigIntegerField(_("group PV"), default=0)
    group_cv = models.BigIntegerField(_("group CV"), default=0)
    placement_group_pv = models.BigIntegerField(_("placement group PV"), default=0)
    placement_group_cv = models.BigIntegerField(_("placement group CV"), default=0)

    class Meta:
        verbose_name = _("period volume")
        verbose_name_plural = _("period volumes")
        constraints = (
            models.UniqueConstraint(
                fields=["period", "distributor"], name="one_volume_row_per_period"
            ),
        )

    def __str__(self) -> str:
        return f"{self.period.code} {self.distributor.member_id}"


class VolumeChange(models.Model):
    """A change to live volumes written by an order, a return or a cancellation, not yet folded.

    One row per order: the credited distributor, the period and the signed PV/CV (customer
    PV/CV too for a retail customer's order). The uplines are not named: the folder
    (``volumes.fold_volume_changes``) walks the chains when it folds, adds the row into the
    ``PeriodVolume`` rows of the distributor and of every upline, and deletes it, in one
    transaction. Live volume = ``PeriodVolume`` + the changes not folded yet. All in hundredths.
    """

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    distributor = models.ForeignKey(
        Distributor,
        verbose_name=_("distributor"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    pv = models.BigIntegerField(_("PV"), default=0)
    cv = models.BigIntegerField(_("CV"), default=0)
    customer_pv = models.BigIntegerField(_("customer PV"), default=0)
    customer_cv = models.BigIntegerField(_("customer CV"), default=0)

    class Meta:
        verbose_name = _("volume change not yet folded")
        verbose_name_plural = _("volume changes not yet folded")
        indexes = (models.Index(fields=["period", "id"], name="volume_change_period_idx"),)

    def __str__(self) -> str:
        return f"{self.period_id} {self.distributor_id} {self.pv}/{self.cv}"
