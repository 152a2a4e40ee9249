"""Promising stock to orders, giving it back, and letting it leave the building."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from orders_site.core.exceptions import ApplicationError

from ..locks import stock_level_lock, stock_levels_lock, stock_levels_lock_by_id
from ..models import StockAllocation, StockLevel, StockMovement
from ..selectors import order_stock_needs
from .ledger import allocations_record, movement_record


@dataclass
class AllocationResult:
    """What an allocation run achieved: units still short per order line, and where stock came from.

    `strategy` is "single" when one warehouse could supply everything the order still needed,
    "split" when stock had to come from several (or is short), "" when nothing was needed.
    """

    short_by_line: dict[int, int] = field(default_factory=dict)
    warehouse_codes: set[str] = field(default_factory=set)
    units_by_warehouse: dict[str, dict[str, int]] = field(default_factory=dict)
    short_by_sku: dict[str, int] = field(default_factory=dict)
    strategy: str = ""

    @property
    def complete(self) -> bool:
        return not self.short_by_line

    def summary(self) -> str:
        """One sentence for staff on the order's timeline."""
        where = ", ".join(
            f"{code} ({', '.join(f'{qty} x {sku}' for sku, qty in sorted(units.items()))})"
            for code, units in sorted(self.units_by_warehouse.items())
        )
        if self.strategy == "single":
            text = f"Stock allocated from one warehouse that ships the whole order: {where}."
        elif len(self.units_by_warehouse) > 1:
            text = f"No single warehouse has everything; stock split over {where}."
        elif self.units_by_warehouse:
            text = f"Stock allocated from {where}."
        elif self.strategy == "":
            return "No stock to allocate."
        else:
            text = "No stock could be allocated."
        if self.short_by_sku:
            text += " Short: " + ", ".join(f"{qty} x {sku}" for sku, qty in sorted(self.short_by_sku.items())) + "."
        return text

    def as_data(self) -> dict:
        return {
            "strategy": self.strategy,
            "warehouses": self.units_by_warehouse,
            "short": self.short_by_sku,
        }


@transaction.atomic(savepoint=False)
def stock_allocate_order(*, order, actor=None, lines=None) -> AllocationResult:
    """Promise stock to every physical line of the order that is not yet fully allocated.

    Prefers the one warehouse (by priority) that can supply everything still needed; otherwise
    each line comes from, in turn: a warehouse the order already ships from, one that has the
    whole line, then any by priority, splitting a line only when no warehouse has all of it.
    Inactive warehouses are skipped. The caller records `result.summary()` on the order.
    `lines`: the order's lines in memory with their products and allocations (placement has
    just made them), instead of reading them.

    All lines are allocated with one guarded UPDATE of the levels and one INSERT each of the
    movements and allocations, whatever their number. Should that UPDATE find a level short
    (only if a caller forgot the lock), it changes nothing and the lines are allocated one by
    one, from levels read again, with movement_record.

    Locks: all stock levels of the order's products, in primary-key order. Lines that cannot be
    fully allocated are reported in `short_by_line`; nothing is raised for a shortage. Runs in
    the caller's transaction when there is one (no savepoint: a failure aborts it).
    """
    needs, used_level_ids = order_stock_needs(order, lines=lines)
    if not needs:
        return AllocationResult()
    product_ids = [line.product_id for line, _ in needs.values()]
    levels = stock_levels_lock(product_ids=product_ids)
    result, takes = _allocation_plan(needs, used_level_ids, levels)
    per_level = Counter()
    levels_by_id = {}
    for _, level, take in takes:
        per_level[level.pk] += take
        levels_by_id[level.pk] = level
    if allocations_record(
        takes=[(levels_by_id[pk], units) for pk, units in sorted(per_level.items())],
        reference=order.number,
        actor=actor,
    ):
        StockAllocation.objects.bulk_create(
            [StockAllocation(order_line=line, stock_level=level, quantity=take) for line, level, take in takes]
        )
        return result
    result, takes = _allocation_plan(needs, used_level_ids, stock_levels_lock(product_ids=product_ids))
    for line, level, take in takes:
        movement_record(
            stock_level=level,
            kind=StockMovement.Kind.ALLOCATION,
            allocated=take,
            reference=order.number,
            actor=actor,
        )
        StockAllocation.objects.create(order_line=line, stock_level=level, quantity=take)
    return result


def _allocation_plan(needs, used_level_ids, levels) -> tuple[AllocationResult, list[tuple[object, StockLevel, int]]]:
    """Which level gives how many units to which line (see stock_allocate_order), from levels read
    under their lock. Returns the result to report and the (line, level, units) takes."""
    result = AllocationResult()
    takes = []
    used_warehouse_ids = {level.warehouse_id for level in levels if level.pk in used_level_ids}
    by_product: dict[int, list[StockLevel]] = defaultdict(list)
    for level in sorted(levels, key=lambda lv: (lv.warehouse.priority, lv.warehouse.code)):
        if level.warehouse.is_active:
            by_product[level.product_id].append(level)
    available = {level.pk: level.available for level in levels}

    needed_per_product = Counter()
    for line, quantity in needs.values():
        needed_per_product[line.product_id] += quantity
    single_warehouse_id = None
    warehouses = {lv.warehouse for lvs in by_product.values() for lv in lvs}
    for warehouse in sorted(warehouses, key=lambda w: (w.pk not in used_warehouse_ids, w.priority, w.code)):
        if all(
            any(lv.warehouse_id == warehouse.pk and lv.available >= qty for lv in by_product[product_id])
            for product_id, qty in needed_per_product.items()
        ):
            single_warehouse_id = warehouse.pk
            break
    result.strategy = "single" if single_warehouse_id else "split"

    for line, quantity in needs.values():
        remaining = quantity
        candidates = sorted(
            by_product[line.product_id],
            key=lambda lv: (
                lv.warehouse_id != single_warehouse_id,
                lv.warehouse_id not in used_warehouse_ids,
                available[lv.pk] < remaining,
                lv.warehouse.priority,
                lv.warehouse.code,
            ),
        )
        for level in candidates:
            take = min(available[level.pk], remaining)
            if take <= 0:
                continue
            takes.append((line, level, take))
            available[level.pk] -= take
            code = level.warehouse.code
            result.warehouse_codes.add(code)
            units = result.units_by_warehouse.setdefault(code, {})
            units[line.sku] = units.get(line.sku, 0) + take
            used_warehouse_ids.add(level.warehouse_id)
            remaining -= take
            if remaining == 0:
                break
        if remaining:
            result.short_by_line[line.pk] = remaining
            result.short_by_sku[line.sku] = result.short_by_sku.get(line.sku, 0) + remaining
    return result, takes


@transaction.atomic
@transaction.atomic(savepoint=False)
def stock_allocate_again(
    *, allocations: list[tuple[StockAllocation, int]], reference: str, actor=None
) -> list[StockAllocation]:
    """Promise units once more from the levels earlier allocations took them from, for the same
    order lines: a parcel that came back and goes out again (its units are back on the shelf).
    `allocations` are (earlier allocation, units > 0) pairs; returns the new allocations in that
    order, each with an allocation movement.

    Locks: those stock levels, in primary-key order (inventory.locks.stock_levels_lock_by_id).
    Raises InsufficientStock naming the product when a level has no longer that many free units
    (another order took them); runs in the caller's transaction (no savepoint), so a refusal
    leaves nothing of the call behind once the caller rolls back.
    """
    levels = {
        level.pk: level
        for level in stock_levels_lock_by_id(
            stock_level_ids=[allocation.stock_level_id for allocation, _ in allocations]
        )
    }
    made = []
    for allocation, units in allocations:
        level = levels[allocation.stock_level_id]
        movement_record(
            stock_level=level,
            kind=StockMovement.Kind.ALLOCATION,
            allocated=units,
            reason="shipped again",
            reference=reference,
            actor=actor,
        )
        made.append(
            StockAllocation.objects.create(order_line_id=allocation.order_line_id, stock_level=level, quantity=units)
        )
    return made


def stock_release_order(*, order, actor=None, reason: str = "") -> int:
    """Give back every open allocation of the order (cancellation). Returns units released.

    Locks the stock levels of the order's products (pk order). The freed units wait for the
    lifecycle layer's back-order fill (lifecycle.cancellation queues it).
    """
    allocations = list(
        StockAllocation.objects.filter(order_line__order=order)
        .select_related("stock_level__product", "stock_level__warehouse")
        .order_by("stock_level_id", "pk")
    )
    if not allocations:
        return 0
    locked = {lv.pk: lv for lv in stock_levels_lock(product_ids=[a.stock_level.product_id for a in allocations])}
    released = 0
    for allocation in allocations:
        quantity = allocation.open_quantity
        if quantity <= 0:
            continue
        movement_record(
            stock_level=locked[allocation.stock_level_id],
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
    """Units leave the building: both `on_hand` and `allocated` go down.

    Locks the stock level, then re-reads the allocation under that lock (every change of an
    allocation happens under its level's lock). Raises ApplicationError when more than the open
    quantity is dispatched.
    """
    level = stock_level_lock(stock_level_id=allocation.stock_level_id)
    current = StockAllocation.objects.get(pk=allocation.pk)
    if quantity <= 0 or quantity > current.open_quantity:
        raise ApplicationError(f"Cannot dispatch {quantity} of an allocation with {current.open_quantity} open.")
    movement = movement_record(
        stock_level=level,
        kind=StockMovement.Kind.DISPATCH,
        on_hand=-quantity,
        allocated=-quantity,
        reference=reference,
        actor=actor,
    )
    StockAllocation.objects.filter(pk=allocation.pk).update(dispatched_quantity=F("dispatched_quantity") + quantity)
    allocation.dispatched_quantity = current.dispatched_quantity + quantity
    allocation.released_quantity = current.released_quantity
    return movement
