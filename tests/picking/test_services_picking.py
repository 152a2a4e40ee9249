"""pick_batch_create: one warehouse's pending parcels to picking in one step, or nothing changed."""

import pytest

from orders.models import OrderEvent, PickBatch, Shipment
from orders.services.fulfillment import shipment_start_picking
from orders.services.picking import PickBatchRefused, pick_batch_create, pick_batch_finish
from orders_site.core.exceptions import PermissionRefused
from tests.admin.journeys import place
from tests.builders import parcels_of, shipment_packed

pytestmark = pytest.mark.django_db


def to_pick(shelved, warehouse, lines, n=1):
    """n orders of `lines` started in the warehouse: their parcels wait to be picked."""
    return [parcels_of(place(shelved, lines=lines, state="in_fulfillment", actor=warehouse))[0] for _ in range(n)]


def states(shipments):
    return {s.number: (s.status, s.pick_batch_id) for s in Shipment.objects.filter(pk__in=[x.pk for x in shipments])}


def picking_events(shipments):
    return OrderEvent.objects.filter(
        order__in=[s.order_id for s in shipments], kind=OrderEvent.Kind.SHIPMENT_START_PICKING
    )


def test_a_batch_moves_every_parcel_to_picking_with_one_event_each(shelved, staff_users):
    # Given three parcels waiting in Amsterdam
    warehouse = staff_users["Warehouse"]
    parcels = to_pick(shelved, warehouse, [(shelved.chair, 1)], n=3)

    # When the warehouse batches them
    batch = pick_batch_create(shipments=parcels, actor=warehouse)

    # Then the batch is Amsterdam's, open, theirs, and every parcel is being picked in it
    assert (batch.warehouse, batch.state, batch.created_by) == (shelved.main, PickBatch.State.OPEN, warehouse)
    assert batch.number.startswith("PB-")
    assert set(states(parcels).values()) == {(Shipment.Status.PICKING, batch.pk)}
    # And each order's timeline says so once, naming the batch
    events = list(picking_events(parcels))
    assert sorted(e.order_id for e in events) == sorted(p.order_id for p in parcels)
    assert {e.data.get("pick_batch") for e in events} == {batch.number}


def test_batch_numbers_follow_each_other(shelved, staff_users):
    warehouse = staff_users["Warehouse"]
    first = pick_batch_create(shipments=to_pick(shelved, warehouse, [(shelved.chair, 1)]), actor=warehouse)
    second = pick_batch_create(shipments=to_pick(shelved, warehouse, [(shelved.chair, 1)]), actor=warehouse)

    assert int(second.number.removeprefix("PB-")) == int(first.number.removeprefix("PB-")) + 1


def assert_refused_and_nothing_changed(parcels, actor, message):
    before = states(parcels)
    events_before = picking_events(parcels).count()
    with pytest.raises((PickBatchRefused, PermissionRefused)) as refused:
        pick_batch_create(shipments=parcels, actor=actor)
    assert message in refused.value.message
    assert states(parcels) == before
    assert picking_events(parcels).count() == events_before
    assert not PickBatch.objects.exists()


def test_parcels_of_two_warehouses_are_refused(shelved, staff_users):
    warehouse = staff_users["Warehouse"]
    amsterdam = to_pick(shelved, warehouse, [(shelved.chair, 1)])
    rotterdam = to_pick(shelved, warehouse, [(shelved.book, 1)])

    assert_refused_and_nothing_changed(amsterdam + rotterdam, warehouse, "these parcels are in AMS, RTM")


def test_a_parcel_already_being_picked_is_refused(shelved, staff_users):
    warehouse = staff_users["Warehouse"]
    waiting, started = to_pick(shelved, warehouse, [(shelved.chair, 1)], n=2)
    shipment_start_picking(shipment=started, actor=warehouse)

    assert_refused_and_nothing_changed([waiting, started], warehouse, f"{started.number} is already past that")


def test_no_parcels_are_refused(shelved, staff_users):
    assert_refused_and_nothing_changed([], staff_users["Warehouse"], "Choose at least one parcel")


def test_customer_service_may_not_batch(shelved, staff_users):
    parcels = to_pick(shelved, staff_users["Warehouse"], [(shelved.chair, 1)], n=2)

    assert_refused_and_nothing_changed(parcels, staff_users["Customer service"], "You may not start picking")


def test_a_batch_is_done_once_every_parcel_is_packed(shelved, staff_users):
    warehouse = staff_users["Warehouse"]
    first, second = to_pick(shelved, warehouse, [(shelved.chair, 1)], n=2)
    batch = pick_batch_create(shipments=[first, second], actor=warehouse)
    shipment_packed(shipment=first, actor=warehouse)

    # While a parcel is still being picked, the batch stays open
    with pytest.raises(PickBatchRefused) as refused:
        pick_batch_finish(batch=batch, actor=warehouse)
    assert refused.value.message == f"Pack {second.number} first: the batch is done when every parcel is packed."
    batch.refresh_from_db()
    assert batch.state == PickBatch.State.OPEN

    # Once it is packed too, it is done; and done once
    shipment_packed(shipment=second, actor=warehouse)
    assert pick_batch_finish(batch=batch, actor=warehouse).state == PickBatch.State.DONE
    with pytest.raises(PickBatchRefused, match="done already"):
        pick_batch_finish(batch=batch, actor=warehouse)
    with pytest.raises(PermissionRefused):
        pick_batch_finish(batch=batch, actor=staff_users["Customer service"])
