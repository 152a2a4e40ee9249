"""Splitting a parcel while someone else works on it (orders.services.splitting): real threads on
PostgreSQL. The split locks the order, then the parcel, as dispatch does, and checks the parcel's
state under those locks."""

import threading
from unittest import mock

import pytest

from inventory.models import StockAllocation, StockLevel
from orders.models import Order, OrderEvent, Shipment
from orders.services import fulfillment, splitting
from orders.services.fulfillment import shipment_dispatch, shipment_pack, shipment_start_picking
from orders.services.splitting import shipment_split
from orders_site.core.exceptions import ApplicationError
from tests.builders import order_build, parcels_of, shipment_hand_to_carrier, shipment_packed, shipment_scan_all
from tests.concurrency.test_orders import slowed

from .threads import run_at_once, run_in_thread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def books(catalogue) -> tuple[int, int]:
    level = StockLevel.objects.get(product=catalogue.book, warehouse=catalogue.second)
    return level.on_hand, level.allocated


def test_a_split_that_arrives_while_the_parcel_is_being_dispatched_is_refused_and_the_stock_is_right(
    catalogue, customer, staff_users, ledger_matches_levels
):
    # Given a packed parcel of three books being handed to the carrier
    warehouse = staff_users["Warehouse"]
    order = order_build(state="packed", customer=customer, lines=[(catalogue.book, 3)])
    (parcel,) = parcels_of(order)
    line = parcel.lines.get()
    dispatching = threading.Event()

    with mock.patch.object(fulfillment, "stock_dispatch", slowed(fulfillment.stock_dispatch, 0.5, dispatching)):
        dispatcher, dispatched = run_in_thread(
            lambda: shipment_dispatch(shipment=parcel, carrier="PostNL", tracking_number="3S1", actor=warehouse)
        )
        assert dispatching.wait(10)
        # When a colleague splits one book off in that very moment (from a page that showed it packed)
        splitter, split = run_in_thread(
            lambda: shipment_split(shipment=parcel, quantities={line.pk: 1}, actor=warehouse)
        )
        dispatcher.join(30)
        splitter.join(30)

    # Then the parcel leaves whole and the split is refused with a reason, not a database error
    assert dispatched.ok, dispatched.error
    assert isinstance(split.error, ApplicationError), split.error
    assert "is “Shipped”: only a parcel that is pending or being picked can be split" in str(split.error)
    assert list(order.shipments.values_list("number", "status")) == [(parcel.number, Shipment.Status.SHIPPED)]
    line.refresh_from_db()
    assert line.quantity == 3
    assert books(catalogue) == (17, 0)
    assert not OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.SHIPMENT_SPLIT).exists()
    ledger_matches_levels()


def test_a_parcel_packed_while_it_is_being_split_holds_what_the_split_left_and_both_halves_ship_right(
    catalogue, customer, staff_users, ledger_matches_levels
):
    # Given a parcel of four books being picked, all four scanned, and a split of one book under way
    warehouse = staff_users["Warehouse"]
    order = order_build(state="in_fulfillment", customer=customer, lines=[(catalogue.book, 4)])
    (parcel,) = parcels_of(order)
    shipment_start_picking(shipment=parcel, actor=warehouse)
    shipment_scan_all(shipment=parcel, actor=warehouse)
    line = parcel.lines.get()
    splitting_now = threading.Event()

    with mock.patch.object(
        splitting, "shipment_number_next", slowed(splitting.shipment_number_next, 0.5, splitting_now)
    ):
        splitter, split = run_in_thread(
            lambda: shipment_split(shipment=parcel, quantities={line.pk: 1}, actor=warehouse, expected_status="picking")
        )
        assert splitting_now.wait(10)
        # When the picker presses "Packed" in that moment
        packer, packed = run_in_thread(lambda: shipment_pack(shipment=parcel, actor=warehouse))
        splitter.join(30)
        packer.join(30)

    # Then both succeed, one after the other: the packed parcel holds the three books the split left
    assert split.ok, split.error
    assert packed.ok, packed.error
    line.refresh_from_db()
    assert (line.quantity, line.packed_quantity) == (3, 3)
    new = split.value
    assert list(new.lines.values_list("quantity", "packed_quantity")) == [(1, 0)]

    # And dispatching both halves takes exactly the four books, and ships the order
    shipment_hand_to_carrier(shipment=parcel, actor=warehouse)
    assert books(catalogue) == (17, 1)
    shipment_packed(shipment=new, actor=warehouse)
    shipment_hand_to_carrier(shipment=new, actor=warehouse)
    assert books(catalogue) == (16, 0)
    (allocation,) = StockAllocation.objects.filter(order_line__order=order)
    assert allocation.dispatched_quantity == 4
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    ledger_matches_levels()


def test_two_colleagues_splitting_the_last_units_off_at_once_one_is_refused(catalogue, customer, staff_users):
    # Given a parcel of two books
    warehouse = staff_users["Warehouse"]
    order = order_build(state="in_fulfillment", customer=customer, lines=[(catalogue.book, 2)])
    (parcel,) = parcels_of(order)
    line = parcel.lines.get()

    # When two people each move one book into a new parcel at the same moment
    def split_one():
        return shipment_split(shipment=parcel, quantities={line.pk: 1}, actor=warehouse)

    with mock.patch.object(splitting, "shipment_number_next", slowed(splitting.shipment_number_next, 0.3)):
        outcomes = run_at_once(split_one, split_one)

    # Then one split happens and the other is refused: it would have left the parcel empty
    assert sum(o.ok for o in outcomes) == 1
    (refused,) = [o.error for o in outcomes if not o.ok]
    assert isinstance(refused, ApplicationError), refused
    assert "That moves everything" in str(refused)
    assert sorted(order.shipments.values_list("lines__quantity", flat=True)) == [1, 1]
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.SHIPMENT_SPLIT).count() == 1
