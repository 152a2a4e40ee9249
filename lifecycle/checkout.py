"""Checkout: store credit is spent and the card authorised as the order is placed, before it is
verified."""

from collections.abc import Callable

from django.db import transaction

from invoicing.locks import store_credit_account_lock
from invoicing.services import card_holds_released_on_failure, payment_authorize, store_credit_spend
from orders.models import Customer, Order
from orders.services.placement import order_place
from orders_site.core.exceptions import ApplicationError


@card_holds_released_on_failure
@transaction.atomic
def order_checkout(
    *,
    card_token: str = "",
    use_store_credit: bool = False,
    then: Callable[[Order], None] | None = None,
    customer_find: Callable[[], Customer] | None = None,
    **placement,
) -> Order:
    """Place an order (the keyword arguments of orders.services.placement.order_place) and, when it
    is paid by card, authorise the total on the card before the order is checked and its stock
    allocated. A decline raises PaymentDeclined and leaves nothing behind; any later failure rolls
    the order back and releases the card hold at the gateway.
    With `use_store_credit`, the customer's store credit pays first (as much of the total as it
    covers, invoicing.services.store_credit), and the card or the chosen method only the rest; when
    another order spent the credit meanwhile, this one is refused (ApplicationError, field
    "store_credit") rather than charged in full without the customer knowing.

    Locks and queues what order_place does. Raises InvalidOrder, PaymentDeclined, and SoldOut when
    `refuse_when_sold_out` is passed (the storefront does: a race loser is refused, not held).
    `then(order)` runs last in the same transaction (the storefront empties the cart there).
    `customer_find()`, instead of `customer`, finds or makes the order's customer first in the same
    transaction (the storefront's guest record, orders.services.customers.customer_for_checkout),
    so a refused checkout leaves none behind.
    """
    if customer_find is not None:
        placement["customer"] = customer_find()

    def pay(order: Order) -> None:
        rest = order.total
        if use_store_credit:
            rest -= _store_credit_spend(order, actor=placement.get("placed_by"))
        if order.payment_method == Order.PaymentMethod.CARD and rest > 0:
            payment_authorize(order=order, card_token=card_token, amount=rest)

    order = order_place(**placement, before_verify=pay)
    if then is not None:
        then(order)
    return order


def _store_credit_spend(order: Order, *, actor=None):
    """Spend as much of the total as the customer's credit covers (the account locked first, so
    two checkouts read it one after the other). Returns the amount spent."""
    account = store_credit_account_lock(customer_id=order.customer_id)
    if account is None or account.balance <= 0:
        raise ApplicationError(
            "Your store credit was used on another order meanwhile; nothing was ordered. "
            "Check the payment and try again.",
            extra={"field": "store_credit"},
        )
    amount = min(account.balance, order.total)
    store_credit_spend(order=order, amount=amount, actor=actor)
    return amount
