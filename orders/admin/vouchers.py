"""Vouchers (discount codes) that managers keep, and the uses orders made of them."""

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from orders.models import Voucher, VoucherRedemption
from orders.selectors import voucher_redemptions_recent
from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, prefix
from orders_site.core.formatting import money_display
from orders_site.core.staff_actions import admin_link

RECENT_REDEMPTIONS = 20


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


@admin.register(Voucher)
class VoucherAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("code", "terms", "minimum", "valid_from", "valid_until", "is_active", "usage")
    list_filter = ("is_active", "kind")
    search_fields = (prefix("code", capitals=True),)
    search_help_text = "Discount code, or how it begins."
    ordering = ("-pk",)
    sortable_by = ()
    autocomplete_fields = ("products", "categories")
    fieldsets = (
        (None, {"fields": ("code", "is_active")}),
        ("Discount", {"fields": ("kind", "percent_off", "amount_off", "minimum_order")}),
        (
            "Applies to",
            {
                "fields": ("products", "categories"),
                "description": "Leave both empty for the whole order. Otherwise only the items of these products "
                "or categories are discounted, and the minimum order value counts only those items.",
            },
        ),
        ("Valid", {"fields": ("valid_from", "valid_until")}),
        ("Limits", {"fields": ("usage_limit", "per_customer_limit", "usage")}),
        ("Uses", {"fields": ("redemptions",)}),
    )

    @admin.display(description="discount")
    def terms(self, voucher):
        return voucher.terms_display

    @admin.display(description="minimum (excl. VAT)")
    def minimum(self, voucher):
        return money_display(voucher.minimum_order, settings.CURRENCY) if voucher.minimum_order else "—"

    @admin.display(description="used")
    def usage(self, voucher):
        """ "used 3 of 100 times" (the orders that count: a cancelled order gave its use back)."""
        if voucher.pk is None:
            return "not used yet"
        times = "time" if voucher.times_used == 1 else "times"
        if voucher.usage_limit is None:
            return f"used {voucher.times_used} {times}, no limit"
        return f"used {voucher.times_used} of {voucher.usage_limit} {times}"

    @admin.display(description="latest uses")
    def redemptions(self, voucher):
        if voucher.pk is None:
            return "—"
        recent = voucher_redemptions_recent(voucher=voucher, limit=RECENT_REDEMPTIONS)
        if not recent:
            return "No order has used it yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    _when(redemption.created_at),
                    admin_link(redemption.order),
                    admin_link(redemption.customer),
                    money_display(redemption.amount, redemption.order.currency),
                    f"given back {_when(redemption.released_at)}" if redemption.released_at else "counts",
                )
                for redemption in recent
            ),
        )
        every = reverse("admin:orders_voucherredemption_changelist") + f"?voucher__id__exact={voucher.pk}"
        return format_html(
            '<table class="voucher-redemptions"><thead><tr><th scope="col">When</th><th scope="col">Order</th>'
            '<th scope="col">Customer</th><th scope="col">Saved (excl. VAT)</th><th scope="col">Use</th></tr>'
            '</thead><tbody>{}</tbody></table><p><a href="{}">All uses of {}</a></p>',
            rows,
            every,
            voucher.code,
        )

    def get_readonly_fields(self, request, obj=None):
        # Orders keep the terms they were priced with, but a discount that changed after it was
        # used makes the uses hard to read: once used, make a new voucher instead.
        if obj is not None and (obj.times_used or obj.redemptions.exists()):
            return ("code", "kind", "percent_off", "amount_off", "usage", "redemptions")
        return ("usage", "redemptions")


@admin.register(VoucherRedemption)
class VoucherRedemptionAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every order's use of a voucher, newest first. Written by placement, given back by cancelling."""

    list_display = ("created_at", "voucher", "order", "customer", "saved", "released_at")
    list_select_related = ("voucher", "order", "customer")
    search_fields = (prefix("voucher__code", capitals=True), prefix("order__number"))
    search_help_text = "Discount code or order number, or how either begins."
    ordering = ("-created_at", "-pk")
    sortable_by = ()
    raw_id_fields = ("voucher", "order", "customer")

    @admin.display(description="saved (excl. VAT)")
    def saved(self, redemption):
        return money_display(redemption.amount, redemption.order.currency)
