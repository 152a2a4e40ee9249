"""No oversell under real concurrency (PostgreSQL, real threads, one connection each)."""

import threading

import pytest
from django.db import connection, transaction

from inventory.models import StockAllocation, StockLevel
from inventory.services import InsufficientStock, stock_allocate_order, stock_receive
from inventory.services.ledger import movement_record
from inventory.tests.factories import ProductFactory, WarehouseFactory
from orders.models import Order
from tests.builders import customer_build, delivery_method_build, order_build, order_row

pytestmark = [pytest.mark.postgres]

BUYERS = 50
UNITS = 10


def race(work, arguments):
    """Run `work(argument)` in one thread per argument, all released at once; collect results."""
    barrier = threading.Barrier(len(arguments))
    results, errors = [], []

    def buyer(argument):
        try:
            barrier.wait(timeout=30)
            results.append(work(argument))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a buyer is stuck"
    return results, errors


def assert_no_oversell(product, *, allocated):
    level = StockLevel.objects.get(product=product)
    assert (level.on_hand, level.allocated) == (UNITS, allocated)
    assert not StockLevel.objects.filter(on_hand__lt=0).exists()
    assert not StockLevel.objects.filter(allocated__gt=level.on_hand).exists()
    movements = level.movements.all()
    assert sum(m.on_hand_delta for m in movements) == level.on_hand
    assert sum(m.allocated_delta for m in movements) == level.allocated
    assert sum(a.open_quantity for a in StockAllocation.objects.filter(stock_level=level)) == level.allocated


def test_fifty_buyers_race_for_ten_units(transactional_db, require_postgres):
    warehouse = WarehouseFactory(code="AMS")
    product = ProductFactory(sku="HOT")
    stock_receive(product=product, warehouse=warehouse, quantity=UNITS)
    orders = [order_row(lines=[(product, 1)]) for _ in range(BUYERS)]

    results, errors = race(lambda order: stock_allocate_order(order=order), orders)

    assert errors == []
    assert sum(result.complete for result in results) == UNITS
    assert sum(bool(result.short_by_line) for result in results) == BUYERS - UNITS
    assert_no_oversell(product, allocated=UNITS)


def test_fifty_customers_placing_orders_at_once_never_oversell(transactional_db, require_postgres):
    warehouse = WarehouseFactory(code="AMS")
    product = ProductFactory(sku="HOT")
    stock_receive(product=product, warehouse=warehouse, quantity=UNITS)
    customers = [customer_build() for _ in range(BUYERS)]
    delivery_method_build()  # made once here, not by fifty threads at once

    def place(customer):
        return order_build(state=None, customer=customer, lines=[(product, 1)]).status

    results, errors = race(place, customers)

    assert errors == []
    assert sorted(results).count(Order.Status.VERIFIED) == UNITS
    assert sorted(results).count(Order.Status.ON_HOLD) == BUYERS - UNITS
    assert_no_oversell(product, allocated=UNITS)


def test_the_conditional_update_alone_refuses_oversell(transactional_db, require_postgres):
    """Even a caller that forgot to lock the row cannot oversell: the UPDATE's condition is
    re-checked against the committed row."""
    warehouse = WarehouseFactory(code="AMS")
    product = ProductFactory(sku="HOT")
    stock_receive(product=product, warehouse=warehouse, quantity=UNITS)
    level_id = StockLevel.objects.get(product=product).pk

    def allocate_one_without_lock(_):
        level = StockLevel.objects.select_related("product", "warehouse").get(pk=level_id)
        try:
            with transaction.atomic():
                movement_record(stock_level=level, kind="allocation", allocated=1)
        except InsufficientStock:
            return False
        return True

    results, errors = race(allocate_one_without_lock, list(range(BUYERS)))

    assert errors == []
    assert results.count(True) == UNITS
    level = StockLevel.objects.get(pk=level_id)
    assert (level.on_hand, level.allocated) == (UNITS, UNITS)
    assert sum(m.allocated_delta for m in level.movements.all()) == UNITS


def test_receipts_and_orders_racing_over_two_products_do_not_deadlock(transactional_db, require_postgres):
    """Orders for A+B and B+A, while stock of both arrives: rows are locked in one order everywhere."""
    warehouse = WarehouseFactory(code="AMS")
    first, second = ProductFactory(sku="A"), ProductFactory(sku="B")
    stock_receive(product=first, warehouse=warehouse, quantity=20)
    stock_receive(product=second, warehouse=warehouse, quantity=20)
    orders = [order_row(lines=[(first, 1), (second, 1)] if i % 2 else [(second, 1), (first, 1)]) for i in range(20)]

    def work(item):
        if item is None:
            stock_receive(product=second, warehouse=warehouse, quantity=1)
            stock_receive(product=first, warehouse=warehouse, quantity=1)
            return None
        return stock_allocate_order(order=item)

    results, errors = race(work, [*orders, *([None] * 10)])

    assert errors == []
    for product in (first, second):
        level = StockLevel.objects.get(product=product)
        assert (level.on_hand, level.allocated) == (30, 20)
