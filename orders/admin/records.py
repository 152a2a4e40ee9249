"""Rows that services write and staff only read: lines, checks, the event log, the e-mail outbox, carts."""

from django.contrib import admin, messages
from django.utils.text import Truncator

from orders.models import Cart, CartLine, EmailNotification, OrderCheck, OrderEvent, OrderLine, ShipmentLine
from orders.services.notifications import notification_resend
from orders_site.core.admin import ReadOnlyAdminMixin, ReadOnlyInline


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("order", "sku", "name", "kind", "quantity", "unit_price", "tax_rate", "line_total")
    list_filter = ("kind",)
    list_select_related = ("order",)
    search_fields = ("=order__number", "sku", "name")
    raw_id_fields = ("order", "product")
    show_full_result_count = False


@admin.register(OrderCheck)
class OrderCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "order", "name", "result", "detail")
    list_filter = ("result", "name")
    list_select_related = ("order",)
    search_fields = ("=order__number", "detail")
    raw_id_fields = ("order",)
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every order's timeline in one list: the audit log. Append-only."""

    list_display = ("created_at", "order", "kind", "from_state", "to_state", "actor_label", "short_note")
    list_filter = ("kind", "object_type", "customer_visible")
    list_select_related = ("order",)
    search_fields = ("=order__number", "kind", "actor_label")
    search_help_text = "Order number (exact), event kind or who did it."
    date_hierarchy = "created_at"
    show_full_result_count = False
    raw_id_fields = ("order", "actor")

    @admin.display(description="note")
    def short_note(self, event):
        return Truncator(event.note).chars(80)


@admin.register(ShipmentLine)
class ShipmentLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("shipment", "order_line", "quantity")
    list_select_related = ("shipment", "order_line")
    search_fields = ("=shipment__number", "order_line__sku")
    raw_id_fields = ("shipment", "order_line", "allocation")


@admin.register(EmailNotification)
class EmailNotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox: what was sent to whom, and what failed and why."""

    list_display = ("created_at", "order", "kind", "recipient", "status", "attempts", "sent_at", "short_error")
    list_filter = ("status", "kind")
    list_select_related = ("order",)
    search_fields = ("=order__number", "recipient")
    date_hierarchy = "created_at"
    show_full_result_count = False
    raw_id_fields = ("order",)
    actions = ("resend_selected",)

    @admin.display(description="last error")
    def short_error(self, notification):
        return Truncator(notification.last_error).chars(80)

    def has_resend_permission(self, request):
        return request.user.has_perm("orders.change_emailnotification")

    @admin.action(description="Send selected e-mails again (unless already sent)", permissions=["resend"])
    def resend_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        queued = notification_resend(notification_ids=ids, actor=request.user)
        skipped = len(ids) - queued
        self.message_user(request, f"Queued {queued} e-mail(s) to be sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} e-mail(s) were already sent and were left alone.", messages.WARNING)


class CartLineInline(ReadOnlyInline, admin.TabularInline):
    model = CartLine
    fields = ("product", "quantity", "customisation_notes")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


@admin.register(Cart)
class CartAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "created_at", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    inlines = (CartLineInline,)


@admin.register(CartLine)
class CartLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("cart", "product", "quantity")
    list_select_related = ("cart__user", "product")
    search_fields = ("cart__user__username", "product__sku")
    raw_id_fields = ("cart", "product")
