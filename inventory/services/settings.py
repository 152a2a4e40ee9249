"""A stock level's settings (reorder point and quantity, safety stock, bin): never its quantities."""

from django.conf import settings
from django.db import transaction

from orders_site.core.exceptions import ApplicationError

from ..models import BinLocation, StockLevel


@transaction.atomic
def stock_level_settings_update(
    *,
    stock_level: StockLevel,
    reorder_point: int,
    reorder_quantity: int,
    safety_stock: int,
    bin_location: BinLocation | None,
    actor=None,
) -> StockLevel:
    """Change how a stock level is replenished and where it is shelved.

    Writes only these four columns with one UPDATE, so quantities promised or received meanwhile
    (`on_hand`, `allocated`, which only the ledger services change) are never written back stale.
    Takes no lock and queues nothing. Raises ApplicationError (a number below 0 or above
    STOCK_MOVEMENT_MAX_QUANTITY, a bin of another warehouse) before writing anything. Returns the
    level as it is now.
    """
    level = StockLevel.objects.select_related("product", "warehouse").get(pk=stock_level.pk)
    for name, value in [
        ("reorder_point", reorder_point),
        ("reorder_quantity", reorder_quantity),
        ("safety_stock", safety_stock),
    ]:
        if value is None or value < 0:
            raise ApplicationError(f"The {name.replace('_', ' ')} cannot be below 0.", extra={"field": name})
        if value > settings.STOCK_MOVEMENT_MAX_QUANTITY:
            raise ApplicationError(
                f"The {name.replace('_', ' ')} cannot be above {settings.STOCK_MOVEMENT_MAX_QUANTITY:,}.",
                extra={"field": name},
            )
    if bin_location is not None and bin_location.warehouse_id != level.warehouse_id:
        raise ApplicationError(
            f"Bin {bin_location.code} is not in {level.warehouse.code}, where this stock of "
            f"{level.product.sku} is kept.",
            extra={"field": "bin_location"},
        )
    StockLevel.objects.filter(pk=level.pk).update(
        reorder_point=reorder_point,
        reorder_quantity=reorder_quantity,
        safety_stock=safety_stock,
        bin_location=bin_location,
    )
    level.refresh_from_db()
    return level
