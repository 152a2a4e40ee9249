"""Every row lock orders takes, named. The lock order in the whole code base:

1. order rows (one order: `order_lock`; several: in primary-key order),
2. the order's shipments, invoices, payments, outbox rows (each in primary-key order),
3. stock levels, in primary-key order (inventory.locks.stock_levels_lock).

Taking them in this order everywhere is what keeps two services from deadlocking.
"""

from collections.abc import Iterable

from .models import Order


def order_lock(*, order_id: int) -> Order:
    """Lock one order row (step 1)."""
    return Order.objects.select_for_update(of=("self",)).get(pk=order_id)


def backorders_lock(*, product_ids: Iterable[int]) -> list[Order]:
    """Lock the back-ordered orders that have a line for any of these products, in primary-key order
    (step 1). Returns them with their lines prefetched."""
    pks = set(
        Order.objects.filter(status=Order.Status.BACKORDERED, lines__product_id__in=set(product_ids)).values_list(
            "pk", flat=True
        )
    )
    if not pks:
        return []
    return list(
        Order.objects.filter(pk__in=pks, status=Order.Status.BACKORDERED)
        .order_by("pk")
        .select_for_update(of=("self",))
        .prefetch_related("lines")
    )
