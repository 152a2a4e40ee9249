"""Splitting a parcel by hand: part of a parcel that is not packed yet goes into a new parcel."""

from django.db import transaction
from django.db.models.functions import Least

from orders_site.core.exceptions import ApplicationError, PermissionRefused

from ..events import event_shipment_split
from ..locks import order_lock, shipment_lock
from ..models import Shipment, ShipmentLine
from ..selectors.parcels import shipment_number_next

SPLITTABLE = (Shipment.Status.PENDING, Shipment.Status.PICKING)


def quantity_field(line_id: int) -> str:
    """The form field (and ApplicationError extra["field"]) for the units moved from one line."""
    return f"line_{line_id}"


@transaction.atomic
def shipment_split(
    *, shipment: Shipment, quantities: dict[int, int], actor=None, expected_status: str | None = None
) -> Shipment:
    """Move `quantities` ({shipment line id: units}) of a pending or picking parcel into a new
    parcel of the same warehouse, numbered `<order>-<n>` with the next free n. Returns the new parcel.

    A line moved whole changes parcel; a line moved in part keeps the rest and the new parcel gets
    a line for the moved units pointing at the same stock allocation (which stays as it is: the two
    lines together carry its open units, and each dispatch takes its own line's units). Units
    already scanned at the packing table stay scanned in this parcel up to what it keeps; the new
    parcel starts with nothing scanned (its units are scanned into its own box). Staff need
    orders.fulfil_order. One "Parcel split" event on the original parcel's timeline.
    Locks: orders.locks.order_lock, then the parcel (orders.locks.shipment_lock), as dispatch does.
    Raises ApplicationError (extra["field"] names the line's field: no units, more than the line,
    a line of another parcel, the whole parcel; the parcel is packed or gone), PermissionRefused;
    all before writing anything.
    """
    if actor is not None and not (actor.is_active and actor.is_staff and actor.has_perm("orders.fulfil_order")):
        raise PermissionRefused(f"You are not allowed to split parcel {shipment.number}.")
    order_lock(order_id=shipment.order_id)
    shipment = shipment_lock(shipment_id=shipment.pk)
    if expected_status is not None and shipment.status != expected_status:
        raise ApplicationError(
            f"Parcel {shipment.number} is “{shipment.get_status_display()}” now, not as the page showed; "
            "nothing was split. Reload and look again."
        )
    if shipment.status not in SPLITTABLE:
        raise ApplicationError(
            f"Parcel {shipment.number} is “{shipment.get_status_display()}”: only a parcel that is "
            "pending or being picked can be split."
        )
    lines = {line.pk: line for line in shipment.lines.select_related("order_line")}
    for line_id, units in quantities.items():
        field = quantity_field(line_id)
        line = lines.get(line_id)
        if line is None:
            raise ApplicationError(f"Line {line_id} is not in parcel {shipment.number}.", extra={"field": field})
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ApplicationError(
                f"{line.order_line.sku}: move at least one unit, or leave the line out to keep it all in this parcel.",
                extra={"field": field},
            )
        if units > line.quantity:
            raise ApplicationError(
                f"{line.order_line.sku}: the parcel holds {line.quantity}, so at most {line.quantity} can move.",
                extra={"field": field},
            )
    if not quantities:
        raise ApplicationError("Enter how many units of at least one line go into the new parcel.")
    if sum(quantities.values()) >= sum(line.quantity for line in lines.values()):
        raise ApplicationError(
            f"That moves everything: parcel {shipment.number} would be empty. Leave at least one unit in it.",
            extra={"field": quantity_field(next(iter(quantities)))},
        )

    new_shipment = Shipment.objects.create(
        order_id=shipment.order_id,
        number=shipment_number_next(order=shipment.order),
        warehouse_id=shipment.warehouse_id,
    )
    moved_whole, new_lines = [], []
    for line_id, units in sorted(quantities.items()):
        line = lines[line_id]
        if units == line.quantity:
            moved_whole.append(line_id)
        else:
            ShipmentLine.objects.filter(pk=line_id).update(
                quantity=line.quantity - units, packed_quantity=Least("packed_quantity", line.quantity - units)
            )
            new_lines.append(
                ShipmentLine(
                    shipment=new_shipment,
                    order_line_id=line.order_line_id,
                    allocation_id=line.allocation_id,
                    quantity=units,
                )
            )
    ShipmentLine.objects.filter(pk__in=moved_whole).update(shipment=new_shipment, packed_quantity=0)
    ShipmentLine.objects.bulk_create(new_lines)
    moved: dict[str, int] = {}
    for line_id, units in sorted(quantities.items()):
        sku = lines[line_id].order_line.sku
        moved[sku] = moved.get(sku, 0) + units
    event_shipment_split(
        shipment=shipment,
        new_shipment=new_shipment,
        actor=actor,
        note=f"Moved {', '.join(f'{n} x {sku}' for sku, n in moved.items())} into new parcel {new_shipment.number}.",
        data={"moved": moved},
    )
    return new_shipment
