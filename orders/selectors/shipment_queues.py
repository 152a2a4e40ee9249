"""The warehouse's queues (to pick, to pack, to ship): how many parcels wait in each, per warehouse."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from ..models import Shipment


@dataclass(frozen=True)
class WarehouseCount:
    warehouse_id: int
    code: str
    count: int


@dataclass(frozen=True)
class ShipmentQueueCounts:
    total: int
    by_warehouse: tuple[WarehouseCount, ...]


def shipment_counts_by_warehouse(*, status: str) -> ShipmentQueueCounts:
    """Parcels in one state, per warehouse, in one query (shipment_wh_dispatch_idx answers it)."""
    rows = (
        Shipment.objects.filter(status=status)
        .values("warehouse_id", "warehouse__code")
        .annotate(count=Count("pk"))
        .order_by("warehouse__code")
    )
    parts = tuple(WarehouseCount(row["warehouse_id"], row["warehouse__code"], row["count"]) for row in rows)
    return ShipmentQueueCounts(total=sum(part.count for part in parts), by_warehouse=parts)
