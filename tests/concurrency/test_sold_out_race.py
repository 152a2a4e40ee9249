"""Many customers checking out the last units at once (issue 8, item 5), on PostgreSQL.

Every checkout here passes the cart check before any of them allocates (a barrier holds them
between the two), the worst case of the race: the cart check reads availability without a lock,
verification allocates under the stock lock and finds too little. Exactly the units are sold;
every other customer is refused "sold out" with nothing of theirs kept, and none is thanked for
an order that sits on hold for stock.
"""

import threading
from unittest import mock

import pytest

from inventory.models import StockLevel
from invoicing.gateways import TestGateway
from invoicing.models import Payment
from lifecycle.checkout import order_checkout
from orders.models import EmailNotification, Order
from orders.services.placement import InvalidOrder
from storefront.cart import SessionCartStore
from storefront.selectors import cart_view_build
from storefront.services.cart import cart_add, cart_checkout
from tests.builders import address_data, customer_build, delivery_method_build, product_build, stock_put

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CUSTOMERS = 12
UNITS = 3


def test_customers_racing_for_the_last_units_are_sold_exactly_those_and_the_rest_told_sold_out(catalogue):
    # Given three lamps in stock that cannot be back-ordered, and twelve carts holding one each
    lamp = product_build(sku="LAST-1", name="Last lamp", tax_class=catalogue.standard)
    stock_put(product=lamp, warehouse=catalogue.main, quantity=UNITS)
    delivery_method = delivery_method_build()
    shoppers = []
    for _ in range(CUSTOMERS):
        cart = SessionCartStore({})
        cart_add(cart=cart, product_id=lamp.pk, quantity=1)
        shoppers.append((customer_build(), cart))
    all_past_the_cart_check = threading.Barrier(CUSTOMERS)

    def after_every_cart_check(**placement):
        all_past_the_cart_check.wait(timeout=30)
        return order_checkout(**placement)

    def checkout(customer, cart):
        return lambda: cart_checkout(
            cart=cart,
            customer_find=lambda: customer,
            delivery_method=delivery_method,
            payment_method=Order.PaymentMethod.CARD,
            billing_address=address_data(),
            shipping_address=address_data(),
            idempotency_key=f"race-{customer.pk}",
            card_token="4242 4242 4242 4242",
        )

    # When they all press "Place order" at once
    with (
        mock.patch("storefront.services.cart.order_checkout", side_effect=after_every_cart_check),
        mock.patch.object(TestGateway, "void", autospec=True, return_value=mock.Mock(ok=True)) as void,
    ):
        outcomes = run_at_once(*(checkout(customer, cart) for customer, cart in shoppers), timeout=60)

    # Then exactly the units are sold, to verified orders
    placed = [outcome.value for outcome in outcomes if outcome.ok]
    refused = [outcome.error for outcome in outcomes if not outcome.ok]
    assert len(placed) == UNITS
    assert {order.status for order in placed} == {Order.Status.VERIFIED}
    assert StockLevel.objects.get(product=lamp).allocated == UNITS
    # every other customer is refused as a sold-out cart is, and nothing of theirs is kept
    assert len(refused) == CUSTOMERS - UNITS
    for error in refused:
        assert isinstance(error, InvalidOrder), repr(error)
        assert error.extra["field"] == "lines" and "Last lamp: It is sold out." in error.message
    assert Order.objects.count() == UNITS
    assert not Order.objects.filter(status=Order.Status.ON_HOLD).exists()
    assert Payment.objects.count() == UNITS
    assert EmailNotification.objects.filter(kind=EmailNotification.Kind.ORDER_RECEIVED).count() == UNITS
    assert len(void.call_args_list) == CUSTOMERS - UNITS, "each loser's card hold is released"
    # and a loser's cart still holds the lamp, now shown sold out
    loser_cart = next(cart for (customer, cart), outcome in zip(shoppers, outcomes, strict=True) if not outcome.ok)
    (line,) = cart_view_build(items=loser_cart.items()).lines
    assert line.problem == "It is sold out."
