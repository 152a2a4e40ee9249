"""Reads for returns (RMA): what an order can still send back, and the returns queues."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone

from orders.models import Order, OrderLine, ReturnLine, ReturnRequest, Shipment, ShipmentLine

# Requests that still hold their units (a refused one gives them back).
HOLDING = (
    ReturnRequest.Status.REQUESTED,
    ReturnRequest.Status.AUTHORISED,
    ReturnRequest.Status.RECEIVED,
    ReturnRequest.Status.CLOSED,
)


@dataclass(frozen=True)
class Returnable:
    line: OrderLine
    delivered: int  # units of the line in delivered parcels
    asked: int  # units already in return requests (not refused)
    window_ends: date | None  # the last day to ask, from the line's last delivery

    @property
    def left(self) -> int:
        return max(0, self.delivered - self.asked)

    def open_on(self, today: date) -> bool:
        return self.window_ends is not None and today <= self.window_ends


def returnable_lines(*, order: Order) -> list[Returnable]:
    """Every line of the order with delivered units, what is left to return of it and until when.
    Three queries."""
    lines = {line.pk: line for line in order.lines.all()}
    delivered = (
        ShipmentLine.objects.filter(shipment__order=order, shipment__status=Shipment.Status.DELIVERED)
        .values("order_line_id")
        .annotate(units=Sum("quantity"), last=Max("shipment__delivered_at"))
    )
    asked = dict(
        ReturnLine.objects.filter(request__order=order, request__status__in=HOLDING)
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
        .values_list("order_line_id", "units")
    )
    window = timedelta(days=settings.RETURN_WINDOW_DAYS)
    return [
        Returnable(
            line=lines[row["order_line_id"]],
            delivered=row["units"],
            asked=asked.get(row["order_line_id"], 0),
            window_ends=timezone.localdate(row["last"] + window) if row["last"] else None,
        )
        for row in sorted(delivered, key=lambda row: row["order_line_id"])
        if row["order_line_id"] in lines
    ]


def returnable_now(*, order: Order, today: date | None = None) -> list[Returnable]:
    """The lines a customer can still ask to return today: units left, within the window."""
    today = today or timezone.localdate()
    return [entry for entry in returnable_lines(order=order) if entry.left and entry.open_on(today)]


def return_window_open(*, order: Order) -> bool:
    """A parcel was delivered within the return window: the order page offers "Return items". Reads
    the order's parcels as prefetched (no query); the return page says which items are left."""
    since = timezone.now() - timedelta(days=settings.RETURN_WINDOW_DAYS)
    return any(
        parcel.status == Shipment.Status.DELIVERED and parcel.delivered_at and parcel.delivered_at >= since
        for parcel in order.shipments.all()
    )


def returns_in(status: str, queryset: QuerySet[ReturnRequest] | None = None) -> QuerySet[ReturnRequest]:
    """A returns queue (requested, authorised, received), oldest first: return_status_created_idx."""
    queryset = ReturnRequest.objects.all() if queryset is None else queryset
    return queryset.filter(status=status).order_by("created_at", "id")


def returns_requested_count() -> int:
    return returns_in(ReturnRequest.Status.REQUESTED).count()


def returns_authorised_count() -> int:
    return returns_in(ReturnRequest.Status.AUTHORISED).count()


def returns_received_count() -> int:
    return returns_in(ReturnRequest.Status.RECEIVED).count()
