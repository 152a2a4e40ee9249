"""Two pickers batching overlapping parcels at the same moment; a batch racing a cancellation."""

import pytest

from lifecycle.cancellation import order_cancel
from orders.models import OrderEvent, PickBatch, Shipment
from orders.services.picking import PickBatchRefused, pick_batch_create
from tests.builders import order_build, parcels_of

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def to_pick(catalogue, warehouse, n):
    return [
        parcels_of(order_build(lines=[(catalogue.chair, 1)], state="in_fulfillment", actor=warehouse))[0]
        for _ in range(n)
    ]


def test_two_pickers_batching_the_same_parcels_at_once_make_one_batch(catalogue, staff_users):
    warehouse, manager = staff_users["Warehouse"], staff_users["Managers"]
    parcels = to_pick(catalogue, warehouse, 3)

    outcomes = run_at_once(
        lambda: pick_batch_create(shipments=parcels, actor=warehouse),
        lambda: pick_batch_create(shipments=list(reversed(parcels[1:])), actor=manager),
    )

    assert sum(o.ok for o in outcomes) == 1, [o.error for o in outcomes]
    (refused,) = [o.error for o in outcomes if not o.ok]
    assert isinstance(refused, PickBatchRefused), refused
    batch = PickBatch.objects.get()
    picked = Shipment.objects.filter(pk__in=[p.pk for p in parcels])
    assert set(picked.filter(pick_batch=batch).values_list("status", flat=True)) == {Shipment.Status.PICKING}
    # a parcel only the refused picker chose stays waiting, in no batch
    assert set(picked.filter(pick_batch=None).values_list("status", flat=True)) <= {Shipment.Status.PENDING}
    assert OrderEvent.objects.filter(kind=OrderEvent.Kind.SHIPMENT_START_PICKING).count() == batch.shipments.count()


def test_a_batch_and_a_cancellation_at_once_end_consistent(catalogue, staff_users):
    warehouse, service = staff_users["Warehouse"], staff_users["Customer service"]
    parcels = to_pick(catalogue, warehouse, 2)
    cancelled_order = parcels[1].order

    outcomes = run_at_once(
        lambda: pick_batch_create(shipments=parcels, actor=warehouse),
        lambda: order_cancel(order=cancelled_order, actor=service, reason="Changed their mind"),
    )

    # Either the batch came first (the cancellation then cancels a parcel being picked), or the
    # cancellation did (the batch is refused: a parcel is no longer pending); never a deadlock.
    batch_ok, cancel_ok = (o.ok for o in outcomes)
    assert cancel_ok, outcomes[1].error
    if batch_ok:
        assert PickBatch.objects.count() == 1
    else:
        assert isinstance(outcomes[0].error, PickBatchRefused), outcomes[0].error
        assert not PickBatch.objects.exists()
        assert Shipment.objects.get(pk=parcels[0].pk).status == Shipment.Status.PENDING
    assert Shipment.objects.get(pk=parcels[1].pk).status == Shipment.Status.CANCELLED
