"""A carrier retrying its webhook call while the first is still running (issue 11, item 9), on
PostgreSQL with real threads: the event is recorded once, the parcel moves once, the order is
invoiced once; and two batches dispatching the same parcels cannot both succeed."""

import pytest

from lifecycle.tracking import tracking_event_receive
from orders.models import EmailNotification, Order, OrderEvent, Shipment, TrackingEvent
from orders.services.dispatch_batch import ParcelDispatch, shipments_dispatch_batch
from tests.builders import carrier_build, order_build, parcels_of, shipment_hand_to_carrier, staff_member

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_delivered_event_at_once_delivers_and_invoices_once(require_postgres, catalogue):
    parcel = shipment_hand_to_carrier(
        shipment=parcels_of(order_build(lines=[(catalogue.book, 1)], state="packed"))[0], carrier=carrier_build()
    )

    def deliver():
        return tracking_event_receive(
            shipment=parcel, kind="delivered", occurred_at=None, external_id="EV-9", source="webhook", payload={}
        )

    outcomes = run_at_once(deliver, deliver, deliver, deliver)

    assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes]
    assert sorted(outcome.value.duplicate for outcome in outcomes) == [False, True, True, True]
    order = Order.objects.get(pk=parcel.order_id)
    assert TrackingEvent.objects.count() == 1
    assert OrderEvent.objects.filter(order=order, kind="shipment.deliver").count() == 1
    assert order.invoices.count() == 1 and order.status == Order.Status.INVOICED
    assert EmailNotification.objects.filter(order=order, kind="parcel_delivered").count() == 1


def test_two_batches_with_the_same_parcels_do_not_both_dispatch(require_postgres, catalogue):
    carrier = carrier_build()
    parcels = [parcels_of(order_build(lines=[(catalogue.book, 1)], state="packed"))[0] for _ in range(3)]
    warehouse = staff_member("Warehouse")

    def batch(prefix, order):
        return lambda: shipments_dispatch_batch(
            parcels=[ParcelDispatch(shipment=p, tracking_number=f"{prefix}{p.pk}") for p in order],
            carrier=carrier,
            actor=warehouse,
        )

    outcomes = run_at_once(batch("A", parcels), batch("B", list(reversed(parcels))))

    assert sorted(outcome.ok for outcome in outcomes) == [False, True]
    winner = next(o for o in outcomes if o.ok)
    prefix = winner.value[0].tracking_number[0]
    for parcel in Shipment.objects.filter(pk__in=[p.pk for p in parcels]):
        assert parcel.status == Shipment.Status.SHIPPED and parcel.tracking_number.startswith(prefix)
    assert "not packed" in str(next(o for o in outcomes if not o.ok).error.problems)
