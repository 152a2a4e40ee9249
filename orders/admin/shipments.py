"""The shipment page: the warehouse's picking, packing and dispatch buttons."""

from django.contrib import admin
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from lifecycle.delivery import shipment_deliver
from orders.models import Shipment, ShipmentLine
from orders.services import fulfillment
from orders_site.core.admin import (
    LargeTableAdminMixin,
    ListPrefetchMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    prefix,
    recent_values_filter,
    status_badge,
)
from orders_site.core.staff_actions import StaffAction, StaffActionsMixin, admin_link

from ..selectors import events_for_object
from .forms import DispatchForm, NoteForm
from .order_page import record_timeline
from .packing import PackingScreenMixin
from .queues import WaitingForWorkFilter


class ShipmentLineInline(ReadOnlyInline, admin.TabularInline):
    model = ShipmentLine
    fields = ("sku", "name", "quantity", "packed_quantity", "customisation_notes")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")

    @admin.display(description="SKU")
    def sku(self, line):
        return line.order_line.sku

    @admin.display(description="name")
    def name(self, line):
        return line.order_line.name

    @admin.display(description="customisation")
    def customisation_notes(self, line):
        return line.order_line.customisation_notes


def _step(service):
    def run(*, instance, actor, data, guard):
        return service(
            shipment=instance, actor=actor, note=data.get("note", ""), expected_status=guard["expected_status"]
        )

    return run


def _dispatch(*, instance, actor, data, guard):
    return fulfillment.shipment_dispatch(
        shipment=instance,
        carrier=data["carrier"],
        service=data["service"],
        tracking_number=data["tracking_number"],
        tracking_url=data["tracking_url"],
        actor=actor,
        expected_status=guard["expected_status"],
    )


def _dispatch_initial(shipment):
    return {"carrier": shipment.carrier, "service": shipment.service}


SHIPMENT_ACTIONS = (
    StaffAction(
        name="start_picking",
        label="Start picking",
        transition="start_picking",
        run=_step(fulfillment.shipment_start_picking),
    ),
    StaffAction(name="pack", label="Packed", transition="pack", run=_step(fulfillment.shipment_pack)),
    StaffAction(
        name="dispatch",
        label="Dispatch",
        transition="dispatch",
        run=_dispatch,
        form_class=DispatchForm,
        initial=_dispatch_initial,
        help_text="Hand the parcel to the carrier: stock leaves the shelf and the customer is told.",
    ),
    StaffAction(
        name="mark_in_transit",
        label="Mark in transit",
        transition="mark_in_transit",
        run=_step(fulfillment.shipment_mark_in_transit),
    ),
    StaffAction(
        name="deliver",
        label="Delivered",
        transition="deliver",
        run=_step(shipment_deliver),
        help_text="When the order's last parcel arrives, the invoice is issued and sent.",
    ),
    StaffAction(
        name="fail_delivery",
        label="Delivery failed",
        transition="fail_delivery",
        run=_step(fulfillment.shipment_fail_delivery),
        form_class=NoteForm,
    ),
    StaffAction(
        name="redispatch",
        label="Dispatch again",
        transition="redispatch",
        run=_step(fulfillment.shipment_redispatch),
    ),
    StaffAction(
        name="return_to_sender",
        label="Returned to sender",
        transition="return_to_sender",
        run=_step(fulfillment.shipment_return_to_sender),
        form_class=NoteForm,
        danger=True,
    ),
)


@admin.register(Shipment)
class ShipmentAdmin(
    PackingScreenMixin, StaffActionsMixin, ListPrefetchMixin, LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    staff_actions = SHIPMENT_ACTIONS
    change_form_template = "admin/staff_actions/record_change_form.html"
    list_display = (
        "number",
        "order",
        "warehouse",
        "status_badge",
        "units",
        "carrier",
        "tracking_number",
        "dispatched_at",
        "packing_link",
    )
    list_filter = ("status", WaitingForWorkFilter, "warehouse", recent_values_filter("carrier", "carrier"))
    list_select_related = ("order", "warehouse")
    search_fields = (prefix("number"), prefix("order__number"), prefix("tracking_number"))
    search_help_text = "Shipment number, order number or tracking number, or how one begins."
    sortable_by = ("number",)
    inlines = (ShipmentLineInline,)
    fieldsets = (
        (None, {"fields": ("number", "order", "warehouse", "status")}),
        ("Deliver to", {"fields": ("delivery_method", "ship_to", "delivery_instructions")}),
        (
            "Carrier",
            {"fields": ("carrier", "service", "tracking_number", "tracking_link", "dispatched_at", "delivered_at")},
        ),
    )
    readonly_fields = (
        "number",
        "order",
        "warehouse",
        "status",
        "delivery_method",
        "ship_to",
        "delivery_instructions",
        "carrier",
        "service",
        "tracking_number",
        "tracking_link",
        "dispatched_at",
        "delivered_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order__shipping_address", "order__customer", "warehouse")

    def get_urls(self):
        return self.packing_urls() + super().get_urls()

    def staff_links(self, request, obj):
        if not request.user.has_perm("orders.fulfil_order") or obj.status == Shipment.Status.CANCELLED:
            return []
        links = [
            ("Packing slip (PDF)", reverse("admin:orders_shipment_packing_slip", args=[obj.pk])),
            ("Label (PDF)", reverse("admin:orders_shipment_label", args=[obj.pk])),
        ]
        if obj.status == Shipment.Status.PICKING:
            links.insert(0, ("Packing screen", reverse("admin:orders_shipment_packing", args=[obj.pk])))
        return links

    # -- list columns ---

    @admin.display(description="packing")
    def packing_link(self, shipment):
        if shipment.status != Shipment.Status.PICKING:
            return ""
        return format_html('<a href="{}">Pack</a>', reverse("admin:orders_shipment_packing", args=[shipment.pk]))

    def list_prefetches(self, request):
        # The units column: the page's parcel lines, one query.
        return [Prefetch("lines", queryset=ShipmentLine.objects.only("pk", "shipment_id", "quantity"))]

    @admin.display(description="status")
    def status_badge(self, shipment):
        return status_badge(shipment.status, shipment.get_status_display())

    @admin.display(description="units")
    def units(self, shipment):
        return sum(line.quantity for line in shipment.lines.all())

    # -- fields ---

    @admin.display(description="delivery method")
    def delivery_method(self, shipment):
        return shipment.order.delivery_method_name

    @admin.display(description="address")
    def ship_to(self, shipment):
        address = shipment.order.shipping_address
        if address is None:
            return "Customer picks up"
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in address.as_lines()))

    @admin.display(description="instructions")
    def delivery_instructions(self, shipment):
        return shipment.order.delivery_instructions or "—"

    @admin.display(description="tracking URL")
    def tracking_link(self, shipment):
        url = shipment.tracking_url
        if not url.startswith(("https://", "http://")):
            return url or "—"
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', url, url)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            parcels = list(obj.order.shipments.select_related("warehouse").order_by("pk"))
            position = next(n for n, parcel in enumerate(parcels, start=1) if parcel.pk == obj.pk)
            facts = [
                format_html("Parcel {} of {} for order {}", position, len(parcels), admin_link(obj.order)),
                f"from {obj.warehouse.name} ({obj.warehouse.code})",
                obj.order.delivery_method_name,
            ]
            if obj.tracking_number:
                facts.append(format_html("{} {}", obj.carrier, self.tracking_link(obj)))
            context["record_header"] = {
                "title": f"Parcel {obj.number}",
                "badges": [status_badge(obj.status, obj.get_status_display())],
                "facts": facts,
            }
            context["record_timeline"] = record_timeline(
                events_for_object(obj).select_related("actor"), order=obj.order, parcels=parcels
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
