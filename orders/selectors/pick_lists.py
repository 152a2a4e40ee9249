"""Pick lists: what to take from which bin, per warehouse, in the picker's walking order, for one
pick batch (summed over its parcels) or for one order. One query, however many lines."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from inventory.models import Product

from ..models import Order, PickBatch, Shipment, ShipmentLine

NO_BIN = "No bin"


@dataclass(frozen=True)
class PickSplit:
    """How many units of a row go into one parcel (of which order), with its line's customisation."""

    order_number: str
    shipment_number: str
    customer: str
    quantity: int
    customisation_notes: str


@dataclass(frozen=True)
class PickRow:
    """One stop on the walk: a product in a bin, the units summed over the parcels."""

    bin_code: str  # NO_BIN when the stock has no bin
    walk_order: int | None
    sku: str
    name: str
    quantity: int
    splits: tuple[PickSplit, ...]

    @property
    def has_bin(self) -> bool:
        return self.walk_order is not None

    @property
    def customisation_notes(self) -> list[str]:
        return [
            f"{split.order_number}: {split.customisation_notes}" for split in self.splits if split.customisation_notes
        ]


@dataclass(frozen=True)
class PickWarehouse:
    code: str
    name: str
    rows: tuple[PickRow, ...]

    @property
    def units(self) -> int:
        return sum(row.quantity for row in self.rows)


@dataclass(frozen=True)
class PickList:
    title: str
    shipment_numbers: tuple[str, ...]
    order_numbers: tuple[str, ...]
    warehouses: tuple[PickWarehouse, ...]

    @property
    def units(self) -> int:
        return sum(warehouse.units for warehouse in self.warehouses)


def _lines() -> QuerySet[ShipmentLine]:
    # Service lines (assembly, engraving) travel with a parcel but are not taken from a shelf.
    return (
        ShipmentLine.objects.exclude(shipment__status=Shipment.Status.CANCELLED)
        .exclude(order_line__product__kind=Product.Kind.SERVICE)
        .select_related(
            "shipment__warehouse",
            "shipment__order__customer",
            "order_line",
            "allocation__stock_level__bin_location",
        )
        .order_by("shipment_id", "pk")
    )


def _row_key(line: ShipmentLine):
    level = line.allocation.stock_level if line.allocation else None
    bin_location = level.bin_location if level else None
    if bin_location is None:
        return (1, 0, "", line.order_line.sku)
    return (0, bin_location.walk_order, bin_location.code, line.order_line.sku)


def _pick_list(*, title: str, lines: list[ShipmentLine]) -> PickList:
    by_warehouse: dict[object, dict[tuple, list[ShipmentLine]]] = defaultdict(lambda: defaultdict(list))
    for line in lines:
        by_warehouse[line.shipment.warehouse][_row_key(line)].append(line)
    warehouses = []
    for warehouse in sorted(by_warehouse, key=lambda w: (w.priority, w.code)):
        rows = []
        for key in sorted(by_warehouse[warehouse]):
            group = by_warehouse[warehouse][key]
            no_bin, walk_order, bin_code, sku = key
            rows.append(
                PickRow(
                    bin_code=NO_BIN if no_bin else bin_code,
                    walk_order=None if no_bin else walk_order,
                    sku=sku,
                    name=group[0].order_line.name,
                    quantity=sum(line.quantity for line in group),
                    splits=tuple(
                        PickSplit(
                            order_number=line.shipment.order.number,
                            shipment_number=line.shipment.number,
                            customer=line.shipment.order.customer.full_name,
                            quantity=line.quantity,
                            customisation_notes=line.order_line.customisation_notes,
                        )
                        for line in group
                    ),
                )
            )
        warehouses.append(PickWarehouse(code=warehouse.code, name=warehouse.name, rows=tuple(rows)))
    shipments = sorted({line.shipment.number for line in lines})
    orders = sorted({line.shipment.order.number for line in lines})
    return PickList(
        title=title, shipment_numbers=tuple(shipments), order_numbers=tuple(orders), warehouses=tuple(warehouses)
    )


def pick_list_for_batch(*, batch: PickBatch) -> PickList:
    """The batch's pick list: one warehouse, a row per (bin, product) with the units summed over
    its parcels and the split per parcel. One query."""
    return _pick_list(title=f"Pick batch {batch.number}", lines=list(_lines().filter(shipment__pick_batch=batch)))


def pick_list_for_order(*, order: Order) -> PickList:
    """One order's pick list: its parcels not cancelled, per warehouse (an order may come from two).
    One query."""
    return _pick_list(title=f"Order {order.number}", lines=list(_lines().filter(shipment__order=order)))
