from collections.abc import Iterable

from .models import PurchaseOrder, StockLevel


def stock_levels_lock(*, product_ids: Iterable[int]) -> list[StockLevel]:
    """Lock every stock level of these products, always in primary-key order (no deadlocks)."""
    return list(
        StockLevel.objects.filter(product_id__in=set(product_ids))
        .select_related("warehouse", "product")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def purchase_order_lock(*, purchase_order_id: int) -> PurchaseOrder:
    """Lock a purchase order row: taken before the back-orders and stock levels its receipt touches."""
    return PurchaseOrder.objects.select_for_update().select_related("warehouse").get(pk=purchase_order_id)
