"""The order and shipment queues: the on-hold filter of the order list, and the work queues these
lists give the console's home (orders_site.core.work_queues). The reads are orders.selectors'."""

from django.conf import settings
from django.contrib import admin

from orders.models import Order, Shipment
from orders.selectors import (
    hold_reason_label,
    hold_reason_names,
    order_count,
    orders_held_for,
    orders_on_hold_counts,
    orders_waiting_for_prepayment,
    orders_waiting_for_prepayment_count,
    shipment_count,
)
from orders.selectors.packing import shipments_waiting_for_work, shipments_waiting_for_work_count, work_items_open_count
from orders.selectors.returns import returned_parcels_undecided_count
from orders.selectors.shipment_queues import shipment_counts_by_warehouse
from orders_site.core.work_queues import CUSTOMER_SERVICE, WAREHOUSE, Counted, Part, WorkQueue, work_queue_register


class HoldReasonFilter(admin.SimpleListFilter):
    title = "hold reason"
    parameter_name = "hold_reason"

    def lookups(self, request, model_admin):
        return [(name, hold_reason_label(name)) for name in hold_reason_names()]

    def queryset(self, request, queryset):
        if self.value():
            return orders_held_for(queryset, reason=self.value())
        return queryset


class PrepaymentFilter(admin.SimpleListFilter):
    """Orders that wait for their bank transfer before release (the queue of the same name)."""

    title = "waiting for"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("prepayment", "Payment before release")] if settings.BANK_TRANSFER_BEFORE_RELEASE else []

    def queryset(self, request, queryset):
        if self.value() == "prepayment":
            return orders_waiting_for_prepayment(queryset)
        return queryset


class WaitingForWorkFilter(admin.SimpleListFilter):
    """Parcels being picked that wait for a work item (the "Waiting for work items" queue)."""

    title = "waiting for"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("work_items", "Work items")]

    def queryset(self, request, queryset):
        if self.value() == "work_items":
            return shipments_waiting_for_work(queryset)
        return queryset


# -- the work queues -------------------------------------------------------------------------------

ORDERS = "admin:orders_order_changelist"
SHIPMENTS = "admin:orders_shipment_changelist"
VERIFY = "orders.verify_order"
FULFIL = "orders.fulfil_order"


def _on_hold() -> Counted:
    held = orders_on_hold_counts()
    return Counted(
        total=held.total,
        parts=tuple(
            Part(hold_reason_label(name), count, {"hold_reason": name})
            for name, count in held.by_reason.items()
            if count
        ),
    )


def _order_queue(key, heading, title, permission, status, help_text, position):
    return WorkQueue(
        key=f"orders.{key}",
        heading=heading,
        title=title,
        permission=permission,
        count=lambda: order_count(status=status),
        changelist=ORDERS,
        query={"status__exact": status},
        help_text=help_text,
        position=position,
    )


def _per_warehouse(status) -> Counted:
    counts = shipment_counts_by_warehouse(status=status)
    return Counted(
        total=counts.total,
        parts=tuple(
            Part(part.code, part.count, {"warehouse__id__exact": str(part.warehouse_id)})
            for part in counts.by_warehouse
        ),
    )


def _shipment_queue(key, title, status, help_text, position, *, per_warehouse=False):
    return WorkQueue(
        key=f"shipments.{key}",
        heading=WAREHOUSE,
        title=title,
        permission=FULFIL,
        count=(lambda: _per_warehouse(status)) if per_warehouse else (lambda: shipment_count(status=status)),
        changelist=SHIPMENTS,
        query={"status__exact": status},
        help_text=help_text,
        position=position,
    )


for queue in (
    _order_queue(
        "to_verify",
        CUSTOMER_SERVICE,
        "To verify",
        VERIFY,
        Order.Status.PLACED,
        "Placed, checks not run yet",
        10,
    ),
    WorkQueue(
        key="orders.on_hold",
        heading=CUSTOMER_SERVICE,
        title="On hold",
        permission=VERIFY,
        count=_on_hold,
        changelist=ORDERS,
        query={"status__exact": Order.Status.ON_HOLD},
        help_text="Release or re-check",
        position=20,
    ),
    _order_queue(
        "backordered",
        CUSTOMER_SERVICE,
        "Back-ordered",
        VERIFY,
        Order.Status.BACKORDERED,
        "Waiting for stock",
        30,
    ),
    _order_queue(
        "to_fulfil",
        WAREHOUSE,
        "To start",
        FULFIL,
        Order.Status.VERIFIED,
        "Verified orders: start fulfilment",
        10,
    ),
    _shipment_queue("to_pick", "To pick", Shipment.Status.PENDING, "Parcels not started", 20, per_warehouse=True),
    _shipment_queue("to_pack", "To pack", Shipment.Status.PICKING, "Being picked", 30, per_warehouse=True),
    _shipment_queue("to_ship", "To ship", Shipment.Status.PACKED, "Packed: dispatch", 40, per_warehouse=True),
    _shipment_queue(
        "delivery_failed", "Deliveries failed", Shipment.Status.DELIVERY_FAILED, "Send again or return", 50
    ),
    WorkQueue(
        key="work_items.open",
        heading=WAREHOUSE,
        title="Work items open",
        permission=FULFIL,
        count=work_items_open_count,
        changelist="admin:orders_workitem_changelist",
        query={"state": "open"},
        help_text="Assembly, engraving, customisation",
        position=25,
    ),
    WorkQueue(
        key="shipments.waiting_for_work",
        heading=WAREHOUSE,
        title="Waiting for work items",
        permission=FULFIL,
        count=shipments_waiting_for_work_count,
        changelist=SHIPMENTS,
        query={"waiting": "work_items"},
        help_text="Picking: a work item is not done",
        position=35,
    ),
    WorkQueue(
        key="orders.waiting_for_prepayment",
        heading=CUSTOMER_SERVICE,
        title="Waiting for payment before release",
        permission="invoicing.record_payment",
        count=orders_waiting_for_prepayment_count,
        changelist=ORDERS,
        query={"waiting": "prepayment"},
        help_text="Prepaid bank transfers: record the money, then the warehouse gets the order",
        position=35,
        enabled=lambda: settings.BANK_TRANSFER_BEFORE_RELEASE,
    ),
    WorkQueue(
        key="shipments.returned_undecided",
        heading=CUSTOMER_SERVICE,
        title="Returned parcels: decide refund or re-ship",
        permission="orders.cancel_order",
        count=returned_parcels_undecided_count,
        changelist=SHIPMENTS,
        query={"status__exact": Shipment.Status.RETURNED_TO_SENDER, "return_decided_at__isnull": "True"},
        help_text="Back from the carrier: receive into stock, then decide",
        position=50,
    ),
):
    work_queue_register(queue)
