"""An order is cancelled -> its stock goes back (to waiting back-orders first), card holds are voided
and its voucher use is given back."""

from django.db import transaction

from inventory.services import stock_release_order
from invoicing.services import payment_void_for_order
from orders.models import Order
from orders.selectors import backorders_waiting_exist
from orders.services import fulfillment
from orders.services.vouchers import voucher_release_for_order
from orders_site.core.tasks import task_send_on_commit


@transaction.atomic
def order_cancel(*, order: Order, actor=None, reason: str = "", expected_status: str | None = None) -> Order:
    """Cancel before dispatch (orders' order_cancel: the order, its unsent parcels, the e-mail),
    release its stock, void its card authorisations and give its voucher use back (the code can be
    used again; a second cancel gives nothing back twice).

    Locks, in the one lock order (orders/locks.py): the order, its shipments and its payments
    (transition core), then the stock levels of its products (inventory.locks.stock_levels_lock),
    then its voucher redemption and the voucher's use counter.
    Queues: the "cancelled" e-mail; the gateway's release of card holds; when back-orders wait for the freed
    products, a task that gives them the units (after commit; beat sweeps what a lost task missed).
    Raises TransitionRefused / PermissionRefused.
    """
    order = fulfillment.order_cancel(order=order, actor=actor, reason=reason, expected_status=expected_status)
    # The payments before the stock levels: the one lock order (orders/locks.py).
    payment_void_for_order(order=order, actor=actor)
    released = stock_release_order(order=order, actor=actor, reason=reason or "order cancelled")
    voucher_release_for_order(order=order)
    if released:
        product_ids = sorted({line.product_id for line in order.lines.all() if line.product_id})
        if backorders_waiting_exist(product_ids=product_ids):
            task_send_on_commit("lifecycle.tasks.stock_backorders_fill_task", product_ids)
    return order
