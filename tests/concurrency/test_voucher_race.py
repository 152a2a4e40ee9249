"""Many orders racing for a voucher's last use (issue 12, item 9), on PostgreSQL.

Every checkout here has passed the voucher's checks and is placed, checked and allocated, each in
its own transaction and connection, before any of them counts its use (a barrier holds them just
before): the worst case. Each buys a different product, so no stock lock lines them up first; the
voucher's guarded UPDATE is the only thing between them. Exactly one gets the use; every other is
refused beside the discount code, and nothing of theirs is kept.
"""

import threading
from unittest import mock

import pytest

from inventory.models import StockLevel
from lifecycle.checkout import order_checkout
from orders.models import EmailNotification, Order, RiskRules, Voucher, VoucherRedemption
from orders.services import placement
from orders.services.placement import InvalidOrder, LineRequest
from tests.builders import address_data, customer_build, delivery_method_build, product_build, stock_put

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 20


def _all_at_the_counter(count: int):
    """A stand-in for placement's voucher_redeem that waits until `count` orders reach it."""
    everyone_placed = threading.Barrier(count)
    redeem = placement.voucher_redeem

    def wait_then_redeem(**arguments):
        everyone_placed.wait(timeout=30)
        return redeem(**arguments)

    return mock.patch("orders.services.placement.voucher_redeem", side_effect=wait_then_redeem)


def _checkout(customer, product, delivery_method, key: str):
    return lambda: order_checkout(
        customer=customer,
        lines=[LineRequest(product_id=product.pk, quantity=1)],
        channel=Order.Channel.WEB,
        delivery_method=delivery_method,
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
        billing_address=address_data(),
        shipping_address=address_data(),
        discount_code="LASTONE",
        idempotency_key=key,
    )


def _products(catalogue, count: int):
    # The risk rules' row is made on first use; made inside the race, its INSERT would line the
    # checkouts up behind the first one (which waits at the barrier).
    RiskRules.current()
    products = []
    for number in range(count):
        product = product_build(sku=f"RACE-{number}", name=f"Race item {number}", tax_class=catalogue.standard)
        stock_put(product=product, warehouse=catalogue.main, quantity=5)
        products.append(product)
    return products


def test_twenty_orders_racing_for_a_vouchers_last_use_exactly_one_gets_it(catalogue):
    # Given a voucher used 9 times of 10, and twenty customers each checking out another product with it
    voucher = Voucher.objects.create(code="LASTONE", percent_off=10, usage_limit=10, times_used=9)
    delivery_method = delivery_method_build()
    calls = [
        _checkout(customer_build(), product, delivery_method, key=f"race-{number}")
        for number, product in enumerate(_products(catalogue, RACERS))
    ]

    # When they all count their use at the same moment
    with _all_at_the_counter(RACERS):
        outcomes = run_at_once(*calls, timeout=60)

    # Then exactly one order got the last use
    placed = [outcome.value for outcome in outcomes if outcome.ok]
    refused = [outcome.error for outcome in outcomes if not outcome.ok]
    assert len(placed) == 1, refused
    (winner,) = placed
    assert winner.discount_code == "LASTONE" and winner.discount_total == 1  # 10 % of 10.00
    voucher.refresh_from_db()
    assert voucher.times_used == 10
    assert list(VoucherRedemption.objects.values_list("order_id", flat=True)) == [winner.pk]
    # and every other customer is told beside the code, with nothing of their order kept
    assert len(refused) == RACERS - 1
    for error in refused:
        assert isinstance(error, InvalidOrder), repr(error)
        assert error.extra == {"field": "discount_code"}
        assert error.message == "This discount code has been used up."
    assert list(Order.objects.values_list("pk", flat=True)) == [winner.pk]
    assert EmailNotification.objects.count() == 1
    assert sum(StockLevel.objects.filter(product__sku__startswith="RACE-").values_list("allocated", flat=True)) == 1


def test_one_customers_orders_racing_for_their_only_use_exactly_one_gets_it(catalogue):
    # Given a voucher each customer may use once, and one customer checking out in five tabs at once
    voucher = Voucher.objects.create(code="LASTONE", percent_off=10, per_customer_limit=1)
    customer = customer_build()
    delivery_method = delivery_method_build()
    calls = [
        _checkout(customer, product, delivery_method, key=f"tab-{number}")
        for number, product in enumerate(_products(catalogue, 5))
    ]

    with _all_at_the_counter(len(calls)):
        outcomes = run_at_once(*calls, timeout=60)

    placed = [outcome.value for outcome in outcomes if outcome.ok]
    refused = [outcome.error for outcome in outcomes if not outcome.ok]
    assert len(placed) == 1, refused
    for error in refused:
        assert isinstance(error, InvalidOrder), repr(error)
        assert error.extra == {"field": "discount_code"}
        assert error.message == "You have already used this discount code as often as it allows."
    assert Order.objects.count() == 1
    voucher.refresh_from_db()
    assert (voucher.times_used, VoucherRedemption.objects.count()) == (1, 1)
