"""The packing table: every unit of a parcel is confirmed by scanning (or typing) its barcode or SKU
before the parcel may be marked packed. A wrong item, an extra unit or another order's unit is
refused with its own message, and a refusal changes nothing."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q

from inventory.models import Product
from orders_site.core.exceptions import ApplicationError

from ..locks import shipment_lock
from ..models import Shipment, ShipmentLine, WorkItem
from ..selectors.packing import packing_lines
from .work_items import SERVICE_KIND

# A count typed with one scan: enough for a carton of small parts, and a guard against a barcode
# scanned into the count field by mistake.
SCAN_COUNT_MAX = 999
CODE_MAX = 64


class ScanRefused(ApplicationError):
    """The scanned code cannot be confirmed in this parcel. `extra["reason"]` says why:
    unknown, not_in_parcel, other_order, extra_unit, too_many, service, work_open, not_packing,
    bad_count."""


@dataclass(frozen=True)
class ScanResult:
    line: ShipmentLine
    confirmed: int
    complete: bool  # every line of the parcel is confirmed now
    message: str


def normalise_code(code: str) -> str:
    """What a scanner or a person typed, as compared: no surrounding or inner spaces, any case."""
    return "".join(code.split()).upper()


def _refuse(message: str, reason: str, field: str = "code"):
    raise ScanRefused(message, extra={"field": field, "reason": reason})


def _matches(line: ShipmentLine, code: str) -> bool:
    product = line.order_line.product
    return line.order_line.sku.upper() == code or (
        product is not None and bool(product.barcode) and product.barcode.upper() == code
    )


def line_is_confirmed(line: ShipmentLine) -> bool:
    """A unit line when every unit is scanned; a service line (nothing to scan) when its work is done.
    Reads `line.work_item` (select it with the line)."""
    work_item = getattr(line, "work_item", None)
    if work_item is not None and work_item.status != WorkItem.Status.DONE:
        return False
    if line.order_line.kind == SERVICE_KIND:
        return True
    return line.packed_quantity >= line.quantity


def shipment_unpacked_reasons(*, shipment_id: int) -> list[str]:
    """Why the parcel cannot be marked packed yet, one sentence a line (empty: it can)."""
    reasons = []
    for line in packing_lines(shipment_id=shipment_id):
        work_item = getattr(line, "work_item", None)
        if work_item is not None and work_item.status != WorkItem.Status.DONE:
            reasons.append(
                f"{line.order_line.sku}: its work item “{work_item.kind}” is {work_item.get_status_display().lower()}"
            )
        elif not line_is_confirmed(line):
            reasons.append(f"{line.order_line.sku}: {line.packed_quantity} of {line.quantity} scanned")
    return reasons


def _other_order_number(*, shipment: Shipment, code: str) -> str | None:
    product_ids = Product.objects.filter(Q(sku__iexact=code) | Q(barcode__iexact=code)).values("pk")
    other = (
        ShipmentLine.objects.filter(
            order_line__product_id__in=product_ids,
            shipment__status__in=[Shipment.Status.PENDING, Shipment.Status.PICKING],
        )
        .exclude(shipment__order_id=shipment.order_id)
        .values_list("shipment__order__number", flat=True)
        .order_by("shipment_id")
        .first()
    )
    return other


@transaction.atomic
def shipment_scan(*, shipment: Shipment, code: str, count: int = 1, actor=None) -> ScanResult:
    """Confirm `count` units of the line whose barcode or SKU is `code` (any case, spaces ignored).

    Locks: the shipment (orders.locks.shipment_lock); the line's counter moves with an F() update
    that the database constraint keeps within the line's quantity. Queues nothing, writes no event
    (the "Parcel packed" event records the packing).
    Raises ScanRefused (nothing written) when the parcel is not being packed, the count is not a
    whole number from 1 to 999, the code is unknown, names a product not in this parcel or in
    another open order's parcel, is a service, waits for its work item, or would be an extra unit.
    """
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= SCAN_COUNT_MAX:
        _refuse(f"Enter a count from 1 to {SCAN_COUNT_MAX}.", "bad_count", field="count")
    normalised = normalise_code(code or "")
    if not normalised:
        _refuse("Scan a barcode or type a SKU.", "unknown")
    if len(normalised) > CODE_MAX:
        _refuse(f"That is not a barcode or SKU (more than {CODE_MAX} characters).", "unknown")
    shipment = shipment_lock(shipment_id=shipment.pk)
    if shipment.status != Shipment.Status.PICKING:
        _refuse(
            f"Parcel {shipment.number} is “{shipment.get_status_display()}”: only a parcel being picked is packed.",
            "not_packing",
        )
    lines = [line for line in packing_lines(shipment_id=shipment.pk) if _matches(line, normalised)]
    if not lines:
        other = _other_order_number(shipment=shipment, code=normalised)
        if other is not None:
            _refuse(f"“{code.strip()}” belongs to order {other}, not to this parcel. Put it back.", "other_order")
        product = Product.objects.filter(Q(sku__iexact=normalised) | Q(barcode__iexact=normalised)).first()
        if product is not None:
            _refuse(f"{product.name} ({product.sku}) is not in this parcel. Put it back.", "not_in_parcel")
        _refuse(f"Unknown code “{code.strip()}”: no product has this barcode or SKU.", "unknown")
    sku = lines[0].order_line.sku
    if all(line.order_line.kind == SERVICE_KIND for line in lines):
        _refuse(f"{sku} is a service: there is nothing to scan; it is done with its work item.", "service")
    lines = [line for line in lines if line.order_line.kind != SERVICE_KIND]
    open_work = [line for line in lines if not _work_done(line)]
    ready = [line for line in lines if _work_done(line)]
    waiting = [line for line in ready if line.packed_quantity < line.quantity]
    if not waiting:
        if open_work:
            work_item = open_work[0].work_item
            _refuse(
                f"{sku} waits for its work item “{work_item.kind}” ({work_item.get_status_display().lower()}): "
                "finish it before packing.",
                "work_open",
            )
        total = sum(line.quantity for line in lines)
        _refuse(f"All {total} of {sku} are packed already: this one is extra. Put it back.", "extra_unit")
    line = waiting[0]
    left = line.quantity - line.packed_quantity
    if count > left:
        _refuse(
            f"Only {left} more of {sku} belong in this parcel ({line.packed_quantity} of {line.quantity} packed); "
            "nothing was confirmed.",
            "too_many",
            field="count",
        )
    ShipmentLine.objects.filter(pk=line.pk).update(packed_quantity=F("packed_quantity") + count)
    line.refresh_from_db(fields=["packed_quantity"])
    complete = not shipment_unpacked_reasons(shipment_id=shipment.pk)
    return ScanResult(
        line=line,
        confirmed=count,
        complete=complete,
        message=f"{sku}: {line.packed_quantity} of {line.quantity} packed" + (" — parcel complete" if complete else ""),
    )


def _work_done(line: ShipmentLine) -> bool:
    work_item = getattr(line, "work_item", None)
    return work_item is None or work_item.status == WorkItem.Status.DONE


def shipment_pack_check(*, shipment_id: int) -> None:
    """Raise ApplicationError when a line is not confirmed or a work item is open (shipment_pack
    calls it holding the shipment's lock)."""
    reasons = shipment_unpacked_reasons(shipment_id=shipment_id)
    if reasons:
        raise ApplicationError("The parcel is not complete yet: " + "; ".join(reasons) + ".")
