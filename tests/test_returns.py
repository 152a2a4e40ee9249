"""Failed delivery and return to sender end somewhere (issue 11, item 10): the returned parcel's
units go back on the shelf once (a ledger movement of kind return), then customer service records
refund due or re-ship, and until then the parcel waits in the console's queue."""

import pytest

from inventory.models import StockLevel, StockMovement
from orders.models import OrderEvent, Shipment
from orders.selectors.returns import returned_parcels_undecided_count
from orders.services.fulfillment import shipment_fail_delivery, shipment_return_to_sender
from orders.services.returns import shipment_receive_back, shipment_return_decide
from orders_site.core.exceptions import ApplicationError
from tests.builders import order_build, parcels_of, staff_member

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
