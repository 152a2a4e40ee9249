"""Picking: a batch (wave) of one warehouse's pending parcels, picked in one walk."""

from collections.abc import Iterable

from django.db import transaction

from orders_site.core.exceptions import ApplicationError, PermissionRefused
from orders_site.core.sequences import sequence_next

from ..locks import orders_of_shipments_lock, pick_batch_lock, shipments_lock
from ..models import PickBatch, Shipment
from .transitions import transition_run


class PickBatchRefused(ApplicationError):
    """The chosen parcels cannot be picked as one batch."""


@transaction.atomic
def pick_batch_create(*, shipments: Iterable[Shipment], actor) -> PickBatch:
    """Make one pick batch of these parcels and move each to picking.

    All must be pending and of one warehouse. Locks: their orders, then the shipments (both in
    primary-key order, orders.locks). Writes one "picking started" event per shipment on its
    order's timeline (transition_run). Queues nothing. Raises PickBatchRefused (none chosen, mixed
    warehouses, a parcel not pending) and PermissionRefused (the actor may not fulfil orders),
    before writing anything.
    """
    shipment_ids = sorted({shipment.pk for shipment in shipments})
    if not shipment_ids:
        raise PickBatchRefused("Choose at least one parcel to pick.")
    orders_of_shipments_lock(shipment_ids=shipment_ids)
    locked = shipments_lock(shipment_ids=shipment_ids)
    warehouses = sorted({shipment.warehouse.code for shipment in locked})
    if len(warehouses) > 1:
        raise PickBatchRefused(
            f"A pick batch is picked in one warehouse; these parcels are in {', '.join(warehouses)}. "
            "Filter the list by warehouse and choose again."
        )
    not_pending = [shipment.number for shipment in locked if shipment.status != Shipment.Status.PENDING]
    if not_pending:
        raise PickBatchRefused(
            f"Only parcels waiting to be picked can be batched; {', '.join(not_pending)} "
            f"{'is' if len(not_pending) == 1 else 'are'} already past that."
        )
    if actor is None or not actor.has_perm("orders.fulfil_order"):
        raise PermissionRefused("You may not start picking parcels.")
    warehouse = locked[0].warehouse
    batch = PickBatch.objects.create(
        number=f"PB-{sequence_next(name='pick_batch'):05d}", warehouse=warehouse, created_by=actor
    )
    for shipment in locked:
        transition_run(
            model=Shipment,
            pk=shipment.pk,
            transition="start_picking",
            actor=actor,
            expected_status=Shipment.Status.PENDING,
            fields={"pick_batch": batch},
            data={"pick_batch": batch.number},
        )
    return batch


@transaction.atomic
def pick_batch_finish(*, batch: PickBatch, actor) -> PickBatch:
    """Mark a batch done once none of its parcels waits to be picked any more (each packed, or
    cancelled with its order).

    Locks: the batch row alone (orders.locks.pick_batch_lock). Queues nothing. Raises
    PickBatchRefused (done already, parcels still being picked) and PermissionRefused, before
    writing anything.
    """
    if actor is None or not actor.has_perm("orders.fulfil_order"):
        raise PermissionRefused("You may not finish pick batches.")
    locked = pick_batch_lock(batch_id=batch.pk)
    if locked.state == PickBatch.State.DONE:
        raise PickBatchRefused(f"Pick batch {locked.number} is done already.")
    still = list(
        locked.shipments.filter(status__in=[Shipment.Status.PENDING, Shipment.Status.PICKING])
        .order_by("pk")
        .values_list("number", flat=True)
    )
    if still:
        raise PickBatchRefused(f"Pack {', '.join(still)} first: the batch is done when every parcel is packed.")
    locked.state = PickBatch.State.DONE
    locked.save(update_fields=["state", "updated_at"])
    return locked
