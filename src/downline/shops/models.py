"""Shops that send their order webhooks to Downline, their SKU mappings, and one receipt per
shop order, refund or cancellation.

A ``Receipt`` is the idempotency record: ``(shop, kind, external_id)`` is unique, and a receipt
whose status is ``processed`` (or ``ignored``) answers every redelivery of the same webhook
without writing anything. A ``refused`` receipt keeps the reason for staff; the next delivery
of the same webhook (after staff fixed, say, a SKU mapping) is tried again.
"""

from __future__ import annotations

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

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ("slug",)

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


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
