"""Replenishment suggestions and the ledger audit."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import StockLevel
from inventory.selectors import replenishment_suggestions, stock_audit_differences
from inventory.services import stock_allocate_order, stock_receive, stock_release_order
from inventory.tests.factories import ProductFactory, WarehouseFactory
from tests.builders import order_row, purchase_order_sent

pytestmark = pytest.mark.django_db


def suggestion_for(level, backordered_units=None, **kwargs):
    suggestions = replenishment_suggestions(low_only=False, backordered_units=backordered_units or {}, **kwargs)
    return next(s for s in suggestions if s.level.pk == level.pk)


def test_demand_of_the_last_30_days_times_lead_time_plus_safety_stock():
    warehouse = WarehouseFactory(code="AMS")
    lamp = ProductFactory(sku="LAMP", restock_lead_days=10)
    stock_receive(product=lamp, warehouse=warehouse, quantity=40)
    level = StockLevel.objects.get(product=lamp)
    level.safety_stock, level.reorder_quantity = 4, 10
    level.save()
    long_ago = timezone.now() - timedelta(days=31)
    with mock.patch("django.utils.timezone.now", return_value=long_ago):
        stock_allocate_order(order=order_row(lines=[(lamp, 9)]))  # outside the window
    stock_allocate_order(order=order_row(lines=[(lamp, 12)]))
    released = order_row(lines=[(lamp, 3)])
    stock_allocate_order(order=released)
    stock_release_order(order=released)  # cancelled: not demand
    # 12 units in 30 days = 0.4 a day; x 10 days = 4; + safety 4 = reorder point 8.

    suggestion = suggestion_for(level)

    assert (suggestion.demand, suggestion.daily_demand, suggestion.lead_demand) == (12, Decimal("0.40"), 4)
    assert (suggestion.suggested_reorder_point, suggestion.reorder_point) == (8, 8)
    assert suggestion.position == 40 - 21 and not suggestion.is_low and suggestion.suggested_quantity == 0

    stock_allocate_order(order=order_row(lines=[(lamp, 12)]))  # available 7, demand 24 -> lead 8, point 12
    suggestion = suggestion_for(level)
    assert (suggestion.reorder_point, suggestion.position, suggestion.is_low) == (12, 7, True)
    assert suggestion.suggested_quantity == 12 - 7 + 8  # back above the point by one lead time
    assert [s.level for s in replenishment_suggestions(backordered_units={})] == [level]


def test_units_on_order_and_back_ordered_units_count_in_the_position():
    warehouse = WarehouseFactory(code="AMS", priority=1)
    desk = ProductFactory(sku="DESK", is_backorderable=True)
    level = StockLevel.objects.create(product=desk, warehouse=warehouse, reorder_point=2, reorder_quantity=5)
    waiting = {desk.pk: 3}  # what orders.selectors.backordered_units_by_product reports

    suggestion = suggestion_for(level, backordered_units=waiting)
    assert (suggestion.backordered, suggestion.position, suggestion.is_low) == (3, -3, True)
    assert suggestion.suggested_quantity == 6

    purchase_order_sent(warehouse=warehouse, lines=[(desk, 6)])
    suggestion = suggestion_for(level, backordered_units=waiting)
    assert (suggestion.on_order, suggestion.position, suggestion.is_low) == (6, 3, False)


def test_suggestions_take_a_fixed_number_of_queries():
    warehouse = WarehouseFactory()
    for _ in range(3):
        stock_receive(product=ProductFactory(), warehouse=warehouse, quantity=1)
    with CaptureQueriesContext(connection) as few:
        replenishment_suggestions(low_only=False, backordered_units={})
    for _ in range(9):
        stock_receive(product=ProductFactory(), warehouse=warehouse, quantity=1)
    with CaptureQueriesContext(connection) as many:
        assert len(replenishment_suggestions(low_only=False, backordered_units={})) == 12
    assert len(few) == len(many) == 3


def test_audit_finds_nothing_when_everything_went_through_the_services():
    warehouse = WarehouseFactory()
    lamp = ProductFactory()
    stock_receive(product=lamp, warehouse=warehouse, quantity=5)
    stock_allocate_order(order=order_row(lines=[(lamp, 2)]))
    assert stock_audit_differences() == []
    call_command("stock_audit")


def test_stock_audit_finds_a_level_edited_behind_the_ledger(capsys):
    warehouse = WarehouseFactory(code="AMS")
    lamp, chair = ProductFactory(sku="LAMP-1"), ProductFactory(sku="CHAIR-1")
    stock_receive(product=lamp, warehouse=warehouse, quantity=5)
    stock_receive(product=chair, warehouse=warehouse, quantity=5)
    StockLevel.objects.filter(product=lamp).update(on_hand=7)  # someone "fixed" it in the database

    with pytest.raises(CommandError) as raised:
        call_command("stock_audit")

    assert raised.value.returncode == 1
    assert "1 stock level differs" in str(raised.value) and "LAMP-1 @ AMS" in str(raised.value)
    assert "LAMP-1 @ AMS" in capsys.readouterr().err
    (difference,) = stock_audit_differences()
    assert (difference.sku, difference.on_hand, difference.ledger_on_hand) == ("LAMP-1", 7, 5)
    assert difference.describe().endswith("on hand 7 in the level, 5 in the ledger")


def test_stock_audit_also_checks_allocated_against_open_order_allocations():
    warehouse = WarehouseFactory(code="AMS")
    lamp = ProductFactory(sku="LAMP-1")
    stock_receive(product=lamp, warehouse=warehouse, quantity=5)
    stock_allocate_order(order=order_row(lines=[(lamp, 2)]))
    StockLevel.objects.filter(product=lamp).update(allocated=3)

    (difference,) = stock_audit_differences()

    assert "allocated 3 in the level, 2 in the ledger" in difference.describe()
    assert "3 in the level, 2 open order allocations" in difference.describe()


def test_stock_audit_exits_non_zero_from_the_command_line():
    """The exit status, as a cron job or CI sees it."""
    warehouse = WarehouseFactory(code="AMS")
    stock_receive(product=ProductFactory(sku="LAMP-1"), warehouse=warehouse, quantity=5)
    StockLevel.objects.update(on_hand=4)

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "stock_audit", "--skip-checks"]).execute()
    assert exited.value.code == 1
