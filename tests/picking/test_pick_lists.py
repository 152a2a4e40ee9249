"""The pick list of a batch or an order: per warehouse, bins in walking order, units summed per
bin with the split per order, "No bin" last; one query however many lines; and its PDF."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle.pick_lists import pick_list_pdf_render
from orders.models import OrderLine
from orders.selectors.pick_lists import NO_BIN, pick_list_for_batch, pick_list_for_order
from orders.services.picking import pick_batch_create
from tests.admin.journeys import place
from tests.builders import parcels_of
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db


def started(shelved, actor, lines):
    return place(shelved, lines=lines, state="in_fulfillment", actor=actor)


@pytest.fixture
def wave(shelved, staff_users):
    """Three Amsterdam orders batched: 2 chairs; 1 chair, 1 lamp and 1 desk; 2 lamps (the third
    chair engraved)."""
    warehouse = staff_users["Warehouse"]
    orders = [
        started(shelved, warehouse, [(shelved.chair, 2)]),
        started(shelved, warehouse, [(shelved.chair, 1), (shelved.lamp, 1), (shelved.desk, 1)]),
        started(shelved, warehouse, [(shelved.lamp, 2)]),
    ]
    OrderLine.objects.filter(order=orders[1], sku="CHAIR-1").update(customisation_notes="Engrave 'Anna'")
    batch = pick_batch_create(shipments=[parcels_of(order)[0] for order in orders], actor=warehouse)
    return batch, orders


def rows_of(pick_list):
    return [
        (warehouse.code, row.bin_code, row.sku, row.quantity, [(s.order_number, s.quantity) for s in row.splits])
        for warehouse in pick_list.warehouses
        for row in warehouse.rows
    ]


def test_a_batch_lists_bins_in_walking_order_with_units_summed_and_split_per_order(wave):
    batch, (first, second, third) = wave

    pick_list = pick_list_for_batch(batch=batch)

    # Z-01 is walked before B-05 (walk order, not the code); the desk has no bin: last
    assert rows_of(pick_list) == [
        ("AMS", "Z-01", "LAMP-1", 3, [(second.number, 1), (third.number, 2)]),
        ("AMS", "B-05", "CHAIR-1", 3, [(first.number, 2), (second.number, 1)]),
        ("AMS", NO_BIN, "DESK-1", 1, [(second.number, 1)]),
    ]
    assert pick_list.units == 7
    assert set(pick_list.order_numbers) == {first.number, second.number, third.number}
    chairs = pick_list.warehouses[0].rows[1]
    assert chairs.customisation_notes == [f"{second.number}: Engrave 'Anna'"]


def test_an_order_from_two_warehouses_lists_each_warehouse_apart(shelved, staff_users):
    # Seven lamps: five from Amsterdam (bin Z-01), two from Rotterdam (no bin there); and a book
    order = started(shelved, staff_users["Warehouse"], [(shelved.lamp, 7), (shelved.book, 1)])

    pick_list = pick_list_for_order(order=order)

    assert rows_of(pick_list) == [
        ("AMS", "Z-01", "LAMP-1", 5, [(order.number, 5)]),
        ("RTM", "R-09", "BOOK-1", 1, [(order.number, 1)]),
        ("RTM", NO_BIN, "LAMP-1", 2, [(order.number, 2)]),
    ]


def test_the_pick_list_is_one_query_however_many_lines(shelved, staff_users):
    warehouse = staff_users["Warehouse"]

    def cost(n):
        orders = [started(shelved, warehouse, [(shelved.chair, 1), (shelved.desk, 1)]) for _ in range(n)]
        batch = pick_batch_create(shipments=[parcels_of(order)[0] for order in orders], actor=warehouse)
        with CaptureQueriesContext(connection) as captured:
            pick_list = pick_list_for_batch(batch=batch)
        assert sum(len(row.splits) for row in pick_list.warehouses[0].rows) == 2 * n
        return len(captured)

    assert cost(1) == cost(5) == 1


def test_the_pdf_reads_bins_in_walking_order_with_the_sums_and_the_split(wave):
    batch, (first, second, third) = wave

    text = pdf_text(pick_list_pdf_render(pick_list=pick_list_for_batch(batch=batch)))

    assert f"Pick list: Pick batch {batch.number}" in text
    assert "Amsterdam (AMS)" in text
    assert text.index("Z-01") < text.index("B-05") < text.index(NO_BIN)
    assert (
        f"Z-01 LAMP-1 Desk lamp 3 {second.number} ({second.number}-1): 1 {third.number} ({third.number}-1): 2" in text
    )
    assert "B-05 CHAIR-1 Oak chair" in text
    assert f"{first.number} ({first.number}-1): 2" in text
    assert f"Customisation {second.number}: Engrave 'Anna'" in text
