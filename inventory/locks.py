from collections.abc import Iterable

from .models import StockLevel


def stock_levels_lock(*, product_ids: Iterable[int]) -> list[StockLevel]:
    """Lock every stock level of these products, always in primary-key order (no deadlocks)."""
    return list(
        StockLevel.objects.filter(product_id__in=set(product_ids))
        .select_related("warehouse", "product")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
