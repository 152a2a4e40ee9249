"""Allocation strategy: one warehouse that ships the whole order, else split; release and dispatch."""

import pytest

from inventory.models import StockAllocation, StockLevel
from inventory.services import stock_allocate_order, stock_dispatch, stock_receive, stock_release_order
from inventory.tests.factories import ProductFactory, WarehouseFactory
from orders_site.core.exceptions import ApplicationError
from tests.builders import order_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_warehouses(db):
    return WarehouseFactory(code="AMS", priority=1), WarehouseFactory(code="RTM", priority=2)


def put(product, warehouse, quantity):
    stock_receive(product=product, warehouse=warehouse, quantity=quantity)


def allocated_from(order):
    return sorted(
        StockAllocation.objects.filter(order_line__order=order).values_list(
            "order_line__sku", "stock_level__warehouse__code", "quantity"
        )
    )


def test_one_warehouse_that_ships_everything_wins_over_priority(two_warehouses, ledger_matches_levels):
    ams, rtm = two_warehouses
    chair, lamp = ProductFactory(sku="CHAIR"), ProductFactory(sku="LAMP")
    put(chair, ams, 10)
    put(chair, rtm, 5)
    put(lamp, rtm, 5)
    order = order_row(lines=[(chair, 2), (lamp, 1)])

    result = stock_allocate_order(order=order)

    assert result.complete and result.strategy == "single"
    assert allocated_from(order) == [("CHAIR", "RTM", 2), ("LAMP", "RTM", 1)]
    assert result.summary() == (
        "Stock allocated from one warehouse that ships the whole order: RTM (2 x CHAIR, 1 x LAMP)."
    )
    ledger_matches_levels()


def test_split_when_no_warehouse_has_everything(two_warehouses, ledger_matches_levels):
    ams, rtm = two_warehouses
    chair, book = ProductFactory(sku="CHAIR"), ProductFactory(sku="BOOK")
    put(chair, ams, 10)
    put(book, rtm, 10)
    order = order_row(lines=[(chair, 2), (book, 1)])

    result = stock_allocate_order(order=order)

    assert result.complete and result.strategy == "split"
    assert allocated_from(order) == [("BOOK", "RTM", 1), ("CHAIR", "AMS", 2)]
    assert result.summary() == "No single warehouse has everything; stock split over AMS (2 x CHAIR), RTM (1 x BOOK)."
    assert result.as_data() == {
        "strategy": "split",
        "warehouses": {"AMS": {"CHAIR": 2}, "RTM": {"BOOK": 1}},
        "short": {},
    }
    ledger_matches_levels()


def test_a_line_is_split_only_when_no_warehouse_has_all_of_it(two_warehouses):
    ams, rtm = two_warehouses
    lamp, book = ProductFactory(sku="LAMP"), ProductFactory(sku="BOOK")
    put(lamp, ams, 5)
    put(lamp, rtm, 8)
    put(book, ams, 1)
    order = order_row(lines=[(book, 2), (lamp, 7)])
    put(book, rtm, 1)

    stock_allocate_order(order=order)

    # No warehouse has 2 books, so the order is split; the lamp line fits in RTM whole.
    assert allocated_from(order) == [("BOOK", "AMS", 1), ("BOOK", "RTM", 1), ("LAMP", "RTM", 7)]


def test_two_lines_of_one_product_count_together(two_warehouses, ledger_matches_levels):
    ams, rtm = two_warehouses
    lamp = ProductFactory(sku="LAMP")
    put(lamp, ams, 5)
    put(lamp, rtm, 5)
    order = order_row(lines=[(lamp, 3), (lamp, 3)])

    result = stock_allocate_order(order=order)

    assert result.complete and result.strategy == "split"
    assert sum(q for *_, q in allocated_from(order)) == 6
    ledger_matches_levels()


def test_shortage_is_reported_not_raised_and_inactive_warehouses_are_skipped(two_warehouses):
    ams, rtm = two_warehouses
    lamp = ProductFactory(sku="LAMP")
    put(lamp, ams, 2)
    put(lamp, rtm, 9)
    rtm.is_active = False
    rtm.save()
    order = order_row(lines=[(lamp, 5)])

    result = stock_allocate_order(order=order)

    line = order.lines.get()
    assert result.short_by_line == {line.pk: 3} and result.short_by_sku == {"LAMP": 3}
    assert allocated_from(order) == [("LAMP", "AMS", 2)]
    assert result.summary().endswith("Short: 3 x LAMP.")


def test_topping_up_prefers_the_warehouse_the_order_already_ships_from(two_warehouses):
    ams, rtm = two_warehouses
    lamp = ProductFactory(sku="LAMP")
    put(lamp, rtm, 2)
    order = order_row(lines=[(lamp, 4)])
    stock_allocate_order(order=order)
    put(lamp, ams, 10)
    put(lamp, rtm, 10)

    result = stock_allocate_order(order=order)

    assert result.complete
    assert allocated_from(order) == [("LAMP", "RTM", 2), ("LAMP", "RTM", 2)]


def test_allocating_again_allocates_nothing_more(two_warehouses):
    ams, _ = two_warehouses
    lamp = ProductFactory()
    put(lamp, ams, 10)
    order = order_row(lines=[(lamp, 4)])
    stock_allocate_order(order=order)

    again = stock_allocate_order(order=order)

    assert again.complete and again.strategy == "" and again.summary() == "No stock to allocate."
    assert StockLevel.objects.get(product=lamp).allocated == 4


def test_release_gives_back_what_is_open_and_dispatch_takes_stock_out(two_warehouses, ledger_matches_levels):
    ams, _ = two_warehouses
    lamp = ProductFactory()
    put(lamp, ams, 10)
    order = order_row(lines=[(lamp, 4)])
    stock_allocate_order(order=order)
    allocation = StockAllocation.objects.get(order_line__order=order)

    stock_dispatch(allocation=allocation, quantity=1, reference=order.number)
    with pytest.raises(ApplicationError, match="Cannot dispatch 4"):
        stock_dispatch(allocation=allocation, quantity=4, reference=order.number)
    released = stock_release_order(order=order, reason="cancelled")

    level = StockLevel.objects.get(product=lamp)
    assert released == 3
    assert (level.on_hand, level.allocated) == (9, 0)
    allocation.refresh_from_db()
    assert (allocation.dispatched_quantity, allocation.released_quantity, allocation.open_quantity) == (1, 3, 0)
    assert stock_release_order(order=order) == 0
    ledger_matches_levels()


def test_dispatch_rereads_a_stale_allocation():
    warehouse = WarehouseFactory()
    lamp = ProductFactory()
    put(lamp, warehouse, 5)
    order = order_row(lines=[(lamp, 2)])
    stock_allocate_order(order=order)
    stale = StockAllocation.objects.get(order_line__order=order)
    stock_dispatch(allocation=StockAllocation.objects.get(pk=stale.pk), quantity=2, reference="x")

    with pytest.raises(ApplicationError, match="0 open"):
        stock_dispatch(allocation=stale, quantity=1, reference="x")
