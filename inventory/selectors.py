"""Reads that are more than one obvious query: the ledger audit, replenishment, back-order dates."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Product, PurchaseOrder, PurchaseOrderLine, StockAllocation, StockLevel, StockMovement

DEMAND_WINDOW_DAYS = 30


# --- audit ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditDifference:
    stock_level_id: int
    sku: str
    warehouse_code: str
    on_hand: int
    ledger_on_hand: int
    allocated: int
    ledger_allocated: int
    open_allocations: int

    def describe(self) -> str:
        problems = []
        if self.on_hand != self.ledger_on_hand:
            problems.append(f"on hand {self.on_hand} in the level, {self.ledger_on_hand} in the ledger")
        if self.allocated != self.ledger_allocated:
            problems.append(f"allocated {self.allocated} in the level, {self.ledger_allocated} in the ledger")
        if self.allocated != self.open_allocations:
            problems.append(f"allocated {self.allocated} in the level, {self.open_allocations} open order allocations")
        return f"{self.sku} @ {self.warehouse_code} (stock level {self.stock_level_id}): " + "; ".join(problems)


def _sum_subquery(queryset, expression):
    return Coalesce(
        Subquery(
            queryset.order_by().values("stock_level").annotate(total=Sum(expression)).values("total"),
            output_field=IntegerField(),
        ),
        0,
    )


def stock_audit_differences() -> list[AuditDifference]:
    """Rebuild every level from its movements (and from the open order allocations) and return the
    levels that do not match. One query, however many levels and movements there are."""
    movements = StockMovement.objects.filter(stock_level=OuterRef("pk"))
    allocations = StockAllocation.objects.filter(stock_level=OuterRef("pk"))
    levels = (
        StockLevel.objects.annotate(
            ledger_on_hand=_sum_subquery(movements, "on_hand_delta"),
            ledger_allocated=_sum_subquery(movements, "allocated_delta"),
            open_allocations=_sum_subquery(
                allocations, F("quantity") - F("released_quantity") - F("dispatched_quantity")
            ),
        )
        .filter(
            ~Q(on_hand=F("ledger_on_hand")) | ~Q(allocated=F("ledger_allocated")) | ~Q(allocated=F("open_allocations"))
        )
        .select_related("product", "warehouse")
        .order_by("pk")
    )
    return [
        AuditDifference(
            stock_level_id=level.pk,
            sku=level.product.sku,
            warehouse_code=level.warehouse.code,
            on_hand=level.on_hand,
            ledger_on_hand=level.ledger_on_hand,
            allocated=level.allocated,
            ledger_allocated=level.ledger_allocated,
            open_allocations=level.open_allocations,
        )
        for level in levels
    ]


# --- back-orders and incoming stock --------------------------------------------------------------


def on_order_by_product_warehouse(*, product_ids=None) -> dict[tuple[int, int], int]:
    """Units ordered from suppliers and not yet received, per (product, warehouse)."""
    lines = PurchaseOrderLine.objects.filter(purchase_order__status__in=PurchaseOrder.OPEN)
    if product_ids is not None:
        lines = lines.filter(product_id__in=product_ids)
    rows = (
        lines.order_by()
        .values("product_id", "purchase_order__warehouse_id")
        .annotate(units=Sum(F("quantity_ordered") - F("quantity_received")))
    )
    return {(row["product_id"], row["purchase_order__warehouse_id"]): row["units"] or 0 for row in rows}


def order_stock_needs(order, lines=None) -> tuple[dict[int, tuple[object, int]], set[int]]:
    """Units still to allocate per order line, and the stock levels the order already ships from.

    `lines`: the order's lines already in memory with their products and allocations (placement
    has just created them), instead of reading them."""
    needs = {}
    used_level_ids = set()
    if lines is None:
        lines = order.lines.select_related("product").prefetch_related("allocations")
    for line in lines:
        if line.product is None or not line.product.tracks_stock:
            continue
        open_allocated = 0
        for allocation in line.allocations.all():
            open_allocated += allocation.quantity - allocation.released_quantity
            if allocation.open_quantity > 0:
                used_level_ids.add(allocation.stock_level_id)
        if line.quantity > open_allocated:
            needs[line.pk] = (line, line.quantity - open_allocated)
    return needs, used_level_ids


def backorder_expected_date(*, order, today: date | None = None) -> date | None:
    """When the units the order still waits for should be in: for each short product, the earliest
    expected delivery of an open purchase order that has it outstanding, else today plus the
    product's restock lead time; the order waits for the last of them. None when nothing is short."""
    today = today or timezone.localdate()
    needs, _ = order_stock_needs(order)
    if not needs:
        return None
    products = {line.product_id: line.product for line, _ in needs.values()}
    incoming = {}
    for line in (
        PurchaseOrderLine.objects.filter(
            product_id__in=products,
            purchase_order__status__in=PurchaseOrder.OPEN,
            purchase_order__expected_on__gte=today,
            quantity_received__lt=F("quantity_ordered"),
        )
        .select_related("purchase_order")
        .order_by("purchase_order__expected_on")
    ):
        incoming.setdefault(line.product_id, line.purchase_order.expected_on)
    return max(
        incoming.get(product_id) or today + timedelta(days=product.restock_lead_days)
        for product_id, product in products.items()
    )


# --- replenishment -------------------------------------------------------------------------------


@dataclass
class Suggestion:
    """What to reorder for one stock level, and the figures the suggestion rests on."""

    level: StockLevel
    demand: int  # net units allocated over the demand window
    daily_demand: Decimal
    lead_days: int
    lead_demand: int  # expected demand while waiting for a delivery
    suggested_reorder_point: int  # lead demand + safety stock
    reorder_point: int  # the higher of the level's own and the suggested one
    on_order: int
    backordered: int
    position: int  # available + on order - back-ordered
    is_low: bool
    suggested_quantity: int


def replenishment_suggestions(
    *,
    backordered_units: dict[int, int],
    low_only: bool = True,
    stock_level_ids=None,
    warehouse_id: int | None = None,
    now=None,
) -> list[Suggestion]:
    """Reorder suggestions from the last 30 days' demand x restock lead time + safety stock.

    For each stock level of an active physical product in an active warehouse:
    daily demand = units allocated (net of releases) over 30 days / 30; lead demand = daily demand
    x the product's restock lead days, rounded up; reorder point = the higher of the level's own
    and lead demand + safety stock; position = available + on order - back-ordered units (those
    count against the product's first warehouse by priority). The level is low when the position
    is at or below the reorder point (and that point is above 0, or units are back-ordered); the
    suggestion is the larger of the reorder quantity and what lifts the position above the reorder
    point by one lead time of demand (at least 1). `backordered_units` (product id -> units the
    back-orders still wait for) comes from orders.selectors.backordered_units_by_product: stock
    knows nothing of order states. Four queries, however many levels there are.
    """
    now = now or timezone.now()
    levels = StockLevel.objects.filter(
        product__kind=Product.Kind.PHYSICAL, product__is_active=True, warehouse__is_active=True
    ).select_related("product", "warehouse", "bin_location")
    if stock_level_ids is not None:
        levels = levels.filter(pk__in=stock_level_ids)
    if warehouse_id is not None:
        levels = levels.filter(warehouse_id=warehouse_id)
    level_ids = levels.values("pk")
    levels = list(levels.order_by("product__sku", "warehouse__priority", "warehouse__code"))
    since = now - timedelta(days=DEMAND_WINDOW_DAYS)
    demand = dict(
        StockMovement.objects.filter(
            created_at__gte=since,
            kind__in=[StockMovement.Kind.ALLOCATION, StockMovement.Kind.RELEASE],
            stock_level__in=level_ids,
        )
        .order_by()
        .values("stock_level")
        .annotate(units=Sum("allocated_delta"))
        .values_list("stock_level", "units")
    )
    on_order = on_order_by_product_warehouse()
    backordered = backordered_units
    first_level_of_product = {}
    for level in sorted(levels, key=lambda lv: (lv.warehouse.priority, lv.warehouse.code)):
        first_level_of_product.setdefault(level.product_id, level.pk)

    suggestions = []
    for level in levels:
        units = max(demand.get(level.pk, 0), 0)
        daily = Decimal(units) / DEMAND_WINDOW_DAYS
        lead_days = level.product.restock_lead_days
        lead_demand = math.ceil(daily * lead_days)
        suggested_point = lead_demand + level.safety_stock
        point = max(level.reorder_point, suggested_point)
        incoming = on_order.get((level.product_id, level.warehouse_id), 0)
        waiting = backordered.get(level.product_id, 0) if first_level_of_product[level.product_id] == level.pk else 0
        position = level.available + incoming - waiting
        is_low = position <= point and (point > 0 or position < 0)
        quantity = max(level.reorder_quantity, point - position + max(lead_demand, 1)) if is_low else 0
        if low_only and not is_low:
            continue
        suggestions.append(
            Suggestion(
                level=level,
                demand=units,
                daily_demand=daily.quantize(Decimal("0.01")),
                lead_days=lead_days,
                lead_demand=lead_demand,
                suggested_reorder_point=suggested_point,
                reorder_point=point,
                on_order=incoming,
                backordered=waiting,
                position=position,
                is_low=is_low,
                suggested_quantity=quantity,
            )
        )
    return suggestions


def product_available_quantity():
    """Units of a product free to promise across active warehouses, as a subquery expression to
    annotate a Product queryset with (one value per product, no row multiplication)."""
    per_product = (
        StockLevel.objects.filter(product=OuterRef("pk"), warehouse__is_active=True)
        .order_by()
        .values("product")
        .annotate(total=Sum(F("on_hand") - F("allocated")))
        .values("total")[:1]
    )
    return Coalesce(Subquery(per_product, output_field=IntegerField()), 0)


# --- availability for the order desk --------------------------------------------------------------


@dataclass(frozen=True)
class WarehouseAvailability:
    warehouse_code: str
    warehouse_name: str
    available: int


def stock_available_by_warehouse(*, product_ids: Iterable[int]) -> dict[int, list[WarehouseAvailability]]:
    """What each product has available (on hand less allocated) in each active warehouse, in the
    order warehouses ship from. Products without a stock level are absent. One query."""
    ids = set(product_ids)
    if not ids:
        return {}
    availability: dict[int, list[WarehouseAvailability]] = {}
    levels = (
        StockLevel.objects.filter(product_id__in=ids, warehouse__is_active=True)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse__code", "pk")
    )
    for level in levels:
        availability.setdefault(level.product_id, []).append(
            WarehouseAvailability(
                warehouse_code=level.warehouse.code, warehouse_name=level.warehouse.name, available=level.available
            )
        )
    return availability


# --- the stock list's state column and its filter --------------------------------------------------


def stock_levels_low(queryset):
    """Levels at or below their reorder point (those with one): what is available, on hand less
    allocated, no more than the reorder point."""
    return queryset.filter(reorder_point__gt=0, on_hand__lte=F("allocated") + F("reorder_point"))


def stock_levels_out(queryset):
    """Levels with nothing available (every unit on hand promised to orders, or none)."""
    return queryset.filter(on_hand__lte=F("allocated"))


def stock_level_state(level: StockLevel) -> tuple[str, str]:
    """(code, label) of a level as the stock list shows it, by the rules of the two filters above."""
    if level.available <= 0:
        return "out", "Out of stock"
    if level.reorder_point > 0 and level.available <= level.reorder_point:
        return "low", "Low"
    return "in_stock", "In stock"
