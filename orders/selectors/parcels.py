"""Reads for making and splitting parcels: the next parcel number, stock promised to an order that
no parcel carries yet, and whether a dispatched parcel left part of the order behind."""

from collections import defaultdict

from django.db.models import Sum

from inventory.models import StockAllocation

from ..models import Order, OrderEvent, Shipment, ShipmentLine


def shipment_number_next(*, order: Order) -> str:
    """`<order number>-<n>` with n one above the highest parcel number the order has (cancelled
    parcels included: a number is never given twice). The caller holds the order's lock."""
    prefix = f"{order.number}-"
    used = [
        int(suffix)
        for suffix in (number.removeprefix(prefix) for number in order.shipments.values_list("number", flat=True))
        if suffix.isdigit()
    ]
    return f"{prefix}{max(used, default=0) + 1}"


def allocations_without_parcel(*, order: Order) -> dict[object, list[tuple[StockAllocation, int]]]:
    """Stock promised to the order that no live parcel carries yet, per warehouse (by priority):
    {warehouse: [(allocation, units)]}. Two queries."""
    carried = defaultdict(int)
    for row in (
        ShipmentLine.objects.filter(shipment__order=order, allocation__isnull=False)
        .exclude(shipment__status=Shipment.Status.CANCELLED)
        .order_by()
        .values("allocation_id")
        .annotate(units=Sum("quantity"))
    ):
        carried[row["allocation_id"]] = row["units"]
    by_warehouse = defaultdict(list)
    for allocation in (
        StockAllocation.objects.filter(order_line__order=order)
        .select_related("stock_level__warehouse", "order_line")
        .order_by("stock_level__warehouse__priority", "pk")
    ):
        units = allocation.quantity - allocation.released_quantity - carried[allocation.pk]
        if units > 0:
            by_warehouse[allocation.stock_level.warehouse].append((allocation, units))
    return dict(by_warehouse)


def shipment_left_rest_behind(*, shipment: Shipment) -> bool:
    """Whether this parcel went while part of its order still waited for stock: the order shipped
    its available part ahead and dispatching this parcel left it "partially shipped". The shipped
    e-mail then says it is part of the order. Two queries."""
    started_partly = OrderEvent.objects.filter(
        order_id=shipment.order_id, kind=OrderEvent.Kind.ORDER_START_PARTIAL_FULFILLMENT
    ).exists()
    return started_partly and (
        OrderEvent.objects.filter(
            order_id=shipment.order_id,
            kind=OrderEvent.Kind.ORDER_SHIP_PARTIALLY,
            data__shipment=shipment.number,
        ).exists()
    )
