"""Every row lock inventory takes, named. Their place in the one lock order of the code base
(stated in orders/locks.py, since the orders are locked between them): a purchase order first of
all (step 1); stock levels after any order and its rows (step 4), always in primary-key order,
all the levels a service needs locked before it changes the first one."""

from collections.abc import Iterable

from .models import PurchaseOrder, StockLevel


def stock_levels_lock(*, product_ids: Iterable[int]) -> list[StockLevel]:
    """Lock every stock level of these products, in every warehouse, in primary-key order (step 4)."""
    return list(
        StockLevel.objects.filter(product_id__in=set(product_ids))
        .select_related("warehouse", "product")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def stock_levels_lock_by_id(*, stock_level_ids: Iterable[int]) -> list[StockLevel]:
    """Lock these stock levels, in primary-key order (step 4): those a dispatch takes units from."""
    return list(
        StockLevel.objects.filter(pk__in=set(stock_level_ids))
        .select_related("warehouse", "product")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def stock_level_lock(*, stock_level_id: int) -> StockLevel:
    """Lock one stock level (step 4). A service that changes several locks them all first, with
    `stock_levels_lock` or `stock_levels_lock_by_id`; this one then re-reads a level it holds."""
    return (
        StockLevel.objects.select_for_update(of=("self",)).select_related("product", "warehouse").get(pk=stock_level_id)
    )


def purchase_order_lock(*, purchase_order_id: int) -> PurchaseOrder:
    """Lock a purchase order row (step 1): before the back-orders and stock levels its receipt
    touches. Its warehouse is read, not locked."""
    return PurchaseOrder.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=purchase_order_id)
