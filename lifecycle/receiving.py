"""Stock comes in -> back-orders waiting for it get it, oldest first -> complete ones are verified.

Each service here runs inventory's service of the same name and, in the same transaction, gives
the incoming units to the back-ordered orders waiting for those products. Entry points (admin,
tasks) call these; inventory's own versions know nothing of orders.

Locks, in the order every service takes them: (a purchase order,) the waiting back-ordered orders
(pk order), then the stock levels of every product they or the receipt touch (pk order).
"""

from collections.abc import Iterable

from django.db import transaction

from inventory import services as stock
from inventory.locks import purchase_order_lock, stock_levels_lock
from inventory.models import BinLocation, Product, PurchaseOrder, StockLevel, StockMovement, Warehouse
from inventory.services import BackorderOutcome, ReceiptLine, ReceiptResult
from orders.events import event_stock_backorder_allocated
from orders.locks import backorders_lock
from orders.models import EmailNotification, Order
from orders.services.notifications import notification_queue
from orders.services.partial_fulfilment import order_backorder_rest_fill
from orders.services.transitions import transition_run


def backorders_fill(*, orders: list[Order], actor=None) -> BackorderOutcome:
    """Allocate to locked back-orders, oldest placement first, and verify each that is complete.

    An order that shipped its available part ahead (Order.backorder_rest) is not verified again:
    its rest, once complete, gets its own parcel (orders.services.partial_fulfilment) and the
    customer the same "everything is in stock" e-mail.

    The caller holds the orders' locks and their products' stock level locks. An order that is
    complete moves backordered -> verified (a system transition; `actor` only received the goods),
    its customer is e-mailed that it will ship; an order that got some units but is still short
    gets a note for staff.
    """
    outcome = BackorderOutcome()
    for order in sorted(orders, key=lambda o: (o.placed_at or o.created_at, o.pk)):
        if order.status != Order.Status.BACKORDERED:
            # It shipped what was in stock ahead; the rest gets its own parcel once it is complete.
            allocation = order_backorder_rest_fill(order=order, actor=actor)
            if allocation.complete:
                notification_queue(
                    order=order, kind=EmailNotification.Kind.BACKORDER_READY, subject_key=f"rest:{order.pk}"
                )
                outcome.completed.append(order.number)
            elif allocation.units_by_warehouse:
                event_stock_backorder_allocated(
                    order=order,
                    system="back-order fill",
                    note=f"Incoming stock allocated to the back-ordered rest, still waiting. {allocation.summary()}",
                    data={"allocation": allocation.as_data()},
                )
                outcome.partly.append(order.number)
            continue
        allocation = stock.stock_allocate_order(order=order, actor=actor)
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
            outcome.completed.append(order.number)
        elif allocation.units_by_warehouse:
            event_stock_backorder_allocated(
                order=order,
                system="back-order fill",
                note=f"Incoming stock allocated, still waiting. {allocation.summary()}",
                data={"allocation": allocation.as_data()},
            )
            outcome.partly.append(order.number)
    return outcome


class _Filler:
    """Locks the back-orders waiting for these products and every stock level involved, now; gives
    them the incoming units when called (as the `then` of an inventory service)."""

    def __init__(self, *, product_ids: Iterable[int], actor=None):
        product_ids = set(product_ids)
        self.orders = backorders_lock(product_ids=product_ids)
        self.actor = actor
        stock_levels_lock(
            product_ids=product_ids
            | {line.product_id for order in self.orders for line in order.lines.all() if line.product_id}
        )

    def __call__(self) -> BackorderOutcome:
        return backorders_fill(orders=self.orders, actor=self.actor) if self.orders else BackorderOutcome()


@transaction.atomic
def stock_backorders_fill(*, product_ids: Iterable[int], actor=None) -> BackorderOutcome:
    """Give available stock of these products to the back-orders waiting for it, oldest first.

    For stock that became free without a receipt (a cancelled order, say) and for staff who want
    to re-run it. Queues: "back-order ready" e-mails. Raises nothing.
    """
    return _Filler(product_ids=product_ids, actor=actor)()


@transaction.atomic
def stock_receive_many(
    *, lines: list[ReceiptLine], reference: str = "", actor=None, confirmed: bool = False
) -> ReceiptResult:
    """Receive goods (inventory.services.stock_receive_many), then fill back-orders with them.
    Queues "back-order ready" e-mails. Raises what inventory's service raises."""
    fill = _Filler(product_ids={line.product.pk for line in lines}, actor=actor)
    return stock.stock_receive_many(lines=lines, reference=reference, actor=actor, then=fill, confirmed=confirmed)


@transaction.atomic
def stock_receive(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: int,
    reference: str = "",
    actor=None,
    bin_location: BinLocation | None = None,
    confirmed: bool = False,
) -> ReceiptResult:
    """One received line (see `stock_receive_many`)."""
    return stock_receive_many(
        lines=[ReceiptLine(product=product, warehouse=warehouse, quantity=quantity, bin_location=bin_location)],
        reference=reference,
        actor=actor,
        confirmed=confirmed,
    )


@transaction.atomic
def stock_return(
    *, product: Product, warehouse: Warehouse, quantity: int, reason: str = "", reference: str = "", actor=None
) -> StockMovement:
    """Returned units back on the shelf (inventory.services.stock_return), then to back-orders."""
    fill = _Filler(product_ids={product.pk}, actor=actor)
    return stock.stock_return(
        product=product,
        warehouse=warehouse,
        quantity=quantity,
        reason=reason,
        reference=reference,
        actor=actor,
        then=fill,
    )


@transaction.atomic
def stock_adjust(*, stock_level: StockLevel, delta: int, reason: str, actor=None) -> StockMovement:
    """A count (inventory.services.stock_adjust); units found go to waiting back-orders first."""
    if delta > 0:
        fill = _Filler(product_ids={stock_level.product_id}, actor=actor)
        return stock.stock_adjust(stock_level=stock_level, delta=delta, reason=reason, actor=actor, then=fill)
    return stock.stock_adjust(stock_level=stock_level, delta=delta, reason=reason, actor=actor)


@transaction.atomic
def stock_adjust_many(*, adjustments: list[tuple[StockLevel, int]], reason: str, actor=None) -> list[StockMovement]:
    """A count over several levels, all or nothing (inventory.services.stock_adjust_many); units
    found go to waiting back-orders first."""
    gaining = {level.product_id for level, delta in adjustments if delta > 0}
    fill = _Filler(product_ids=gaining, actor=actor) if gaining else None
    return stock.stock_adjust_many(adjustments=adjustments, reason=reason, actor=actor, then=fill)


@transaction.atomic
def purchase_order_receive(
    *,
    purchase_order: PurchaseOrder,
    quantities: dict[int, int],
    actor=None,
    note: str = "",
    bin_location: BinLocation | None = None,
    expected_status: str | None = None,
    confirmed: bool = False,
) -> ReceiptResult:
    """Goods delivered against a purchase order (inventory.services.purchase_order_receive), then
    to waiting back-orders; what they got is written on the purchase order's event."""
    purchase_order_lock(purchase_order_id=purchase_order.pk)  # before the orders, as it always was
    product_ids = set(purchase_order.lines.values_list("product_id", flat=True))
    fill = _Filler(product_ids=product_ids, actor=actor)
    return stock.purchase_order_receive(
        purchase_order=purchase_order,
        quantities=quantities,
        actor=actor,
        note=note,
        bin_location=bin_location,
        expected_status=expected_status,
        then=fill,
        confirmed=confirmed,
    )
