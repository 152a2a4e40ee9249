"""A parcel returned to sender ends somewhere: its units back on the shelf (a stock movement of kind
return, once), then customer service's decision, refund due or re-ship, on the order's timeline.
Until that decision the parcel waits in the console's "Returned parcels" queue. Re-ship puts the
same goods in a new parcel to pick, pack and dispatch again."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory.locks import stock_levels_lock
from inventory.services import stock_allocate_again, stock_return
from orders_site.core.exceptions import ApplicationError

from .. import events
from ..locks import order_lock, shipment_lock
from ..models import Order, Shipment, ShipmentLine
from ..selectors.parcels import shipment_number_next
from .fulfillment import order_deliver_when_all_arrived
from .transitions import transition_run


@transaction.atomic
def shipment_receive_back(*, shipment: Shipment, actor=None) -> Shipment:
    """The returned parcel arrived back at its warehouse: each stocked line's units go back on the
    shelf there (inventory.services.stock_return, a movement of kind return), once.

    Locks: orders.locks.order_lock, shipment_lock, then the stock levels of the returned products
    (inventory.locks.stock_levels_lock, pk order). Raises ApplicationError (not returned to sender,
    received back already) before writing.
    """
    order_lock(order_id=shipment.order_id)
    shipment = shipment_lock(shipment_id=shipment.pk)
    if shipment.status != Shipment.Status.RETURNED_TO_SENDER:
        raise ApplicationError(
            f"Parcel {shipment.number} is {shipment.get_status_display().lower()}, not returned to sender."
        )
    if shipment.received_back_at is not None:
        raise ApplicationError(f"Parcel {shipment.number} was received back already.")
    lines = [
        line
        for line in shipment.lines.select_related("allocation__stock_level__product").order_by("pk")
        if line.allocation is not None
    ]
    # Every level of the returned products, in pk order, as stock_return (stock_in) takes them: one
    # line after another would lock them out of order.
    stock_levels_lock(product_ids={line.allocation.stock_level.product_id for line in lines})
    movements = [
        stock_return(
            product=line.allocation.stock_level.product,
            warehouse=shipment.warehouse,
            quantity=line.quantity,
            reason=f"Parcel {shipment.number} returned to sender",
            reference=shipment.order.number,
            actor=actor,
        )
        for line in lines
    ]
    shipment.received_back_at = timezone.now()
    shipment.save(update_fields=["received_back_at", "updated_at"])
    events.event_shipment_received_back(
        shipment=shipment,
        actor=actor,
        data={"units": sum(m.on_hand_delta for m in movements), "movements": len(movements)},
    )
    return shipment


@transaction.atomic
def shipment_return_decide(*, shipment: Shipment, decision: str, note: str = "", actor=None) -> Shipment:
    """Record what happens after a returned parcel: "refund_due" or "reship". Takes the parcel out
    of the "Returned parcels" queue and writes the order's timeline.

    Refund due: the parcel no longer holds up the order's delivery; when every other parcel has
    arrived the order is delivered now (lifecycle.returned_parcels then invoices it, credits the
    parcel's units and pays back what was paid for them).

    Re-ship: the same units are promised again from the same warehouse (they are back on its
    shelf) and go into a new pending parcel, due for dispatch in DISPATCH_HANDLING_DAYS; service
    lines (assembly, engraving) were done and do not travel again. The order goes back to
    partially shipped ("reship", one event) until the new parcel leaves, and the returned parcel
    no longer holds up the order's delivery.

    Locks: orders.locks.order_lock, shipment_lock, then (re-ship) the stock levels of the parcel's
    allocations in pk order. Raises ApplicationError (unknown decision, parcel not received back,
    decided already, the order is no longer shipped, InsufficientStock when another order took
    the returned units meanwhile); nothing is written when it does.
    """
    if decision not in Shipment.ReturnDecision.values:
        raise ApplicationError("Choose refund due or re-ship.", extra={"field": "decision"})
    order_lock(order_id=shipment.order_id)
    shipment = shipment_lock(shipment_id=shipment.pk)
    if shipment.received_back_at is None:
        raise ApplicationError(f"Receive parcel {shipment.number} back into stock before deciding.")
    if shipment.return_decided_at is not None:
        raise ApplicationError(
            f"Parcel {shipment.number} has its decision already: {shipment.get_return_decision_display()}."
        )
    shipment.return_decision = decision
    shipment.return_decision_note = note.strip()[:500]
    shipment.return_decided_at = timezone.now()
    shipment.save(update_fields=["return_decision", "return_decision_note", "return_decided_at", "updated_at"])
    events.event_shipment_return_decided(
        shipment=shipment, actor=actor, decision_label=shipment.get_return_decision_display(), note=note.strip()
    )
    if decision == Shipment.ReturnDecision.RESHIP:
        _reship(shipment=shipment, actor=actor, note=note.strip())
    else:
        order_deliver_when_all_arrived(order=shipment.order, actor=actor)
    return shipment


def _reship(*, shipment: Shipment, actor, note: str) -> Shipment:
    """The new parcel for a returned one (the caller holds the order's and the parcel's locks)."""
    order = shipment.order
    if order.status not in (Order.Status.SHIPPED, Order.Status.PARTIALLY_SHIPPED):
        raise ApplicationError(
            f"Order {order.number} is “{order.get_status_display()}”: only a shipped order can have a parcel "
            "shipped again. Choose refund due instead."
        )
    lines = [line for line in shipment.lines.select_related("allocation").order_by("pk") if line.allocation]
    if not lines:
        raise ApplicationError(f"Parcel {shipment.number} held no goods to ship again. Choose refund due instead.")
    new_allocations = stock_allocate_again(
        allocations=[(line.allocation, line.quantity) for line in lines], reference=order.number, actor=actor
    )
    new_shipment = Shipment.objects.create(
        order=order,
        number=shipment_number_next(order=order),
        warehouse_id=shipment.warehouse_id,
        dispatch_by=timezone.localdate() + timedelta(days=settings.DISPATCH_HANDLING_DAYS),
    )
    ShipmentLine.objects.bulk_create(
        [
            ShipmentLine(
                shipment=new_shipment, order_line_id=line.order_line_id, allocation=allocation, quantity=line.quantity
            )
            for line, allocation in zip(lines, new_allocations, strict=True)
        ]
    )
    transition_run(
        model=Order,
        pk=order.pk,
        transition="reship",
        actor=actor,
        check_permission=False,
        note=f"Parcel {shipment.number} goes out again as {new_shipment.number}." + (f" {note}" if note else ""),
        data={"returned": shipment.number, "shipment": new_shipment.number},
    )
    return new_shipment
