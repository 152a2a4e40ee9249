"""The shipment page: the warehouse's picking, packing and dispatch buttons."""

import uuid

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from lifecycle import delivery
from lifecycle.delivery import shipment_deliver
from lifecycle.tracking import tracking_event_receive
from orders.dispatch import dispatch_overdue
from orders.models import Shipment, ShipmentLine, TrackingEvent
from orders.services import fulfillment, returns
from orders.services.dispatch_batch import MAX_BATCH, BatchRefused, ParcelDispatch, shipments_dispatch_batch
from orders.services.picking import pick_batch_create
from orders.services.splitting import SPLITTABLE, quantity_field, shipment_split
from orders_site.core.admin import (
    LargeTableAdminMixin,
    ListPrefetchMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    prefix,
    recent_values_filter,
    status_badge,
)
from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import day_display
from orders_site.core.staff_actions import StaffAction, StaffActionsMixin, admin_link

from ..selectors import events_for_object
from .forms import BatchDispatchForm, DispatchForm, NoteForm, ReturnDecisionForm, ShipmentSplitForm, TrackingEventForm
from .order_page import record_timeline
from .packing import PackingScreenMixin
from .picking import order_pick_list_url, pick_list_url
from .queues import WaitingForWorkFilter

WAITING = (Shipment.Status.PENDING, Shipment.Status.PICKING, Shipment.Status.PACKED)


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
        carrier=data.get("carrier_record") or data["carrier"],
        service=data["service"],
        tracking_number=data["tracking_number"],
        tracking_url=data["tracking_url"],
        actor=actor,
        expected_status=guard["expected_status"],
    )


def _dispatch_initial(shipment):
    if shipment.carrier_record_id:
        return {"carrier_record": shipment.carrier_record_id, "service": shipment.service}
    return {"carrier": shipment.carrier, "service": shipment.service}


def _record_tracking(*, instance, actor, data, guard):
    # Staff events have no carrier id: each press is its own event; the parcel still moves at most
    # once (the service moves it only from the states the kind moves from).
    return tracking_event_receive(
        shipment=instance,
        kind=data["kind"],
        occurred_at=data.get("occurred_at"),
        external_id=f"staff-{uuid.uuid4().hex}",
        source=TrackingEvent.Source.STAFF,
        actor=actor,
    )


def _receive_back(*, instance, actor, data, guard):
    return returns.shipment_receive_back(shipment=instance, actor=actor)


def _return_decide(*, instance, actor, data, guard):
    return delivery.shipment_return_decide(
        shipment=instance, decision=data["decision"], note=data.get("note", ""), actor=actor
    )


TRACKED = {
    Shipment.Status.SHIPPED,
    Shipment.Status.IN_TRANSIT,
    Shipment.Status.DELIVERED,
    Shipment.Status.DELIVERY_FAILED,
}


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
    StaffAction(
        name="record_tracking",
        label="Record tracking event",
        transition="",
        run=_record_tracking,
        form_class=TrackingEventForm,
        when=lambda shipment: shipment.status in TRACKED,
        permission="orders.fulfil_order",
        help_text="What the carrier said (by phone, on its site); moves the parcel as the carrier's webhook would.",
        done="Tracking event recorded for parcel {obj} (now “{status}”).",
    ),
    StaffAction(
        name="receive_back",
        label="Received back into stock",
        transition="",
        run=_receive_back,
        when=lambda shipment: (
            shipment.status == Shipment.Status.RETURNED_TO_SENDER and shipment.received_back_at is None
        ),
        permission="orders.fulfil_order",
        help_text="The returned parcel is here: its units go back on the shelf (a stock return).",
        done="Parcel {obj} received back; its units are in stock again.",
    ),
    StaffAction(
        name="return_decide",
        label="Decide: refund or re-ship",
        transition="",
        run=_return_decide,
        form_class=ReturnDecisionForm,
        when=lambda shipment: shipment.received_back_at is not None and shipment.return_decided_at is None,
        permission="orders.cancel_order",
        help_text=(
            "Customer service: what happens to the returned parcel's order. Re-ship puts the same goods "
            "in a new parcel to pick, pack and dispatch; refund due leaves the order for a refund."
        ),
        done="Decision recorded for parcel {obj}.",
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
        "customer",
        "warehouse",
        "status_badge",
        "lines_count",
        "units",
        "requested_delivery",
        "dispatch_by_shown",
        "next_or_tracking",
    )
    list_filter = ("status", WaitingForWorkFilter, "warehouse", recent_values_filter("carrier", "carrier"))
    list_select_related = ("order__customer", "warehouse")
    actions = ["create_pick_batch", "dispatch_batch"]
    search_fields = (prefix("number"), prefix("order__number"), prefix("tracking_number"))
    search_help_text = "Shipment number, order number or tracking number, or how one begins."
    sortable_by = ("number",)
    inlines = (ShipmentLineInline,)
    fieldsets = (
        (None, {"fields": ("number", "order", "warehouse", "status", "dispatch_by", "pick_batch")}),
        ("Deliver to", {"fields": ("delivery_method", "ship_to", "delivery_instructions")}),
        (
            "Carrier",
            {"fields": ("carrier", "service", "tracking_number", "tracking_link", "dispatched_at", "delivered_at")},
        ),
        ("Return", {"fields": ("received_back_at", "return_decision", "return_decision_note", "return_decided_at")}),
    )
    readonly_fields = (
        "number",
        "order",
        "warehouse",
        "status",
        "dispatch_by",
        "pick_batch",
        "delivery_method",
        "ship_to",
        "delivery_instructions",
        "carrier",
        "service",
        "tracking_number",
        "tracking_link",
        "dispatched_at",
        "delivered_at",
        "received_back_at",
        "return_decision",
        "return_decision_note",
        "return_decided_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order__shipping_address", "order__customer", "warehouse")

    # -- dispatching a batch ---

    def has_fulfil_permission(self, request):
        return request.user.has_perm("orders.fulfil_order")

    @admin.action(description="Dispatch selected packed parcels (a tracking number each)", permissions=["fulfil"])
    def dispatch_batch(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True)[: MAX_BATCH + 1])
        if len(ids) > MAX_BATCH:
            self.message_user(request, f"Choose at most {MAX_BATCH} parcels for one batch.", messages.ERROR)
            return None
        return HttpResponseRedirect(
            reverse("admin:orders_shipment_dispatch_batch") + "?ids=" + ",".join(str(pk) for pk in ids)
        )

    def dispatch_batch_view(self, request):
        if not self.has_fulfil_permission(request):
            raise PermissionDenied
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        raw_ids = (request.POST if request.method == "POST" else request.GET).get("ids", "")
        ids = [int(part) for part in raw_ids.split(",") if part.strip().isdigit()][:MAX_BATCH]
        shipments = list(
            Shipment.objects.filter(pk__in=ids, status=Shipment.Status.PACKED)
            .select_related("order__shipping_address")
            .order_by("pk")
        )
        changelist = reverse("admin:orders_shipment_changelist")
        if not shipments:
            self.message_user(request, "None of the chosen parcels is packed: nothing to dispatch.", messages.ERROR)
            return HttpResponseRedirect(changelist)
        form = BatchDispatchForm(request.POST if request.method == "POST" else None, shipments=shipments)
        if request.method == "POST" and form.is_valid():
            try:
                dispatched = shipments_dispatch_batch(
                    parcels=[
                        ParcelDispatch(shipment=s, tracking_number=form.cleaned_data[form.tracking_field(s)])
                        for s in shipments
                    ],
                    carrier=form.cleaned_data["carrier"],
                    service=form.cleaned_data["service"],
                    actor=request.user,
                )
            except BatchRefused as refusal:
                for shipment in shipments:
                    if shipment.pk in refusal.problems:
                        form.add_error(form.tracking_field(shipment), refusal.problems[shipment.pk])
                form.add_error(None, refusal.message)
            except ApplicationError as error:
                field = error.extra.get("field")
                form.add_error(field if field in form.fields else None, error.message)
            else:
                self.message_user(
                    request,
                    f"{len(dispatched)} parcel(s) dispatched with {form.cleaned_data['carrier'].name}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(changelist)
        skipped = len(set(ids)) - len(shipments)
        if skipped and request.method == "GET":
            messages.warning(request, f"{skipped} chosen parcel(s) are not packed and are left out.")
        context = {
            **self.admin_site.each_context(request),
            "title": "Dispatch a batch",
            "opts": self.opts,
            "form": form,
            "ids": ",".join(str(s.pk) for s in shipments),
            "action_url": reverse("admin:orders_shipment_dispatch_batch"),
        }
        return TemplateResponse(request, "admin/orders/shipment/dispatch_batch.html", context)

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

    @admin.display(description="lines")
    def lines_count(self, shipment):
        return len(shipment.lines.all())

    @admin.display(description="units")
    def units(self, shipment):
        return sum(line.quantity for line in shipment.lines.all())

    @admin.display(description="customer")
    def customer(self, shipment):
        return shipment.order.customer.full_name

    @admin.display(description="requested")
    def requested_delivery(self, shipment):
        requested = shipment.order.requested_delivery_date
        return day_display(requested) if requested else "—"

    @admin.display(description="pack / track")
    def next_or_tracking(self, shipment):
        """A parcel being picked: the link to its packing screen. Once dispatched: the carrier and
        tracking number, linked to the carrier's tracking page."""
        if shipment.status == Shipment.Status.PICKING:
            return self.packing_link(shipment)
        if not shipment.tracking_number:
            return shipment.carrier or ""
        text = f"{shipment.carrier} {shipment.tracking_number}".strip()
        if not shipment.tracking_url.startswith(("https://", "http://")):
            return text
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', shipment.tracking_url, text)

    @admin.display(description="dispatch by")
    def dispatch_by_shown(self, shipment):
        if shipment.dispatch_by is None:
            return "—"
        shown = day_display(shipment.dispatch_by)
        if shipment.status in WAITING and dispatch_overdue(shipment.dispatch_by):
            return format_html(
                '<strong class="overdue" title="Past its promised dispatch date">{} overdue</strong>', shown
            )
        return shown

    # The warehouse's queues (to pick, to pack, to ship) list the oldest promise first
    # (shipment_status_dispatch_idx, shipment_wh_dispatch_idx); every other list stays by number.
    def get_ordering(self, request):
        if request.GET.get("status__exact") in WAITING:
            return ("dispatch_by", "id")
        return super().get_ordering(request)

    # -- actions ---

    @admin.action(description="Create pick batch (one warehouse, parcels to pick)", permissions=["fulfil"])
    def create_pick_batch(self, request, queryset):
        try:
            batch = pick_batch_create(shipments=list(queryset), actor=request.user)
        except ApplicationError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return None
        self.message_user(
            request,
            format_html("Pick batch {} made: {} parcels now being picked.", batch.number, batch.shipments.count()),
            level=messages.SUCCESS,
        )
        return HttpResponseRedirect(pick_list_url(batch))

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
            facts.append(format_html('<a href="{}">Pick list of the order</a>', order_pick_list_url(obj.order)))
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

    # -- splitting a parcel by hand ---

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/split/",
                self.admin_site.admin_view(self.split_view),
                name="orders_shipment_split",
            ),
            path(
                "dispatch-batch/",
                self.admin_site.admin_view(self.dispatch_batch_view),
                name="orders_shipment_dispatch_batch",
            ),
        ]
        return own + self.packing_urls() + super().get_urls()

    def _may_split(self, request, shipment) -> bool:
        return shipment.status in SPLITTABLE and request.user.has_perm("orders.fulfil_order")

    def staff_links(self, request, obj):
        links = super().staff_links(request, obj)
        if request.user.has_perm("orders.fulfil_order") and obj.status != Shipment.Status.CANCELLED:
            if obj.status == Shipment.Status.PICKING:
                links.append(("Packing screen", reverse("admin:orders_shipment_packing", args=[obj.pk])))
            links += [
                ("Packing slip (PDF)", reverse("admin:orders_shipment_packing_slip", args=[obj.pk])),
                ("Label (PDF)", reverse("admin:orders_shipment_label", args=[obj.pk])),
            ]
        if self._may_split(request, obj):
            links.append(("Split parcel", reverse("admin:orders_shipment_split", args=[obj.pk])))
        return links

    def split_view(self, request, object_id):
        """A quantity field per line: those units go into a new parcel (orders.services.splitting)."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm("orders.fulfil_order"):
            raise PermissionDenied
        shipment = self.get_object(request, unquote(object_id))
        if shipment is None:
            raise Http404("No such parcel")
        back = reverse("admin:orders_shipment_change", args=[shipment.pk])
        lines = list(shipment.lines.select_related("order_line").order_by("pk"))
        form_kwargs = {"lines": lines, "field_name": quantity_field}
        if request.method == "POST":
            form = ShipmentSplitForm(request.POST, **form_kwargs)
            if form.is_valid():
                try:
                    new_shipment = shipment_split(
                        shipment=shipment,
                        quantities=form.quantities(),
                        actor=request.user,
                        expected_status=form.cleaned_data["expected_status"],
                    )
                except ApplicationError as error:
                    field_name = error.extra.get("field")
                    form.add_error(field_name if field_name in form.fields else None, error.message)
                else:
                    self.message_user(
                        request,
                        f"Parcel {shipment.number} split: the units you chose are in new parcel {new_shipment.number}.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(back)
        else:
            if shipment.status not in SPLITTABLE:
                self.message_user(
                    request,
                    f"Parcel {shipment.number} is “{shipment.get_status_display()}”: only a parcel that is "
                    "pending or being picked can be split.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(back)
            form = ShipmentSplitForm(initial={"expected_status": shipment.status}, **form_kwargs)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Split parcel {shipment.number}",
            "shipment": shipment,
            "form": form,
            "back_url": back,
        }
        return TemplateResponse(request, "admin/orders/shipment/split.html", context)
