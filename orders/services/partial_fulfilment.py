"""Partial fulfilment by choice: ship what is in stock now, the back-ordered rest when it arrives.

A back-ordered order that has part of its stock allocated can go to the warehouse for that part
(`order_fulfillment_start_partial`): parcels only for the allocated units, the order in fulfilment
with `backorder_rest` set, so dispatching its parcels leaves it "partially shipped". When receiving
fills the rest (lifecycle.receiving calls `order_backorder_rest_fill`), the rest gets its own
parcel and the flag is cleared, so its dispatch ships the order completely.
"""

from django.db import transaction

from inventory.selectors import order_stock_needs
from inventory.services import AllocationResult, stock_allocate_order
from orders_site.core.exceptions import ApplicationError

from ..dispatch import dispatch_by_for
from ..events import event_order_backorder_rest_ready
from ..locks import order_lock
from ..models import Order, Shipment, ShipmentLine
from ..selectors.parcels import allocations_without_parcel, shipment_number_next
from . import fulfillment
from .transitions import transition_run
from .work_items import work_items_create


def parcels_make(*, order: Order, with_service_lines: bool) -> list[Shipment]:
    """A parcel per warehouse for the allocated units no parcel carries yet, due by the order's
    promised dispatch date; service lines (assembly and the like) with the first of them when
    asked, and their work items (assembly, engraving, customisation). The caller holds the
    order's lock."""
    parcels = []
    service_lines = [line for line in order.lines.all() if not line.allocations.exists()] if with_service_lines else []
    dispatch_by = dispatch_by_for(order)
    for warehouse, allocations in allocations_without_parcel(order=order).items():
        shipment = Shipment.objects.create(
            order=order, number=shipment_number_next(order=order), warehouse=warehouse, dispatch_by=dispatch_by
        )
        ShipmentLine.objects.bulk_create(
            [
                ShipmentLine(shipment=shipment, order_line=a.order_line, allocation=a, quantity=units)
                for a, units in allocations
            ]
            + [ShipmentLine(shipment=shipment, order_line=line, quantity=line.quantity) for line in service_lines]
        )
        service_lines = []
        parcels.append(shipment)
    work_items_create(order=order)
    return parcels


def _short_units(order: Order) -> int:
    needs, _ = order_stock_needs(order)
    return sum(quantity for _, quantity in needs.values())


@transaction.atomic
def order_fulfillment_start_partial(*, order: Order, actor=None, expected_status: str | None = None) -> Order:
    """Send the allocated part of a back-ordered order to the warehouse now; the rest stays on the
    order as back-ordered quantity and gets its own parcel when stock for it is received.

    Parcels: one per warehouse the allocated units come from (service lines with the first). The
    order moves backordered -> in fulfilment ("start_partial_fulfillment", one event) with
    `backorder_rest` set; staff with the fulfil or the verify permission may do it.
    Locks: orders.locks.order_lock (then the transition core takes the same row).
    Raises ApplicationError (nothing allocated yet; nothing short, so verify it instead) and
    TransitionRefused / PermissionRefused, before writing anything.
    """
    locked = order_lock(order_id=order.pk)
    fulfillment.release_payment_check(order=locked)
    allocated, short = 0, 0
    if locked.status == Order.Status.BACKORDERED:  # otherwise the transition core refuses it below
        allocated = sum(units for pairs in allocations_without_parcel(order=locked).values() for _, units in pairs)
        if not allocated:
            raise ApplicationError(
                f"Nothing of order {locked.number} is in stock yet, so there is nothing to ship now; "
                "it stays back-ordered until stock arrives."
            )
        short = _short_units(locked)
        if not short:
            raise ApplicationError(
                f"Everything for order {locked.number} is allocated: verify it and start fulfilment as usual."
            )
    order = transition_run(
        model=Order,
        pk=order.pk,
        transition="start_partial_fulfillment",
        actor=actor,
        expected_status=expected_status,
        locked=locked,
        fields={"backorder_rest": True},
        note=f"Shipping the {allocated} unit(s) in stock now; {short} unit(s) stay back-ordered and follow.",
        data={"allocated_units": allocated, "backordered_units": short},
    )
    fulfillment.order_released_follow_up(order=order)
    parcels_make(order=order, with_service_lines=not order.shipments.exists())
    return order


@transaction.atomic(savepoint=False)
def order_backorder_rest_fill(*, order: Order, actor=None) -> AllocationResult:
    """Give incoming stock to the back-ordered rest of an order that shipped its available part
    ahead. When the rest is complete it gets its parcels, `backorder_rest` is cleared and the
    timeline says so; when still short, the caller notes what it got.

    The caller (lifecycle.receiving) holds the order's lock and its products' stock level locks.
    Queues nothing (the caller e-mails). Raises nothing.
    """
    allocation = stock_allocate_order(order=order, actor=actor)
    if not allocation.complete:
        return allocation
    parcels = parcels_make(order=order, with_service_lines=False)
    Order.objects.filter(pk=order.pk).update(backorder_rest=False)
    order.backorder_rest = False
    numbers = [parcel.number for parcel in parcels]
    made = f" Parcel {', '.join(numbers)} made for it." if numbers else ""
    event_order_backorder_rest_ready(
        order=order,
        system="back-order fill",
        note=f"The back-ordered rest is in stock. {allocation.summary()}{made}",
        data={"allocation": allocation.as_data(), "shipments": numbers},
    )
    return allocation
