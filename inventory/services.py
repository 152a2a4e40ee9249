"""Everything that changes stock. Each change writes its movement in the same transaction."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from orders_site.core.exceptions import ApplicationError

from .locks import stock_levels_lock
from .models import StockAllocation, StockLevel, StockMovement


class InsufficientStock(ApplicationError):
    pass


@dataclass
class AllocationResult:
    """What an allocation run achieved: units still short per order line, and where stock came from."""

    short_by_line: dict[int, int] = field(default_factory=dict)
    warehouse_codes: set[str] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        return not self.short_by_line


def _move(
    *,
    stock_level: StockLevel,
    kind: str,
    on_hand: int = 0,
    allocated: int = 0,
    reason: str = "",
    reference: str = "",
    actor=None,
) -> StockMovement:
    """Apply a delta with a conditional UPDATE and record it. Refuses to break an invariant."""
    # After the change: allocated <= on_hand (so on_hand >= 0 too) and allocated >= 0.
    conditions = {"on_hand__gte": F("allocated") + (allocated - on_hand)}
    if allocated < 0:
        conditions["allocated__gte"] = -allocated
    updated = StockLevel.objects.filter(pk=stock_level.pk, **conditions).update(
        on_hand=F("on_hand") + on_hand, allocated=F("allocated") + allocated
    )
    if not updated:
        raise InsufficientStock(
            f"Not enough stock of {stock_level.product.sku} in {stock_level.warehouse.code} for this change."
        )
    stock_level.on_hand += on_hand
    stock_level.allocated += allocated
    return StockMovement.objects.create(
        stock_level=stock_level,
        kind=kind,
        on_hand_delta=on_hand,
        allocated_delta=allocated,
        reason=reason,
        reference=reference,
        actor=actor,
    )


def stock_level_get_or_create(*, product, warehouse) -> StockLevel:
    level, _ = StockLevel.objects.get_or_create(product=product, warehouse=warehouse)
    return level


@transaction.atomic
def stock_receive(*, product, warehouse, quantity: int, reference: str = "", actor=None) -> StockMovement:
    """Add received units to `on_hand`. Locks the stock level row."""
    if quantity <= 0:
        raise ApplicationError("Received quantity must be at least 1.")
    level = stock_level_get_or_create(product=product, warehouse=warehouse)
    level = StockLevel.objects.select_for_update().select_related("product", "warehouse").get(pk=level.pk)
    return _move(stock_level=level, kind=StockMovement.Kind.RECEIPT, on_hand=quantity, reference=reference, actor=actor)


@transaction.atomic
def stock_adjust(*, stock_level: StockLevel, delta: int, reason: str, actor=None) -> StockMovement:
    """Correct `on_hand` after a count. A reason is required; cannot go below what is allocated."""
    if not reason.strip():
        raise ApplicationError("Say why the stock is adjusted.")
    if delta == 0:
        raise ApplicationError("An adjustment must change the quantity.")
    level = StockLevel.objects.select_for_update().select_related("product", "warehouse").get(pk=stock_level.pk)
    return _move(
        stock_level=level, kind=StockMovement.Kind.ADJUSTMENT, on_hand=delta, reason=reason.strip(), actor=actor
    )


def _physical_needs(order) -> dict[int, tuple[object, int]]:
    """Units still to allocate per order line: {line_id: (line, quantity)}."""
    needs = {}
    for line in order.lines.select_related("product").prefetch_related("allocations"):
        if line.product is None or not line.product.tracks_stock:
            continue
        open_allocated = sum(a.quantity - a.released_quantity for a in line.allocations.all())
        if line.quantity > open_allocated:
            needs[line.pk] = (line, line.quantity - open_allocated)
    return needs


@transaction.atomic
def stock_allocate_order(*, order, actor=None) -> AllocationResult:
    """Promise stock to every physical line of the order that is not yet fully allocated.

    Prefers the one warehouse (by priority) that can supply all remaining lines; otherwise takes
    each line from warehouses in priority order, splitting when needed. Locks all stock levels of
    the order's products in primary-key order. Lines that cannot be fully allocated are reported
    in `short_by_line`; nothing is raised for a shortage.
    """
    needs = _physical_needs(order)
    result = AllocationResult()
    if not needs:
        return result
    levels = stock_levels_lock(product_ids=[line.product_id for line, _ in needs.values()])
    by_product: dict[int, list[StockLevel]] = defaultdict(list)
    for level in sorted(levels, key=lambda lv: (lv.warehouse.priority, lv.warehouse.code)):
        if level.warehouse.is_active:
            by_product[level.product_id].append(level)

    whole_order_warehouse = None
    warehouses = {lv.warehouse for lvs in by_product.values() for lv in lvs}
    for warehouse in sorted(warehouses, key=lambda w: (w.priority, w.code)):
        if all(
            any(lv.warehouse_id == warehouse.pk and lv.available >= qty for lv in by_product[line.product_id])
            for line, qty in needs.values()
        ):
            whole_order_warehouse = warehouse
            break

    for line, quantity in needs.values():
        remaining = quantity
        candidates = by_product[line.product_id]
        if whole_order_warehouse is not None:
            candidates = [lv for lv in candidates if lv.warehouse_id == whole_order_warehouse.pk]
        for level in candidates:
            take = min(level.available, remaining)
            if take <= 0:
                continue
            _move(
                stock_level=level,
                kind=StockMovement.Kind.ALLOCATION,
                allocated=take,
                reference=order.number,
                actor=actor,
            )
            StockAllocation.objects.create(order_line=line, stock_level=level, quantity=take)
            result.warehouse_codes.add(level.warehouse.code)
            remaining -= take
            if remaining == 0:
                break
        if remaining:
            result.short_by_line[line.pk] = remaining
    return result


@transaction.atomic
def stock_release_order(*, order, actor=None, reason: str = "") -> int:
    """Give back every open allocation of the order (cancellation). Returns units released."""
    allocations = list(
        StockAllocation.objects.filter(order_line__order=order)
        .select_related("stock_level__product", "stock_level__warehouse")
        .order_by("stock_level_id", "pk")
    )
    stock_levels_lock(product_ids=[a.stock_level.product_id for a in allocations])
    released = 0
    for allocation in allocations:
        quantity = allocation.open_quantity
        if quantity <= 0:
            continue
        _move(
            stock_level=allocation.stock_level,
            kind=StockMovement.Kind.RELEASE,
            allocated=-quantity,
            reason=reason,
            reference=order.number,
            actor=actor,
        )
        StockAllocation.objects.filter(pk=allocation.pk).update(released_quantity=F("released_quantity") + quantity)
        released += quantity
    return released


@transaction.atomic
def stock_dispatch(*, allocation: StockAllocation, quantity: int, reference: str, actor=None) -> StockMovement:
    """Units leave the building: both `on_hand` and `allocated` go down. Locks the stock level."""
    if quantity <= 0 or quantity > allocation.open_quantity:
        raise ApplicationError(f"Cannot dispatch {quantity} of an allocation with {allocation.open_quantity} open.")
    level = (
        StockLevel.objects.select_for_update().select_related("product", "warehouse").get(pk=allocation.stock_level_id)
    )
    movement = _move(
        stock_level=level,
        kind=StockMovement.Kind.DISPATCH,
        on_hand=-quantity,
        allocated=-quantity,
        reference=reference,
        actor=actor,
    )
    StockAllocation.objects.filter(pk=allocation.pk).update(dispatched_quantity=F("dispatched_quantity") + quantity)
    allocation.dispatched_quantity += quantity
    return movement
