"""Back-orders: stock that comes in goes to the orders waiting for it, oldest first."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from ..locks import stock_levels_lock


def _back_ordered():
    from orders.models import Order

    return Order.objects.filter(status=Order.Status.BACKORDERED)


def backordered_product_ids() -> list[int]:
    """Products that back-ordered orders are waiting for."""
    return sorted(
        set(_back_ordered().filter(lines__product_id__isnull=False).values_list("lines__product_id", flat=True))
    )


def backorders_waiting_exist(*, product_ids: Iterable[int]) -> bool:
    return _back_ordered().filter(lines__product_id__in=set(product_ids)).exists()


def backorders_lock(*, product_ids: Iterable[int]) -> list:
    """Lock the back-ordered orders that have a line for any of these products, in primary-key order
    (orders are always locked before stock levels). Returns them with their lines prefetched."""
    from orders.models import Order

    pks = set(_back_ordered().filter(lines__product_id__in=set(product_ids)).values_list("pk", flat=True))
    if not pks:
        return []
    return list(
        Order.objects.filter(pk__in=pks, status=Order.Status.BACKORDERED)
        .order_by("pk")
        .select_for_update(of=("self",))
        .prefetch_related("lines")
    )


@dataclass
class BackorderFill:
    completed: list[str] = field(default_factory=list)
    partly: list[str] = field(default_factory=list)


def backorders_fill(*, orders: list, actor=None) -> BackorderFill:
    """Allocate to locked back-orders, oldest placement first, and verify each that is complete.

    The caller holds the orders' locks and their products' stock level locks. An order that is
    complete moves backordered -> verified (a system transition; `actor` only received the goods),
    its customer is e-mailed that it will ship; an order that got some units but is still short
    gets a note for staff.
    """
    from orders.events import event_note
    from orders.models import EmailNotification, Order
    from orders.services.notifications import notification_queue
    from orders.services.transitions import transition_run

    from .allocation import stock_allocate_order

    result = BackorderFill()
    for order in sorted(orders, key=lambda o: (o.placed_at or o.created_at, o.pk)):
        allocation = stock_allocate_order(order=order, actor=actor)
        if allocation.complete:
            order = transition_run(
                model=Order,
                pk=order.pk,
                transition="verify",
                system="back-order fill",
                check_permission=False,
                note=f"Back-order complete. {allocation.summary()}",
                data={"allocation": allocation.as_data(), "received_by": actor.get_username() if actor else ""},
            )
            notification_queue(order=order, kind=EmailNotification.Kind.BACKORDER_READY)
            result.completed.append(order.number)
        elif allocation.units_by_warehouse:
            event_note(
                order=order,
                kind="stock.backorder_allocated",
                system="back-order fill",
                note=f"Incoming stock allocated, still waiting. {allocation.summary()}",
                data={"allocation": allocation.as_data()},
            )
            result.partly.append(order.number)
    return result


@transaction.atomic
def stock_backorders_fill(*, product_ids: Iterable[int], actor=None) -> BackorderFill:
    """Give available stock of these products to the back-orders waiting for it, oldest first.

    For stock that became free without a receipt (a cancelled order, say) and for staff who want
    to re-run it. Locks: the waiting back-orders, then their products' stock levels (pk order).
    Queues: "back-order ready" e-mails. Raises nothing.
    """
    orders = backorders_lock(product_ids=product_ids)
    if not orders:
        return BackorderFill()
    stock_levels_lock(
        product_ids={line.product_id for order in orders for line in order.lines.all() if line.product_id}
    )
    return backorders_fill(orders=orders, actor=actor)
