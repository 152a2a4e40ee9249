"""An order is cancelled -> its stock goes back (to waiting back-orders first), card holds are voided,
money already captured is refunded (prepaid shops) and its voucher use is given back."""

from django.db import transaction

from inventory.services import stock_release_order
from invoicing.models import AmountOwedBack
from invoicing.services import (
    credit_note_issue_for_rest,
    invoice_creditable,
    order_refundable,
    payment_void_for_order,
    refund_the_way_it_was_paid,
)
from invoicing.services.owed_back import amount_owed_back_record
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
    Prepaid orders (captured at release): what was captured is refunded in the same decision (the
    card refund by a retried task after commit; store credit at once; a bank transfer is owed back).
    Queues: the "cancelled" e-mail; the gateway's release of card holds; when back-orders wait for the freed
    products, a task that gives them the units (after commit; beat sweeps what a lost task missed).
    Raises TransitionRefused / PermissionRefused.
    """
    order = fulfillment.order_cancel(order=order, actor=actor, reason=reason, expected_status=expected_status)
    # The payments before the stock levels: the one lock order (orders/locks.py).
    payment_void_for_order(order=order, actor=actor)
    _refund_what_was_captured(order, actor=actor, reason=reason)
    released = stock_release_order(order=order, actor=actor, reason=reason or "order cancelled")
    voucher_release_for_order(order=order)
    if released:
        product_ids = sorted({line.product_id for line in order.lines.all() if line.product_id})
        if backorders_waiting_exist(product_ids=product_ids):
            task_send_on_commit("lifecycle.tasks.stock_backorders_fill_task", product_ids)
    return order


def _refund_what_was_captured(order: Order, *, actor, reason: str) -> None:
    """Prepaid (captured at release, or invoiced at order and paid): an issued invoice is credited
    in full, and what was paid goes back in the same decision (invoicing's
    refund_the_way_it_was_paid: the card, store credit); money that came by bank transfer is owed
    back for staff to refund (they need the customer's IBAN)."""
    why = f"Order {order.number} cancelled" + (f": {reason}" if reason else "")
    owed_back = None
    invoice = order.invoices.exclude(number=None).first()
    if invoice is not None and invoice_creditable(invoice=invoice).amount_left > 0:
        credit_note = credit_note_issue_for_rest(invoice=invoice, reason=why)
        owed_back = AmountOwedBack.objects.filter(credit_note=credit_note).first()
    refundable = order_refundable(order=order).amount
    left = refund_the_way_it_was_paid(order=order, amount=refundable, reason=why, owed_back=owed_back)
    if left > 0 and owed_back is None:
        amount_owed_back_record(order=order, amount=left, reason=why)
