"""Rows that services write and staff only read: lines, checks, the event log, order versions, the
e-mail outbox, carts."""

from django.contrib import admin, messages
from django.utils.text import Truncator

from inventory.models import Product
from orders.models import (
    Cart,
    CartLine,
    EmailNotification,
    OrderCheck,
    OrderEvent,
    OrderLine,
    OrderVersion,
    ShipmentLine,
)
from orders.services.notifications import notification_resend
from orders_site.core.admin import (
    LargeTableAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    choices_filter,
    exact,
    prefix,
    recent_values_filter,
)
from orders_site.core.formatting import count_display


@admin.register(OrderLine)
class OrderLineAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("order", "sku", "name", "kind", "quantity", "unit_price", "tax_rate", "line_total")
    list_filter = (choices_filter("kind", "kind", Product.Kind.choices),)
    list_select_related = ("order",)
    # The SKU through the product (a line's own sku column has no index): the catalogue is small.
    search_fields = (prefix("order__number"), prefix("product__sku", ignore_case=True))
    search_help_text = "Order number or SKU, or how either begins."
    sortable_by = ()
    raw_id_fields = ("order", "product")


@admin.register(OrderCheck)
class OrderCheckAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "order", "name", "result", "detail")
    list_filter = ("result", recent_values_filter("name", "check"))
    list_select_related = ("order",)
    search_fields = (prefix("order__number"),)
    search_help_text = "Order number, or how it begins."
    sortable_by = ()
    raw_id_fields = ("order",)


# What an event is about (OrderEvent.object_type): the model names of the rows with a timeline.
EVENT_OBJECT_TYPES = ("order", "shipment", "invoice", "payment")


@admin.register(OrderEvent)
class OrderEventAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every order's timeline in one list: the audit log, newest first. Append-only."""

    list_display = ("created_at", "order", "kind", "from_state", "to_state", "actor_label", "short_note")
    list_filter = (
        "kind",
        choices_filter("object_type", "object", [(name, name.capitalize()) for name in EVENT_OBJECT_TYPES]),
        "customer_visible",
        "created_at",
    )
    list_select_related = ("order",)
    search_fields = (prefix("order__number"), exact("kind"))
    search_help_text = "Order number (or how it begins), or an event kind such as order.cancel."
    ordering = ("-created_at", "-pk")
    sortable_by = ("created_at",)
    raw_id_fields = ("order", "actor")

    @admin.display(description="note")
    def short_note(self, event):
        return Truncator(event.note).chars(80)


@admin.register(OrderVersion)
class OrderVersionAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every saved edit of every order (the order page shows an order's own as a diff)."""

    list_display = ("created_at", "order", "number", "actor_label", "short_reason")
    list_select_related = ("order",)
    search_fields = (prefix("order__number"),)
    search_help_text = "Order number, or how it begins."
    ordering = ("-pk",)
    sortable_by = ()
    raw_id_fields = ("order", "actor")

    @admin.display(description="reason")
    def short_reason(self, version):
        return Truncator(version.reason).chars(80)


@admin.register(ShipmentLine)
class ShipmentLineAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("shipment", "order_line", "quantity")
    list_select_related = ("shipment", "order_line")
    search_fields = (prefix("shipment__number"), prefix("order_line__product__sku", ignore_case=True))
    search_help_text = "Shipment number or SKU, or how either begins."
    sortable_by = ()
    raw_id_fields = ("shipment", "order_line", "allocation")


@admin.register(EmailNotification)
class EmailNotificationAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox, newest first: what was sent to whom, and what failed and why."""

    list_display = ("created_at", "order", "kind", "recipient", "status", "attempts", "sent_at", "short_error")
    list_filter = ("status", "kind")
    list_select_related = ("order",)
    search_fields = (prefix("order__number"), prefix("recipient", ignore_case=True))
    search_help_text = "Order number or recipient's e-mail address, or how either begins."
    ordering = ("-pk",)
    sortable_by = ()
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
        self.message_user(request, f"Queued {count_display(queued, 'e-mail')} to be sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{count_display(skipped, 'e-mail')} {'was' if skipped == 1 else 'were'} already sent and left alone.",
                messages.WARNING,
            )


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
