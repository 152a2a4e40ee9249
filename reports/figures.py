"""The orders behind each of the dashboard's figures, as querysets: the dashboard counts them, and
the order list shows them (its "Report" filter, reports.admin_filters). One definition each, so a
figure and the list behind it can never disagree."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from invoicing.models import CreditNote, Invoice
from orders.models import Order, OrderEvent, ReturnRequest, Shipment

from .periods import Period

HELD = (OrderEvent.Kind.ORDER_HOLD,)
BACKORDERED = (OrderEvent.Kind.ORDER_BACKORDER, OrderEvent.Kind.ORDER_START_PARTIAL_FULFILLMENT)
DELIVERED = (OrderEvent.Kind.ORDER_DELIVER,)
# Parcels that ended badly: the carrier brought them back, or could not deliver them.
TROUBLED_PARCELS = (Shipment.Status.RETURNED_TO_SENDER, Shipment.Status.DELIVERY_FAILED)


def orders_in(period: Period) -> QuerySet[Order]:
    """Orders placed in the period (drafts are not placed), in its channel, with a parcel from its
    warehouse when it names one."""
    # No ordering: this is a set, read as a subquery by most figures.
    orders = Order.objects.filter(placed_at__gte=period.start, placed_at__lt=period.end).order_by()
    if period.channel:
        orders = orders.filter(channel=period.channel)
    if period.warehouse_id:
        orders = orders.filter(warehouse_has(period.warehouse_id))
    return orders


def warehouse_has(warehouse_id: int) -> Exists:
    return Exists(Shipment.objects.filter(order=OuterRef("pk"), warehouse_id=warehouse_id))


def _ever(kinds) -> Exists:
    return Exists(OrderEvent.objects.filter(order=OuterRef("pk"), kind__in=kinds))


def parcels_due(shipments: QuerySet[Shipment], *, today=None) -> QuerySet[Shipment]:
    """Parcels with a promised dispatch date that were dispatched, or are past it and not yet sent
    (cancelled ones do not count)."""
    today = today or timezone.localdate()
    return (
        shipments.filter(dispatch_by__isnull=False)
        .exclude(status=Shipment.Status.CANCELLED)
        .filter(Q(dispatched_at__isnull=False) | Q(dispatch_by__lt=today))
    )


# Dispatched on or before the promised day (Shipment.dispatched_late, set at dispatch).
DISPATCHED_ON_TIME = Q(dispatched_late=False)


def _late_parcel(*, today=None) -> Exists:
    """A parcel of the order sent after its promised day, or past that day and not sent (not
    cancelled): two partial indexes (shipment_sent_late_idx, shipment_unsent_promised_idx)."""
    today = today or timezone.localdate()
    unsent = Q(dispatched_at__isnull=True, dispatch_by__isnull=False, dispatch_by__lt=today) & ~Q(
        status=Shipment.Status.CANCELLED
    )
    return Exists(Shipment.objects.filter(Q(order=OuterRef("pk")) & (Q(dispatched_late=True) | unsent)))


def _exists(model, **lookups) -> Exists:
    return Exists(model.objects.filter(order=OuterRef("pk"), **lookups))


# Each set as a condition on an order row, usable in filter() and in Count(filter=...): the list
# filters by it, the dashboard counts several in one aggregate query.


def cancelled(*, today=None) -> Q:
    return Q(status=Order.Status.CANCELLED)


def held(*, today=None) -> Q:
    return Q(_ever(HELD))


def backordered(*, today=None) -> Q:
    return Q(_ever(BACKORDERED))


def delivered(*, today=None) -> Q:
    return Q(_ever(DELIVERED))


def late_dispatch(*, today=None) -> Q:
    return Q(_late_parcel(today=today))


def returned(*, today=None) -> Q:
    return Q(_exists(ReturnRequest))


def perfect(*, today=None) -> Q:
    """Delivered complete (nothing still owed from a back-order, no parcel back or undeliverable),
    every parcel dispatched by its promised day, no return and no credit note (undamaged, and the
    invoice was right), and invoiced."""
    return (
        delivered()
        & Q(backorder_rest=False)
        & ~Q(_late_parcel(today=today))
        & ~Q(_exists(Shipment, status__in=TROUBLED_PARCELS))
        & ~returned()
        & ~Q(_exists(CreditNote))
        & Q(Exists(Invoice.objects.filter(order=OuterRef("pk")).exclude(number=None)))
    )


def not_perfect(*, today=None) -> Q:
    return delivered() & ~perfect(today=today)


@dataclass(frozen=True)
class OrderSet:
    key: str
    label: str
    condition: object  # (*, today=None) -> Q on an order

    def narrow(self, orders: QuerySet[Order], *, today=None) -> QuerySet[Order]:
        return orders.filter(self.condition(today=today))


ORDER_SETS = {
    item.key: item
    for item in (
        OrderSet("cancelled", "Cancelled", cancelled),
        OrderSet("held", "Held at some point", held),
        OrderSet("backordered", "Back-ordered at some point", backordered),
        OrderSet("delivered", "Delivered", delivered),
        OrderSet("late_dispatch", "A parcel dispatched late (or overdue)", late_dispatch),
        OrderSet("perfect", "Perfect orders", perfect),
        OrderSet("not_perfect", "Delivered, not perfect", not_perfect),
        OrderSet("returned", "With a return", returned),
    )
}
