"""Reads of orders: units that back-orders wait for, per product (what replenishment counts)."""

import pytest

from inventory.models import StockLevel
from inventory.services import stock_receive
from orders.selectors import backordered_product_ids, backordered_units_by_product, backorders_waiting_exist
from tests.builders import order_build, product_build, warehouse_build

pytestmark = pytest.mark.django_db


def test_back_ordered_units_are_what_back_orders_still_wait_for():
    # Given a back-orderable desk with 1 in stock and a back-order for 3 of them
    warehouse = warehouse_build(code="AMS")
    desk = product_build(sku="DESK", is_backorderable=True)
    StockLevel.objects.create(product=desk, warehouse=warehouse)
    stock_receive(product=desk, warehouse=warehouse, quantity=1)
    order_build(state="backordered", lines=[(desk, 3)])

    # Then 2 units are still awaited (1 is promised already), for that product only
    assert backordered_units_by_product() == {desk.pk: 2}
    assert backordered_product_ids() == [desk.pk]
    assert backorders_waiting_exist(product_ids=[desk.pk])
    assert not backorders_waiting_exist(product_ids=[product_build().pk])
