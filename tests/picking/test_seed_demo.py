"""`make run`'s demo data shows the warehouse's queues and a pick batch (issue 11)."""

import pytest
from django.core.management import call_command

from orders.models import PickBatch, Shipment
from orders.selectors.pick_lists import NO_BIN, pick_list_for_batch

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_parcels_to_pick_pack_and_ship_and_an_open_batch():
    call_command("seed_demo", history=0, verbosity=0)

    statuses = list(Shipment.objects.values_list("status", flat=True))
    for status in (Shipment.Status.PENDING, Shipment.Status.PICKING, Shipment.Status.PACKED):
        assert status in statuses, status
    assert not Shipment.objects.filter(status__in=["pending", "picking", "packed"], dispatch_by=None).exists()
    batch = PickBatch.objects.get(state=PickBatch.State.OPEN)
    rows = [row for warehouse in pick_list_for_batch(batch=batch).warehouses for row in warehouse.rows]
    assert len(rows) >= 2 and all(row.bin_code != NO_BIN for row in rows)
    assert [row.walk_order for row in rows] == sorted(row.walk_order for row in rows)
