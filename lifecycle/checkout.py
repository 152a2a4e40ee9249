"""Checkout: the card is authorised as the order is placed, before it is verified."""

from collections.abc import Callable

from django.db import transaction

from invoicing.services import card_holds_released_on_failure, payment_authorize
from orders.models import Order
from orders.services.placement import order_place


@card_holds_released_on_failure
@transaction.atomic
def order_checkout(*, card_token: str = "", then: Callable[[Order], None] | None = None, **placement) -> Order:
    """Place an order (the keyword arguments of orders.services.placement.order_place) and, when it
    is paid by card, authorise the total on the card before the order is checked and its stock
    allocated. A decline raises PaymentDeclined and leaves nothing behind; any later failure rolls
    the order back and releases the card hold at the gateway.

    Locks and queues what order_place does. Raises InvalidOrder, PaymentDeclined, and SoldOut when
    `refuse_when_sold_out` is passed (the storefront does: a race loser is refused, not held).
    `then(order)` runs last in the same transaction (the storefront empties the cart there).
    """

    def authorise_card(order: Order) -> None:
        if order.payment_method == Order.PaymentMethod.CARD:
            payment_authorize(order=order, card_token=card_token)

    order = order_place(**placement, before_verify=authorise_card)
    if then is not None:
        then(order)
    return order
