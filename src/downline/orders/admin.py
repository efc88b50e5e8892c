"""Operator screens for products, orders, autoships and live volumes.

Products and their prices stay editable here: each save goes through ``do_create_product``/
``do_update_product``/``do_set_price``/``do_remove_price`` (validated, recorded), and a product
is catalogue data, not money already moved. Orders, order lines, autoships and volumes are
READ-ONLY: returns, autoships (create, cancel) and everything that moves volume or money are
changed in the console (``/console/``) through the actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from downline.core.admin_views import ReadOnlyAdmin
from downline.core.errors import DownlineError
from downline.core.formatting import (
    format_amount,
    format_money,
    format_volume,
    format_volume_amount,
    parse_money,
    parse_volume,
)
from downline.money import minor_units

from .actions import (
    LANGUAGES,
    do_create_product,
    do_remove_price,
    do_set_price,
    do_update_product,
)
from .models import (
    Autoship,
    AutoshipItem,
    AutoshipRun,
    Order,
    OrderLine,
    PeriodVolume,
    Product,
    ProductPrice,
)
from .rules import is_currency_code
from .volumes import fold_volume_changes


class ActionErrorsAsMessages:
    """Show a ``DownlineError`` raised by an action while saving as an error message on the
    same page (the admin's transaction has rolled back) instead of a server error."""

    def changeform_view(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except DownlineError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# --- products -----------------------------------------------------------------------------


class VolumeField(forms.CharField):
    """A PV/CV entered as ``12.50`` and cleaned to hundredths (1250)."""

    def to_python(self, value: str | None) -> int | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            hundredths = parse_volume(text)
        except ValueError:
            raise forms.ValidationError(
                _("Enter a volume such as 12.50 (at most two decimals)."), code="invalid"
            ) from None
        if hundredths < 0:
            raise forms.ValidationError(_("A volume cannot be negative."), code="negative")
        return hundredths


class ProductForm(forms.ModelForm):
    pv_points = VolumeField(label=_("PV per unit"), help_text=_("For example 12.50"))
    cv_points = VolumeField(label=_("CV per unit"), help_text=_("For example 10.00"))

    class Meta:
        model = Product
        fields = ("sku", "name_en", "name_ru", "name_pl", "name_de", "kind", "active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pv_points"].initial = format_volume_amount(self.instance.pv or 0)
        self.fields["cv_points"].initial = format_volume_amount(self.instance.cv or 0)


class PriceForm(forms.ModelForm):
    price = forms.CharField(label=_("price"), help_text=_("For example 49.90"))

    class Meta:
        model = ProductPrice
        fields = ("currency",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["price"].initial = format_amount(
                self.instance.amount, self.instance.currency
            )

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if not is_currency_code(currency):
            raise forms.ValidationError(
                _("Enter a three-letter currency code such as EUR."), code="invalid"
            )
        return currency

    def clean(self) -> dict:
        cleaned = super().clean()
        currency, text = cleaned.get("currency"), cleaned.get("price")
        if currency and text:
            try:
                cleaned["amount"] = parse_money(text, currency)
            except ValueError:
                self.add_error(
                    "price",
                    gettext("Enter a price in %(currency)s with at most %(digits)s decimals.")
                    % {"currency": currency, "digits": minor_units(currency)},
                )
            else:
                if cleaned["amount"] < 0:
                    self.add_error("price", gettext("A price cannot be negative."))
                self.instance.amount = cleaned["amount"]
        return cleaned


class PriceInline(admin.TabularInline):
    model = ProductPrice
    form = PriceForm
    fields = ("currency", "price")
    extra = 1


@admin.register(Product)
class ProductAdmin(ActionErrorsAsMessages, admin.ModelAdmin):
    form = ProductForm
    inlines = (PriceInline,)
    list_display = ("sku", "name_en", "kind", "pv_display", "cv_display", "price_list", "active")
    list_filter = ("kind", "active")
    search_fields = ("sku", "name_en", "name_ru", "name_pl", "name_de")
    fieldsets = (
        (None, {"fields": ("sku", "kind", "active")}),
        (_("Names"), {"fields": ("name_en", "name_ru", "name_pl", "name_de")}),
        (_("Volumes"), {"fields": ("pv_points", "cv_points")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).prefetch_related("prices")

    @admin.display(description=_("PV"), ordering="pv")
    def pv_display(self, product: Product) -> str:
        return format_volume(product.pv, "PV")

    @admin.display(description=_("CV"), ordering="cv")
    def cv_display(self, product: Product) -> str:
        return format_volume(product.cv, "CV")

    @admin.display(description=_("prices"))
    def price_list(self, product: Product) -> str:
        return ", ".join(format_money(p.amount, p.currency) for p in product.prices.all())

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False  # products are taken off sale, never deleted (orders refer to them)

    def save_model(self, request: HttpRequest, obj: Product, form: ProductForm, change: bool):
        data = form.cleaned_data
        fields = {
            "names": {language: data.get(f"name_{language}", "") for language in LANGUAGES},
            "kind": data["kind"],
            "pv": data["pv_points"],
            "cv": data["cv_points"],
            "active": data["active"],
            "actor": request.user,
        }
        if change:
            saved = do_update_product(obj, sku=data["sku"], **fields)
        else:
            saved = do_create_product(data["sku"], **fields)
        obj.pk = saved.pk
        obj._state.adding = False

    def save_formset(self, request, form, formset, change) -> None:
        """Each price row through ``do_set_price``/``do_remove_price``; the lists the admin's
        change message reads are filled as ``formset.save()`` would fill them."""
        product = formset.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for price_form in formset.forms:
            old = price_form.instance if price_form.instance.pk else None
            if price_form in formset.deleted_forms:
                if old is not None:
                    do_remove_price(product, old.currency, actor=request.user)
                    formset.deleted_objects.append(old)
                continue
            if not price_form.has_changed() or "amount" not in price_form.cleaned_data:
                continue
            currency = price_form.cleaned_data["currency"]
            if old is not None and price_form.initial.get("currency") != currency:
                do_remove_price(product, price_form.initial["currency"], actor=request.user)
            price = do_set_price(
                product, currency, price_form.cleaned_data["amount"], actor=request.user
            )
            if old is None:
                formset.new_objects.append(price)
            else:
                formset.changed_objects.append((price, price_form.changed_data))


# --- orders -------------------------------------------------------------------------------


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fk_name = "order"
    fields = (
        "sku",
        "description",
        "quantity",
        "unit_price_display",
        "unit_pv_display",
        "unit_cv_display",
        "returns_line",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    @admin.display(description=_("unit price"))
    def unit_price_display(self, line: OrderLine) -> str:
        return format_money(line.unit_price, line.order.currency)

    @admin.display(description=_("unit PV"))
    def unit_pv_display(self, line: OrderLine) -> str:
        return format_volume(line.unit_pv, "PV")

    @admin.display(description=_("unit CV"))
    def unit_cv_display(self, line: OrderLine) -> str:
        return format_volume(line.unit_cv, "CV")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders and returns, read-only; they are written by the shop, the API and imports, and
    returned in the console (``/console/returns/``)."""

    inlines = (OrderLineInline,)
    list_display = (
        "number",
        "paid_at",
        "buyer_id_display",
        "distributor_id_display",
        "kind",
        "status",
        "amount_display",
        "pv_display",
        "cv_display",
        "period",
    )
    list_filter = ("status", "kind", "period", "currency", "is_customer_order")
    search_fields = ("number", "buyer__member_id", "distributor__member_id")
    list_select_related = ("buyer", "distributor", "period")
    date_hierarchy = "paid_at"
    fields = (
        "console",
        "number",
        "status",
        "kind",
        "buyer",
        "distributor",
        "is_customer_order",
        "returns_order",
        "amount_display",
        "pv_display",
        "cv_display",
        "paid_at",
        "period",
        "autoship",
        "idempotency_key",
        "reason",
        "created_at",
        "created_by",
        "cancelled_at",
        "cancelled_by",
    )
    readonly_fields = fields

    @admin.display(description=_("console"))
    def console(self, order: Order) -> str:
        """Returns of this order are recorded in the console."""
        if order.returns_order_id is not None:
            return "—"
        url = f"{reverse('web:console_returns')}?{urlencode({'order': order.number})}"
        return format_html('<a href="{}">{}</a>', url, gettext("Return items in the console"))

    @admin.display(description=_("buyer"), ordering="buyer__member_id")
    def buyer_id_display(self, order: Order) -> str:
        return order.buyer.member_id

    @admin.display(description=_("credited to"), ordering="distributor__member_id")
    def distributor_id_display(self, order: Order) -> str:
        return order.distributor.member_id

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, order: Order) -> str:
        return format_money(order.amount, order.currency)

    @admin.display(description=_("PV"), ordering="pv")
    def pv_display(self, order: Order) -> str:
        return format_volume(order.pv, "PV")

    @admin.display(description=_("CV"), ordering="cv")
    def cv_display(self, order: Order) -> str:
        return format_volume(order.cv, "CV")


# --- autoships ----------------------------------------------------------------------------


class AutoshipItemInline(admin.TabularInline):
    model = AutoshipItem
    fields = ("product", "quantity")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Autoship | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Autoship | None = None) -> bool:
        return False


class AutoshipRunInline(admin.TabularInline):
    model = AutoshipRun
    fields = ("due_on", "outcome", "order", "error", "attempts", "last_attempt_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Autoship | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Autoship | None = None) -> bool:
        return False


@admin.register(Autoship)
class AutoshipAdmin(ReadOnlyAdmin):
    """Autoships, read-only: they are created and cancelled on the member's console page
    (``do_create_autoship``, ``do_cancel_autoship``)."""

    list_display = (
        "id",
        "member_display",
        "day_of_month",
        "currency",
        "active",
        "next_run_on",
        "last_run_on",
    )
    list_filter = ("active", "currency", "day_of_month")
    search_fields = ("distributor__member_id",)
    list_select_related = ("distributor",)
    inlines = (AutoshipItemInline, AutoshipRunInline)
    fields = (
        "console",
        "distributor",
        "day_of_month",
        "currency",
        "active",
        "next_run_on",
        "last_run_on",
        "created_at",
        "created_by",
        "cancelled_at",
        "cancelled_by",
    )
    readonly_fields = fields

    @admin.display(description=_("console"))
    def console(self, autoship: Autoship) -> str:
        url = reverse("web:console_autoships", args=[autoship.distributor.member_id])
        return format_html('<a href="{}">{}</a>', url, gettext("Change this in the console"))

    @admin.display(description=_("member"), ordering="distributor__member_id")
    def member_display(self, autoship: Autoship) -> str:
        return autoship.distributor.member_id


# --- volumes ------------------------------------------------------------------------------


def _volume_column(field: str, label: str, unit: str) -> Callable[[Any, PeriodVolume], str]:
    """A read-only admin column showing the volume ``field`` of a row, e.g. ``12.50 PV``."""

    @admin.display(description=label, ordering=field)
    def column(_admin: Any, row: PeriodVolume) -> str:
        return format_volume(getattr(row, field), unit)

    return column


@admin.register(PeriodVolume)
class PeriodVolumeAdmin(ReadOnlyAdmin):
    """Live volumes, read-only: orders move them; ``check_volumes --fix`` repairs them."""

    list_display = (
        "period",
        "member_display",
        "pv_display",
        "cv_display",
        "customer_pv_display",
        "group_pv_display",
        "group_cv_display",
        "placement_group_cv_display",
    )
    list_filter = ("period",)
    search_fields = ("distributor__member_id",)
    list_select_related = ("period", "distributor")
    fields = (
        "period",
        "distributor",
        "pv_display",
        "cv_display",
        "customer_pv_display",
        "customer_cv_display",
        "group_pv_display",
        "group_cv_display",
        "placement_group_pv_display",
        "placement_group_cv_display",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PeriodVolume]:
        """The volume rows with every pending order folded in first (``volumes``), so the
        list shows every order committed before the page."""
        fold_volume_changes()
        return super().get_queryset(request)

    @admin.display(description=_("member"), ordering="distributor__member_id")
    def member_display(self, row: PeriodVolume) -> str:
        return row.distributor.member_id

    pv_display = _volume_column("pv", _("PV"), "PV")
    cv_display = _volume_column("cv", _("CV"), "CV")
    customer_pv_display = _volume_column("customer_pv", _("customer PV"), "PV")
    customer_cv_display = _volume_column("customer_cv", _("customer CV"), "CV")
    group_pv_display = _volume_column("group_pv", _("group PV"), "PV")
    group_cv_display = _volume_column("group_cv", _("group CV"), "CV")
    placement_group_pv_display = _volume_column("placement_group_pv", _("placement group PV"), "PV")
    placement_group_cv_display = _volume_column("placement_group_cv", _("placement group CV"), "CV")
