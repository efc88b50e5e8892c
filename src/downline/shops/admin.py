"""Operator screens for shops: the shops and their SKU mappings are edited here; receipts (what
became of each shop order, refund and cancellation, and why one was refused) are read-only and
never deleted (they are the idempotency records of the shop's deliveries).

The webhook secret is typed once when a shop is added (or replaced by typing a new one) and is
never shown again: the pages show only its last 4 characters and the form field is always
empty. A WooCommerce shop's REST API key is set the same way: store address and consumer key
as plain fields, the consumer secret write-only; emptying the consumer key removes the key
(secret included). WooCommerce refund lookups are read-only, like receipts. Every change of a
shop (its default referrer among them) and of its SKU mappings is recorded by the admin's own
history (``LogEntry``, "History" on the shop's page), naming the staff member and the fields or
mappings changed.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from downline.core.admin_views import ReadOnlyAdmin

from .models import Receipt, RefundLookup, Shop, ShopKind, SkuMapping, is_allowed_rest_url


def masked_secret(secret: str) -> str:
    """``****abcd``: only the last 4 characters of a secret (``****`` for a shorter one)."""
    return f"****{secret[-4:]}" if len(secret) > 4 else "****"


def secret_field(label: str, help_text: str) -> forms.CharField:
    """A write-only secret: typed, never shown back (the field is empty on every page)."""
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=help_text,
    )


class ShopForm(forms.ModelForm):
    """The shop's fields; the webhook secret only as a write-only field, empty on every page."""

    new_webhook_secret = secret_field(
        _("New webhook secret"),
        _(
            "The key the shop signs its webhooks with. Required for a new shop; leave empty to "
            "keep the current one (it is never shown again)."
        ),
    )

    new_woo_consumer_secret = secret_field(
        _("New WooCommerce REST consumer secret"),
        _(
            "WooCommerce only: the consumer secret (cs_…) of a REST API key with read access "
            "(WooCommerce → Settings → Advanced → REST API). With it Downline reads the lines "
            "of partial refunds and returns them by itself. Leave empty to keep the current "
            "one (it is never shown again)."
        ),
    )

    class Meta:
        model = Shop
        fields = (
            "kind",
            "slug",
            "name",
            "currency",
            "default_referrer",
            "active",
            "woo_base_url",
            "woo_consumer_key",
        )

    def clean_new_webhook_secret(self) -> str:
        secret = self.cleaned_data["new_webhook_secret"]
        if not secret and self.instance.pk is None:
            raise forms.ValidationError(_("A new shop needs the webhook secret its shop uses."))
        return secret

    def clean_woo_base_url(self) -> str:
        url = self.cleaned_data["woo_base_url"].strip()
        if url and not is_allowed_rest_url(url):
            raise forms.ValidationError(
                _("The store address must start with https:// (the key travels with each request).")
            )
        return url

    def clean(self) -> dict:
        data = super().clean()
        url, key = data.get("woo_base_url"), data.get("woo_consumer_key", "").strip()
        secret = data.get("new_woo_consumer_secret") or (key and self.instance.woo_consumer_secret)
        if (url or key) and data.get("kind") != ShopKind.WOOCOMMERCE:
            self.add_error("woo_base_url", _("Only a WooCommerce shop has a REST API key."))
        elif key and not (url and secret):
            self.add_error(
                "new_woo_consumer_secret" if url else "woo_base_url",
                _("The REST API key needs the store address, the consumer key and its secret."),
            )
        elif data.get("new_woo_consumer_secret") and not key:
            self.add_error("woo_consumer_key", _("The consumer secret needs its consumer key."))
        return data

    def save(self, commit: bool = True) -> Shop:
        if self.cleaned_data.get("new_webhook_secret"):
            self.instance.webhook_secret = self.cleaned_data["new_webhook_secret"]
        if self.cleaned_data.get("new_woo_consumer_secret"):
            self.instance.woo_consumer_secret = self.cleaned_data["new_woo_consumer_secret"]
        if not self.instance.woo_consumer_key:
            self.instance.woo_consumer_secret = ""
        return super().save(commit)


class SkuMappingInline(admin.TabularInline):
    model = SkuMapping
    extra = 1
    raw_id_fields = ("product",)


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "kind", "currency", "default_referrer", "active")
    list_filter = ("kind", "active")
    raw_id_fields = ("default_referrer",)
    inlines = (SkuMappingInline,)
    form = ShopForm
    readonly_fields = ("webhook_secret_masked", "woo_consumer_secret_masked")

    @admin.display(description=_("webhook secret"))
    def webhook_secret_masked(self, obj: Shop) -> str:
        return masked_secret(obj.webhook_secret) if obj.pk else "-"

    @admin.display(description=_("WooCommerce REST consumer secret"))
    def woo_consumer_secret_masked(self, obj: Shop) -> str:
        return masked_secret(obj.woo_consumer_secret) if obj.woo_consumer_secret else "-"


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = (
        "shop",
        "kind",
        "external_id",
        "status",
        "order",
        "deliveries",
        "last_received_at",
    )
    list_filter = ("status", "kind", "shop")
    search_fields = ("external_id", "message")
    readonly_fields = tuple(field.name for field in Receipt._meta.fields)


@admin.register(RefundLookup)
class RefundLookupAdmin(ReadOnlyAdmin):
    list_display = (
        "shop",
        "order_external_id",
        "refund_external_id",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "shop")
    search_fields = ("order_external_id", "refund_external_id", "last_error")
    readonly_fields = tuple(field.name for field in RefundLookup._meta.fields)
