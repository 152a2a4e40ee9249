"""Failed delivery and return to sender end somewhere (issue 11, item 10): the returned parcel's
units go back on the shelf once (a ledger movement of kind return), then customer service records
refund due or re-ship, and until then the parcel waits in the console's queue."""

import pytest

from inventory.models import StockLevel, StockMovement
from lifecycle.delivery import shipment_deliver
from orders.models import OrderEvent, Shipment
from orders.selectors.returns import returned_parcels_undecided_count
from orders.services.fulfillment import shipment_fail_delivery, shipment_return_to_sender
from orders.services.returns import shipment_receive_back, shipment_return_decide
from orders_site.core.exceptions import ApplicationError
from tests.builders import order_build, parcels_of, shipment_hand_to_carrier, shipment_packed, staff_member

pytestmark = pytest.mark.django_db


def returned(catalogue, quantity=2) -> Shipment:
    warehouse = staff_member("Warehouse")
    order = order_build(lines=[(catalogue.book, quantity)], state="shipped")
    parcel = shipment_fail_delivery(shipment=parcels_of(order)[0], actor=warehouse)
    return shipment_return_to_sender(shipment=parcel, actor=warehouse)


def on_hand(product, warehouse) -> int:
    return StockLevel.objects.get(product=product, warehouse=warehouse).on_hand


def test_receiving_a_returned_parcel_puts_its_units_back_once_with_a_return_movement(catalogue, ledger_matches_levels):
    parcel = returned(catalogue, quantity=2)
    shelf_before = on_hand(catalogue.book, parcel.warehouse)

    parcel = shipment_receive_back(shipment=parcel, actor=staff_member("Warehouse"))

    assert on_hand(catalogue.book, parcel.warehouse) == shelf_before + 2
    (movement,) = StockMovement.objects.filter(kind=StockMovement.Kind.RETURN)
    assert movement.on_hand_delta == 2 and movement.reference == parcel.order.number
    assert parcel.received_back_at is not None
    assert OrderEvent.objects.filter(order=parcel.order, kind=OrderEvent.Kind.SHIPMENT_RECEIVED_BACK).count() == 1
    # a second press is refused and puts nothing more on the shelf
    with pytest.raises(ApplicationError, match="received back already"):
        shipment_receive_back(shipment=parcel)
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RETURN).count() == 1
    ledger_matches_levels()


def test_only_a_parcel_returned_to_sender_can_be_received_back(catalogue):
    order = order_build(lines=[(catalogue.book, 1)], state="shipped")

    with pytest.raises(ApplicationError, match="not returned to sender"):
        shipment_receive_back(shipment=parcels_of(order)[0])

    assert not StockMovement.objects.filter(kind=StockMovement.Kind.RETURN).exists()


def test_the_parcel_waits_in_the_queue_until_customer_service_decides(catalogue):
    parcel = shipment_receive_back(shipment=returned(catalogue))
    assert returned_parcels_undecided_count() == 1

    parcel = shipment_return_decide(
        shipment=parcel, decision="refund_due", note="Customer moved abroad", actor=staff_member("Customer service")
    )

    assert returned_parcels_undecided_count() == 0
    assert (parcel.return_decision, parcel.return_decision_note) == ("refund_due", "Customer moved abroad")
    event = OrderEvent.objects.get(order=parcel.order, kind=OrderEvent.Kind.SHIPMENT_RETURN_DECIDED)
    assert event.note == "Refund due: Customer moved abroad"
    assert not event.customer_visible


def test_a_decision_needs_the_parcel_back_first_and_is_made_once(catalogue):
    parcel = returned(catalogue)

    with pytest.raises(ApplicationError, match="Receive parcel"):
        shipment_return_decide(shipment=parcel, decision="reship")
    parcel = shipment_receive_back(shipment=parcel)
    shipment_return_decide(shipment=parcel, decision="reship")
    with pytest.raises(ApplicationError, match="has its decision already"):
        shipment_return_decide(shipment=parcel, decision="refund_due")
    with pytest.raises(ApplicationError, match="Choose refund due or re-ship"):
        shipment_return_decide(shipment=parcel, decision="keep")

    assert Shipment.objects.get(pk=parcel.pk).return_decision == "reship"


def test_re_ship_puts_the_same_goods_in_a_new_parcel_that_ships_and_delivers_the_order(
    catalogue, ledger_matches_levels
):
    # Given a parcel of two books returned to sender and received back on the shelf
    warehouse, desk = staff_member("Warehouse"), staff_member("Customer service")
    parcel = shipment_receive_back(shipment=returned(catalogue, quantity=2), actor=warehouse)
    free_before = StockLevel.objects.get(product=catalogue.book, warehouse=parcel.warehouse)

    # When customer service decides to ship it again
    shipment_return_decide(shipment=parcel, decision="reship", note="Address corrected", actor=desk)

    # Then a new pending parcel holds the two books, promised again from the same shelf
    order = parcel.order
    order.refresh_from_db()
    assert order.status == "partially_shipped"
    (new,) = order.shipments.exclude(pk=parcel.pk)
    assert (new.number, new.status, new.warehouse_id) == (f"{order.number}-2", "pending", parcel.warehouse_id)
    assert list(new.lines.values_list("order_line__sku", "quantity")) == [("BOOK-1", 2)]
    level = StockLevel.objects.get(pk=free_before.pk)
    assert level.allocated == free_before.allocated + 2
    reship = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.ORDER_RESHIP)
    assert reship.customer_visible and f"goes out again as {new.number}. Address corrected" in reship.note

    # And once it is picked, packed, dispatched and delivered, the order is delivered and invoiced
    shipment_packed(shipment=new, actor=warehouse)
    shipment_hand_to_carrier(shipment=new, actor=warehouse)
    order.refresh_from_db()
    assert order.status == "shipped"
    shipment_deliver(shipment=new, actor=warehouse)
    order.refresh_from_db()
    assert order.status == "invoiced"
    assert StockLevel.objects.get(pk=free_before.pk).on_hand == free_before.on_hand - 2
    ledger_matches_levels()


def test_re_ship_is_refused_and_changes_nothing_when_the_returned_units_were_sold_meanwhile(catalogue):
    # Given a returned parcel of two books received back, and another order that took every free book
    parcel = shipment_receive_back(shipment=returned(catalogue, quantity=2))
    level = StockLevel.objects.get(product=catalogue.book, warehouse=parcel.warehouse)
    order_build(lines=[(catalogue.book, level.on_hand - level.allocated)], state="on_hold")  # large: held, stock taken

    # When customer service decides to ship it again, it is told why not, and nothing changed
    with pytest.raises(ApplicationError, match="Not enough stock of BOOK-1"):
        shipment_return_decide(shipment=parcel, decision="reship", actor=staff_member("Customer service"))
    assert Shipment.objects.get(pk=parcel.pk).return_decision == ""
    assert parcel.order.shipments.count() == 1
    assert returned_parcels_undecided_count() == 1
