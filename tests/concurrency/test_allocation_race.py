"""Fifty buyers for ten units, all at once, through placement's one-statement allocation
(inventory.services.ledger.allocations_record), on PostgreSQL (issue 9)."""

from unittest import mock

import pytest

from inventory.models import StockLevel
from inventory.services import allocation
from lifecycle.checkout import order_checkout
from orders.models import Order
from orders.services.placement import LineRequest
from orders.services.verification import SoldOut
from tests.builders import address_data, customer_build, delivery_method_build, product_build, stock_put

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BUYERS = 50
UNITS = 10


def test_fifty_buyers_for_ten_units_get_exactly_ten_and_the_ledger_adds_up(catalogue, ledger_matches_levels):
    # Given ten lamps that cannot be back-ordered, and fifty customers who each want one
    lamp = product_build(sku="RACE-1", name="Race lamp", tax_class=catalogue.standard)
    stock_put(product=lamp, warehouse=catalogue.main, quantity=UNITS)
    delivery_method = delivery_method_build()
    customers = [customer_build() for _ in range(BUYERS)]

    def buy(customer):
        return lambda: order_checkout(
            customer=customer,
            lines=[LineRequest(product_id=lamp.pk, quantity=1)],
            channel=Order.Channel.WEB,
            delivery_method=delivery_method,
            payment_method=Order.PaymentMethod.BANK_TRANSFER,
            billing_address=address_data(),
            shipping_address=address_data(),
            refuse_when_sold_out=True,
        )

    # When they all check out at the same moment
    per_line = mock.patch.object(allocation, "movement_record", wraps=allocation.movement_record)
    with per_line as movement_record:
        outcomes = run_at_once(*(buy(customer) for customer in customers), timeout=120)

    # Then exactly ten are sold, to verified orders, each through the one-statement allocation
    placed = [outcome.value for outcome in outcomes if outcome.ok]
    refused = [outcome.error for outcome in outcomes if not outcome.ok]
    assert len(placed) == UNITS
    assert {order.status for order in placed} == {Order.Status.VERIFIED}
    assert movement_record.call_count == 0
    # the forty others are told it sold out, and nothing of theirs is kept
    assert len(refused) == BUYERS - UNITS
    assert all(isinstance(error, SoldOut) for error in refused), refused[:3]
    assert Order.objects.count() == UNITS
    level = StockLevel.objects.get(product=lamp)
    assert (level.on_hand, level.allocated) == (UNITS, UNITS)
    ledger_matches_levels()


def test_a_level_that_ran_short_behind_the_plan_is_allocated_line_by_line_from_what_is_left(catalogue):
    # Given a lamp with 5 in Amsterdam and 5 in Rotterdam, books in Rotterdam, and Rotterdam's
    # lamps taken behind the back of the allocation just after it read the levels (as a caller
    # that forgot a lock would)
    lamp = product_build(sku="RACE-2", name="Raced lamp", tax_class=catalogue.standard)
    amsterdam = stock_put(product=lamp, warehouse=catalogue.main, quantity=5)
    rotterdam = stock_put(product=lamp, warehouse=catalogue.second, quantity=5)
    books = StockLevel.objects.get(product=catalogue.book, warehouse=catalogue.second)
    real_lock = allocation.stock_levels_lock
    reads = []

    def lock_then_lose_rotterdam(**kwargs):
        levels = real_lock(**kwargs)
        if not reads:
            StockLevel.objects.filter(pk=rotterdam.pk).update(allocated=5)
        reads.append(levels)
        return levels

    # When a customer checks out 3 lamps and 2 books (Rotterdam would have shipped both)
    with mock.patch.object(allocation, "stock_levels_lock", side_effect=lock_then_lose_rotterdam):
        order = order_checkout(
            customer=customer_build(),
            lines=[LineRequest(product_id=lamp.pk, quantity=3), LineRequest(product_id=catalogue.book.pk, quantity=2)],
            channel=Order.Channel.WEB,
            delivery_method=delivery_method_build(),
            payment_method=Order.PaymentMethod.BANK_TRANSFER,
            billing_address=address_data(),
            shipping_address=address_data(),
        )

    # Then the one-statement allocation undid the books it had taken, the levels were read again,
    # and the lamps came from Amsterdam, the books from Rotterdam, once each, with their movements
    assert len(reads) == 2
    assert order.status == Order.Status.VERIFIED
    for level in (amsterdam, rotterdam, books):
        level.refresh_from_db()
    assert (amsterdam.allocated, rotterdam.allocated, books.allocated) == (3, 5, 2)
    assert list(amsterdam.movements.filter(kind="allocation").values_list("allocated_delta", flat=True)) == [3]
    assert list(books.movements.filter(kind="allocation").values_list("allocated_delta", flat=True)) == [2]
