"""Shops that send their order webhooks to Downline, their SKU mappings, and one receipt per
shop order, refund or cancellation.

A ``Receipt`` is the idempotency record: ``(shop, kind, external_id)`` is unique, and a receipt
whose status is ``processed`` (or ``ignored``) answers every redelivery of the same webhook
without writing anything. A ``refused`` receipt keeps the reason for staff; the next delivery
of the same webhook (after staff fixed, say, a SKU mapping) is tried again.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import models
from django.utils.translation import gettext_lazy as _

from downline.genealogy.models import Distributor
from downline.orders.models import Order, Product


class ShopKind(models.TextChoices):
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    SHOPIFY = "shopify", "Shopify"


class Shop(models.Model):
    """An online shop whose order webhooks become orders.

    ``slug`` names the shop in its webhook URL (``/shops/<kind>/<slug>/``); ``webhook_secret``
    is the key the shop signs its webhooks with (HMAC-SHA256, base64). Orders are priced in
    ``currency`` from Downline's catalogue; a new retail customer without a valid referral is
    enrolled under ``default_referrer``.

    A WooCommerce shop may also name its REST API (``woo_base_url``, ``woo_consumer_key``,
    ``woo_consumer_secret``; a read-only key is enough): then Downline reads the lines of each
    partial refund from the shop itself (``woocommerce``). The consumer secret is kept like the
    webhook secret: in the row, typed once and never shown again, never logged.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ShopKind.choices)
    slug = models.SlugField(_("name in the webhook URL"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    webhook_secret = models.CharField(_("webhook secret"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3)
    default_referrer = models.ForeignKey(
        Distributor,
        verbose_name=_("default referring distributor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    woo_base_url = models.URLField(
        _("WooCommerce store address"),
        max_length=200,
        blank=True,
        help_text=_("e.g. https://shop.example.com; the REST API is under /wp-json/wc/v3/"),
    )
    woo_consumer_key = models.CharField(
        _("WooCommerce REST consumer key"), max_length=100, blank=True
    )
    woo_consumer_secret = models.CharField(
        _("WooCommerce REST consumer secret"), max_length=200, blank=True
    )

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ("slug",)

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def has_woo_rest(self) -> bool:
        """Whether Downline may read this shop's WooCommerce REST API: a WooCommerce shop with
        an address and a consumer key and secret."""
        return bool(
            self.kind == ShopKind.WOOCOMMERCE
            and self.woo_base_url
            and self.woo_consumer_key
            and self.woo_consumer_secret
        )


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_allowed_rest_url(url: str) -> bool:
    """A shop's REST address must be ``https://`` (the consumer key and secret travel in a
    Basic ``Authorization`` header); plain ``http://`` only for a local stand-in on
    127.0.0.1/localhost (the tests). Credentials in the address itself are refused (they
    would end up in messages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS)


class SkuMapping(models.Model):
    """A shop SKU that differs from the Downline SKU of the product it sells.

    Without a mapping, a shop SKU names the product with the same SKU.
    """

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="sku_mappings"
    )
    shop_sku = models.CharField(_("SKU in the shop"), max_length=100)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("SKU mapping")
        verbose_name_plural = _("SKU mappings")
        ordering = ("shop", "shop_sku")
        constraints = (
            models.UniqueConstraint(fields=["shop", "shop_sku"], name="one_mapping_per_shop_sku"),
        )

    def __str__(self) -> str:
        return f"{self.shop.slug}: {self.shop_sku} → {self.product.sku}"


class Receipt(models.Model):
    """What became of one shop order, refund or cancellation (the idempotency record).

    ``order`` is the order placed (kind ``order``), the return written (``refund``, and a
    ``cancellation`` of an order that could no longer be cancelled) or the cancelled order.
    ``line_ids`` maps each shop line id of an order to the id of its ``OrderLine``, so a
    refund names the lines it returns.
    """

    class Kind(models.TextChoices):
        ORDER = "order", _("order")
        REFUND = "refund", _("refund")
        CANCELLATION = "cancellation", _("cancellation")

    class Status(models.TextChoices):
        PROCESSED = "processed", _("processed")
        IGNORED = "ignored", _("ignored")
        REFUSED = "refused", _("refused")
        PENDING = "pending", _("pending")

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="receipts"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    external_id = models.CharField(_("id in the shop"), max_length=100)
    topic = models.CharField(_("webhook topic"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    line_ids = models.JSONField(_("shop line ids"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    deliveries = models.PositiveIntegerField(_("deliveries"), default=1)
    first_received_at = models.DateTimeField(_("first received at"), auto_now_add=True)
    last_received_at = models.DateTimeField(_("last received at"), auto_now=True)

    class Meta:
        verbose_name = _("shop webhook receipt")
        verbose_name_plural = _("shop webhook receipts")
        ordering = ("-last_received_at",)
        constraints = (
            models.UniqueConstraint(
                fields=["shop", "kind", "external_id"], name="one_receipt_per_shop_object"
            ),
        )
        indexes = (models.Index(fields=["status", "last_received_at"]),)

    def __str__(self) -> str:
        return f"{self.shop.slug} {self.kind} {self.external_id}: {self.status}"


class RefundLookup(models.Model):
    """Reading the lines of one WooCommerce partial refund from the shop's REST API.

    Made (with its refund's ``pending`` receipt) when a webhook first lists the refund of a
    shop with REST credentials; worked by the task ``shops.tasks.look_up_woocommerce_refund``.
    ``attempts`` counts the requests started; ``next_attempt_at`` is both the lease of the
    attempt under way and the time of the next one (the task that will make it is enqueued
    before each request, so a worker that dies mid-request leaves it to that task). Status
    ``done`` once the refund became a return (or was ignored); ``given_up`` when the shop did
    not answer for ``actions.LOOKUP_GIVE_UP_AFTER``, its answer was refused, or the attempts
    never finished: the receipt then holds the notice for staff.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("done")
        GIVEN_UP = "given_up", _("given up")

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="refund_lookups"
    )
    receipt = models.OneToOneField(
        Receipt,
        verbose_name=_("receipt"),
        on_delete=models.PROTECT,
        related_name="refund_lookup",
    )
    order_external_id = models.CharField(_("order id in the shop"), max_length=100)
    refund_external_id = models.CharField(_("refund id in the shop"), max_length=100)
    refund_total = models.CharField(_("refund total"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("WooCommerce refund lookup")
        verbose_name_plural = _("WooCommerce refund lookups")
        ordering = ("-created_at",)
        indexes = (models.Index(fields=["status", "next_attempt_at"]),)

    def __str__(self) -> str:
        return f"{self.shop.slug} refund {self.refund_external_id}: {self.status}"
