"""orders.locks: what the lock helpers return (the locking itself is proven on PostgreSQL in
tests/concurrency). The one lock order rests on back-orders coming back in primary-key order."""

import pytest

from inventory.models import StockLevel
from orders.locks import backorders_lock
from tests.builders import order_build, product_build, warehouse_build

pytestmark = pytest.mark.django_db


def test_backorders_lock_returns_the_back_orders_waiting_for_the_products_oldest_key_first(catalogue):
    # Given a desk and a shelf that can be back-ordered, none in stock, three back-orders and an
    # order that got its chair
    warehouse = warehouse_build(code="DEN")
    desk, shelf = (product_build(sku=sku, is_backorderable=True) for sku in ("DESK", "SHELF"))
    for product in (desk, shelf):
        StockLevel.objects.create(product=product, warehouse=warehouse)

    def place(*products):
        return order_build(state=None, lines=[(p, 1) for p in products])

    desk_only, shelf_only, both = place(desk), place(shelf), place(desk, shelf)
    chair = place(catalogue.chair)
    assert {o.status for o in (desk_only, shelf_only, both)} == {"backordered"} and chair.status == "verified"

    # When the back-orders waiting for a product are locked
    for_desk = backorders_lock(product_ids=[desk.pk])
    for_both = backorders_lock(product_ids=[shelf.pk, desk.pk, catalogue.chair.pk])

    # Then they come in primary-key order (orders list newest first by default), each once, with
    # their lines, and nothing that is not waiting
    assert for_desk == [desk_only, both]
    assert for_both == [desk_only, shelf_only, both]
    assert [line.product for line in for_both[2].lines.all()] == [desk, shelf]
    assert backorders_lock(product_ids=[catalogue.chair.pk]) == []
