"""The stock ledger: every change of a level writes its movement in the same transaction.

Lock order everywhere in the code base: order rows first, then stock levels in primary-key order.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import count_display
from webhooks.models import EventType
from webhooks.outbox import WebhookEvent, webhook_events_record

from ..locks import stock_level_lock, stock_levels_lock
from ..models import BinLocation, Product, StockLevel, StockMovement, Warehouse


class InsufficientStock(ApplicationError):
    pass


class LargeReceiptUnconfirmed(ApplicationError):
    """A receipt line above STOCK_RECEIPT_CONFIRM_ABOVE units, not confirmed: ask the person, then
    call again with `confirmed=True`. `extra["field"]` is "confirm_large"."""


def movement_quantity_check(*, sku: str, quantity: int, field: str = "quantity") -> None:
    """Refuse one movement of more than STOCK_MOVEMENT_MAX_QUANTITY units either way: a typo's
    ceiling, far below what the columns hold (a 10**12 used to overflow them in the database)."""
    limit = settings.STOCK_MOVEMENT_MAX_QUANTITY
    if abs(quantity) > limit:
        raise ApplicationError(
            f"{sku}: at most {limit:,} units in one movement, not {quantity:,}. Check the number, or split "
            "a larger delivery or count into several.",
            extra={"field": field},
        )


def movement_record(
    *,
    stock_level: StockLevel,
    kind: str,
    on_hand: int = 0,
    allocated: int = 0,
    reason: str = "",
    reference: str = "",
    actor=None,
) -> StockMovement:
    """Apply a delta with a conditional UPDATE and record it. Refuses to break an invariant.

    The caller holds the level's row lock; the WHERE clause is what keeps the invariant even if a
    caller forgot (PostgreSQL re-evaluates it against the committed row), and the CheckConstraints
    are the last line behind both.
    """
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
    available_before = stock_level.available
    stock_level.on_hand += on_hand
    stock_level.allocated += allocated
    low_stock_announce([(stock_level, available_before)])
    return StockMovement.objects.create(
        stock_level=stock_level,
        kind=kind,
        on_hand_delta=on_hand,
        allocated_delta=allocated,
        reason=reason[:200],
        reference=reference[:64],
        actor=actor,
    )


def low_stock_announce(changes: list[tuple[StockLevel, int]]) -> None:
    """A `stock.low` webhook for each level (changed in memory) whose available units have just
    fallen to or below its reorder point; `changes` pair each level with what it had available before."""
    crossed = [
        level for level, before in changes if level.reorder_point and before > level.reorder_point >= level.available
    ]
    if crossed:
        webhook_events_record(
            WebhookEvent(
                type=EventType.STOCK_LOW,
                data={
                    "stock_level": {
                        "id": level.pk,
                        "sku": level.product.sku,
                        "warehouse": level.warehouse.code,
                        "on_hand": level.on_hand,
                        "allocated": level.allocated,
                        "available": level.available,
                        "reorder_point": level.reorder_point,
                        "reorder_quantity": level.reorder_quantity,
                    }
                },
            )
            for level in crossed
        )


def _id_quantity_rows(count: int) -> str:
    return ", ".join(["(CAST(%s AS integer), CAST(%s AS integer))"] * count)


def allocations_record(*, takes: list[tuple[StockLevel, int]], reference: str = "", actor=None) -> bool:
    """movement_record for many allocations at once: every level's `allocated` goes up by its
    units in one guarded UPDATE, and the movements are written in one INSERT.

    `takes` are (level, units > 0) pairs, at most one per level; the caller holds the levels' row
    locks. The WHERE clause keeps `allocated <= on_hand` as movement_record's does (and the
    CheckConstraints are behind it). Returns False, having changed nothing, when a level no longer
    has its units (the caller then goes the per-line way with movement_record, which says which).
    """
    if not takes:
        return True
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    rows = _id_quantity_rows(len(takes))
    params = [value for level, units in takes for value in (level.pk, units)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v(id, qty) AS (VALUES {rows}) "
            f"UPDATE {table} SET allocated = {table}.allocated + v.qty FROM v "
            f"WHERE {table}.id = v.id AND {table}.on_hand - {table}.allocated >= v.qty "
            f"RETURNING {table}.id",
            params,
        )
        updated = {row[0] for row in cursor.fetchall()}
        if len(updated) != len(takes):
            # Some level fell short: undo the others, so nothing of this call is left behind.
            undo = [value for level, units in takes if level.pk in updated for value in (level.pk, units)]
            if undo:
                cursor.execute(
                    f"WITH v(id, qty) AS (VALUES {_id_quantity_rows(len(undo) // 2)}) "
                    f"UPDATE {table} SET allocated = {table}.allocated - v.qty FROM v WHERE {table}.id = v.id",
                    undo,
                )
            return False
    available_before = [(level, level.available) for level, _ in takes]
    for level, units in takes:
        level.allocated += units
    low_stock_announce(available_before)
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                stock_level=level,
                kind=StockMovement.Kind.ALLOCATION,
                on_hand_delta=0,
                allocated_delta=units,
                reference=reference[:64],
                actor=actor,
            )
            for level, units in takes
        ]
    )
    return True


def stock_level_get_or_create(*, product: Product, warehouse: Warehouse) -> StockLevel:
    """The product's stock level in the warehouse, created empty when there is none (no lock taken)."""
    level, _ = StockLevel.objects.get_or_create(product=product, warehouse=warehouse)
    return level


@dataclass(frozen=True)
class ReceiptLine:
    product: Product
    warehouse: Warehouse
    quantity: int
    bin_location: BinLocation | None = None


@dataclass
class BackorderOutcome:
    """What giving incoming units to waiting back-orders achieved (order numbers)."""

    completed: list[str] = field(default_factory=list)
    partly: list[str] = field(default_factory=list)


@dataclass
class ReceiptResult:
    movements: list[StockMovement] = field(default_factory=list)
    backorders_completed: list[str] = field(default_factory=list)
    backorders_partly_filled: list[str] = field(default_factory=list)

    def summary(self) -> str:
        units = sum(m.on_hand_delta for m in self.movements)
        text = f"{count_display(units, 'unit')} added"
        if self.backorders_completed:
            text += f"; back-orders now complete and verified: {', '.join(self.backorders_completed)}"
        if self.backorders_partly_filled:
            text += f"; back-orders still waiting, partly allocated: {', '.join(self.backorders_partly_filled)}"
        return text


def _validate_incoming(lines: list[ReceiptLine]) -> None:
    if not lines:
        raise ApplicationError("Nothing to receive.")
    for line in lines:
        if line.quantity <= 0:
            raise ApplicationError(
                f"The quantity of {line.product.sku} must be at least 1.", extra={"field": "quantity"}
            )
        movement_quantity_check(sku=line.product.sku, quantity=line.quantity)
        if not line.product.tracks_stock:
            raise ApplicationError(f"{line.product.sku} is a service; services have no stock.")
        if line.bin_location is not None and line.bin_location.warehouse_id != line.warehouse.pk:
            raise ApplicationError(
                f"Bin {line.bin_location.code} is not in {line.warehouse.code}.", extra={"field": "bin_location"}
            )


def receipt_check(lines: list[ReceiptLine], *, confirmed: bool) -> None:
    """What a receipt must pass before anything is written: `_validate_incoming`, then a line above
    STOCK_RECEIPT_CONFIRM_ABOVE units needs `confirmed` (one typo must not receive a billion)."""
    _validate_incoming(lines)
    threshold = settings.STOCK_RECEIPT_CONFIRM_ABOVE
    large = [line for line in lines if line.quantity > threshold]
    if large and not confirmed:
        listed = ", ".join(f"{line.quantity:,} x {line.product.sku}" for line in large)
        raise LargeReceiptUnconfirmed(
            f"That is a large receipt ({listed}; more than {threshold:,} units on one line). Check the "
            "numbers, then tick “Yes, receive this many” and receive again.",
            extra={"field": "confirm_large"},
        )


def stock_in(
    *,
    lines: list[ReceiptLine],
    kind: str,
    reference: str = "",
    reason: str = "",
    actor=None,
    then: Callable[[], BackorderOutcome] | None = None,
) -> ReceiptResult:
    """Units come in (receipt, return, positive count). `then` runs once they are on the shelf,
    still in this transaction: the lifecycle layer gives them to waiting back-orders there (it
    locked those orders before calling, as every service locks orders before stock levels)."""
    _validate_incoming(lines)
    levels = {}
    for line in lines:
        levels[line.product.pk, line.warehouse.pk] = stock_level_get_or_create(
            product=line.product, warehouse=line.warehouse
        ).pk
    locked = {level.pk: level for level in stock_levels_lock(product_ids={line.product.pk for line in lines})}
    result = ReceiptResult()
    for line in lines:
        level = locked[levels[line.product.pk, line.warehouse.pk]]
        if line.bin_location is not None and level.bin_location_id != line.bin_location.pk:
            StockLevel.objects.filter(pk=level.pk).update(bin_location=line.bin_location)
            level.bin_location = line.bin_location
        result.movements.append(
            movement_record(
                stock_level=level, kind=kind, on_hand=line.quantity, reason=reason, reference=reference, actor=actor
            )
        )
    if then is not None:
        outcome = then()
        result.backorders_completed = outcome.completed
        result.backorders_partly_filled = outcome.partly
    return result


@transaction.atomic
def stock_receive_many(
    *,
    lines: list[ReceiptLine],
    reference: str = "",
    actor=None,
    then: Callable[[], BackorderOutcome] | None = None,
    confirmed: bool = False,
) -> ReceiptResult:
    """Receive goods into one or more stock levels (creating levels as needed); `then` runs after
    (see `stock_in`). Entry points call lifecycle.receiving's version, which fills back-orders.
    `confirmed`: the person checked a line above STOCK_RECEIPT_CONFIRM_ABOVE units.

    Locks: the received products' stock levels (pk order).
    Raises: ApplicationError (quantity below 1 or above STOCK_MOVEMENT_MAX_QUANTITY, a service
    product, a bin of another warehouse), LargeReceiptUnconfirmed.
    """
    receipt_check(lines, confirmed=confirmed)
    return stock_in(lines=lines, kind=StockMovement.Kind.RECEIPT, reference=reference, actor=actor, then=then)


@transaction.atomic
def stock_receive(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: int,
    reference: str = "",
    actor=None,
    bin_location: BinLocation | None = None,
    then: Callable[[], BackorderOutcome] | None = None,
    confirmed: bool = False,
) -> StockMovement:
    """Add received units to `on_hand` (see `stock_receive_many`, which this calls for one line).

    Locks the product's stock levels. Raises ApplicationError, LargeReceiptUnconfirmed.
    """
    result = stock_receive_many(
        lines=[ReceiptLine(product=product, warehouse=warehouse, quantity=quantity, bin_location=bin_location)],
        reference=reference,
        actor=actor,
        then=then,
        confirmed=confirmed,
    )
    return result.movements[0]


@transaction.atomic
def stock_return(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: int,
    reason: str = "",
    reference: str = "",
    actor=None,
    then: Callable[[], BackorderOutcome] | None = None,
) -> StockMovement:
    """Returned units go back on the shelf (a return authorisation that restocks).

    `then` runs after, as with a receipt. Locks the product's stock levels. Raises ApplicationError.
    """
    result = stock_in(
        lines=[ReceiptLine(product=product, warehouse=warehouse, quantity=quantity)],
        kind=StockMovement.Kind.RETURN,
        reason=reason,
        reference=reference,
        actor=actor,
        then=then,
    )
    return result.movements[0]


@transaction.atomic
def stock_adjust(
    *,
    stock_level: StockLevel,
    delta: int,
    reason: str,
    actor=None,
    then: Callable[[], BackorderOutcome] | None = None,
) -> StockMovement:
    """Correct `on_hand` after a count. A reason is required; cannot go below what is allocated.

    Found units (a positive delta) come in as with a receipt, and `then` runs after them.
    Locks the stock level.
    Raises: ApplicationError (no reason, zero delta, more than STOCK_MOVEMENT_MAX_QUANTITY either
    way), InsufficientStock (below what is allocated).
    """
    if not reason.strip():
        raise ApplicationError("Say why the stock is adjusted.", extra={"field": "reason"})
    if delta == 0:
        raise ApplicationError("An adjustment must change the quantity.", extra={"field": "delta"})
    movement_quantity_check(sku=stock_level.product.sku, quantity=delta, field="delta")
    if delta > 0:
        level = StockLevel.objects.select_related("product", "warehouse").get(pk=stock_level.pk)
        result = stock_in(
            lines=[ReceiptLine(product=level.product, warehouse=level.warehouse, quantity=delta)],
            kind=StockMovement.Kind.ADJUSTMENT,
            reason=reason.strip(),
            actor=actor,
            then=then,
        )
        return result.movements[0]
    level = stock_level_lock(stock_level_id=stock_level.pk)
    if level.on_hand + delta < level.allocated:
        raise InsufficientStock(
            f"{level.product.sku} in {level.warehouse.code} has {level.on_hand} on hand of which {level.allocated} "
            f"are promised to orders; it cannot go down by {-delta}."
        )
    return movement_record(
        stock_level=level, kind=StockMovement.Kind.ADJUSTMENT, on_hand=delta, reason=reason.strip(), actor=actor
    )


@transaction.atomic
def stock_write_off(
    *, stock_level: StockLevel, quantity: int, reason: str, reference: str = "", actor=None
) -> StockMovement:
    """Units that can no longer be sold (damaged, expired, lost) leave `on_hand`.

    Locks the stock level. Raises ApplicationError (no reason, quantity below 1 or above
    STOCK_MOVEMENT_MAX_QUANTITY) and InsufficientStock (only unpromised units can be written off).
    """
    if not reason.strip():
        raise ApplicationError("Say why the stock is written off.", extra={"field": "reason"})
    if quantity <= 0:
        raise ApplicationError("Write off at least 1 unit.", extra={"field": "quantity"})
    movement_quantity_check(sku=stock_level.product.sku, quantity=quantity)
    level = stock_level_lock(stock_level_id=stock_level.pk)
    if quantity > level.available:
        raise InsufficientStock(
            f"Only {count_display(level.available, 'unit')} of {level.product.sku} in {level.warehouse.code} "
            f"{'is' if level.available == 1 else 'are'} not promised to orders; {quantity} cannot be written off."
        )
    return movement_record(
        stock_level=level,
        kind=StockMovement.Kind.WRITE_OFF,
        on_hand=-quantity,
        reason=reason.strip(),
        reference=reference,
        actor=actor,
    )


@transaction.atomic
def stock_adjust_many(
    *,
    adjustments: list[tuple[StockLevel, int]],
    reason: str,
    actor=None,
    then: Callable[[], BackorderOutcome] | None = None,
) -> list[StockMovement]:
    """Apply one stock count: every adjustment, or none (a refusal on one line rolls back the rest).

    Locks all the stock levels in primary-key order before changing anything; `then` runs once,
    after every line. Raises what `stock_adjust` raises.
    """
    stock_levels_lock(product_ids={level.product_id for level, _ in adjustments})
    movements = [
        stock_adjust(stock_level=level, delta=delta, reason=reason, actor=actor) for level, delta in adjustments
    ]
    if then is not None:
        then()
    return movements


@transaction.atomic
def stock_write_off_many(*, write_offs: list[tuple[StockLevel, int]], reason: str, actor=None) -> list[StockMovement]:
    """Write off several stock levels at once, all or nothing. Locks the stock levels in primary-key
    order first. Raises what `stock_write_off` raises."""
    stock_levels_lock(product_ids={level.product_id for level, _ in write_offs})
    return [
        stock_write_off(stock_level=level, quantity=quantity, reason=reason, actor=actor)
        for level, quantity in write_offs
    ]
