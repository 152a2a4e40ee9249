"""Reads of the packing table and the workshop: a parcel's lines as the packer sees them, and the
work-item queues of the console home."""

from django.db.models import Exists, OuterRef, QuerySet

from ..models import Shipment, ShipmentLine, WorkItem


def packing_lines(*, shipment_id: int) -> list[ShipmentLine]:
    """The parcel's lines with what the packing table shows and checks: the order line, its product
    (barcode) and its work item. One query."""
    return list(
        ShipmentLine.objects.filter(shipment_id=shipment_id)
        .select_related("order_line__product", "work_item")
        .order_by("pk")
    )


def work_items_open() -> QuerySet[WorkItem]:
    """Work items to do or in progress (workitem_status_idx answers it)."""
    return WorkItem.objects.filter(status__in=WorkItem.OPEN_STATUSES)


def work_items_open_count() -> int:
    return work_items_open().count()


def shipments_waiting_for_work(queryset: QuerySet[Shipment] | None = None) -> QuerySet[Shipment]:
    """Parcels being picked that cannot be packed yet: a line's work item is open."""
    queryset = Shipment.objects.all() if queryset is None else queryset
    waiting = work_items_open().filter(shipment_line__shipment_id=OuterRef("pk"))
    return queryset.filter(status=Shipment.Status.PICKING).filter(Exists(waiting))


def shipments_waiting_for_work_count() -> int:
    return shipments_waiting_for_work().count()
