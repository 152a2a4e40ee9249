"""The packing table (orders/services/packing.py) and work items (orders/services/work_items.py):
every unit is confirmed by scan before a parcel is packed, and the workshop's work comes first."""

import pytest

from inventory.models import Product
from orders.models import OrderEvent, Shipment, ShipmentLine, WorkItem
from orders.services.fulfillment import shipment_pack, shipment_start_picking
from orders.services.packing import ScanRefused, shipment_scan
from orders.services.work_items import work_item_assign, work_item_finish, work_item_start
from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from tests.builders import CUSTOMER_SERVICE, order_build, parcels_of, staff_member

pytestmark = pytest.mark.django_db

CHAIR_EAN = "8712345678906"
LAMP_EAN = "8700000000017"


@pytest.fixture
def warehouse(staff_users):
    return staff_users["Warehouse"]


@pytest.fixture
def barcoded(catalogue):
    Product.objects.filter(pk=catalogue.chair.pk).update(barcode=CHAIR_EAN)
    Product.objects.filter(pk=catalogue.lamp.pk).update(barcode=LAMP_EAN)
    return catalogue


def picking(order, warehouse) -> Shipment:
    return shipment_start_picking(shipment=parcels_of(order)[0], actor=warehouse)


@pytest.fixture
def parcel(barcoded, warehouse):
    """Two chairs and one lamp from Amsterdam, being picked, nothing scanned."""
    order = order_build(lines=[(barcoded.chair, 2), (barcoded.lamp, 1)], state="in_fulfillment", actor=warehouse)
    return picking(order, warehouse)


def packed_counts(shipment) -> dict[str, tuple[int, int]]:
    return {
        line.order_line.sku: (line.packed_quantity, line.quantity)
        for line in ShipmentLine.objects.filter(shipment=shipment).select_related("order_line")
    }


def refused(shipment, code, count=1, actor=None) -> ScanRefused:
    before = (packed_counts(shipment), OrderEvent.objects.count(), Shipment.objects.get(pk=shipment.pk).status)
    with pytest.raises(ScanRefused) as caught:
        shipment_scan(shipment=shipment, code=code, count=count, actor=actor)
    after = (packed_counts(shipment), OrderEvent.objects.count(), Shipment.objects.get(pk=shipment.pk).status)
    assert after == before, "a refusal changes nothing"
    return caught.value


# -- scanning ---------------------------------------------------------------------------------------


def test_a_barcode_confirms_one_unit(parcel, warehouse):
    result = shipment_scan(shipment=parcel, code=CHAIR_EAN, actor=warehouse)

    assert result.message == "CHAIR-1: 1 of 2 packed"
    assert not result.complete
    assert packed_counts(parcel) == {"CHAIR-1": (1, 2), "LAMP-1": (0, 1)}


def test_a_typed_sku_in_any_case_with_spaces_confirms_too(parcel, warehouse):
    shipment_scan(shipment=parcel, code="  chair-1 ", actor=warehouse)
    shipment_scan(shipment=parcel, code="8712 3456 78906", actor=warehouse)

    assert packed_counts(parcel)["CHAIR-1"] == (2, 2)


def test_a_count_confirms_several_units_at_once_and_the_last_scan_completes_the_parcel(parcel, warehouse):
    shipment_scan(shipment=parcel, code=CHAIR_EAN, count=2, actor=warehouse)
    result = shipment_scan(shipment=parcel, code="LAMP-1", actor=warehouse)

    assert result.complete
    assert result.message == "LAMP-1: 1 of 1 packed — parcel complete"
    assert packed_counts(parcel) == {"CHAIR-1": (2, 2), "LAMP-1": (1, 1)}


def test_an_extra_unit_is_refused(parcel, warehouse):
    shipment_scan(shipment=parcel, code=LAMP_EAN, actor=warehouse)

    refusal = refused(parcel, LAMP_EAN)

    assert refusal.message == "All 1 of LAMP-1 are packed already: this one is extra. Put it back."
    assert refusal.extra["reason"] == "extra_unit"


def test_a_count_beyond_what_is_left_is_refused_whole(parcel, warehouse):
    shipment_scan(shipment=parcel, code=CHAIR_EAN, actor=warehouse)

    refusal = refused(parcel, CHAIR_EAN, count=2)

    assert refusal.message == "Only 1 more of CHAIR-1 belong in this parcel (1 of 2 packed); nothing was confirmed."
    assert refusal.extra == {"field": "count", "reason": "too_many"}


@pytest.mark.parametrize("count", [0, -1, 1000, True])
def test_a_count_that_is_not_1_to_999_is_refused(parcel, count):
    assert refused(parcel, CHAIR_EAN, count=count).extra == {"field": "count", "reason": "bad_count"}


def test_a_product_not_in_the_parcel_is_refused(parcel):
    refusal = refused(parcel, "book-1")

    assert refusal.message == "Woodworking book (BOOK-1) is not in this parcel. Put it back."
    assert refusal.extra["reason"] == "not_in_parcel"


def test_a_unit_of_another_open_order_is_refused_with_that_order(barcoded, parcel, warehouse):
    other = order_build(lines=[(barcoded.book, 2)], state="in_fulfillment", actor=warehouse)

    refusal = refused(parcel, "BOOK-1")

    assert refusal.message == f"“BOOK-1” belongs to order {other.number}, not to this parcel. Put it back."
    assert refusal.extra["reason"] == "other_order"


@pytest.mark.parametrize("code", ["4006381333931", "NO-SUCH-SKU"])
def test_an_unknown_code_is_refused(parcel, code):
    refusal = refused(parcel, code)

    assert refusal.message == f"Unknown code “{code}”: no product has this barcode or SKU."
    assert refusal.extra["reason"] == "unknown"


@pytest.mark.parametrize("code", ["", "   ", "x" * 65])
def test_an_empty_or_overlong_code_is_refused(parcel, code):
    assert refused(parcel, code).extra["reason"] == "unknown"


def test_a_parcel_not_being_picked_is_not_scanned(barcoded, warehouse):
    order = order_build(lines=[(barcoded.chair, 1)], state="in_fulfillment", actor=warehouse)
    pending = parcels_of(order)[0]

    refusal = refused(pending, CHAIR_EAN)

    assert refusal.extra["reason"] == "not_packing"
    assert refusal.message == f"Parcel {pending.number} is “Pending”: only a parcel being picked is packed."


# -- packing ----------------------------------------------------------------------------------------


def test_pack_is_refused_until_every_unit_is_confirmed(parcel, warehouse):
    shipment_scan(shipment=parcel, code=CHAIR_EAN, actor=warehouse)
    events = OrderEvent.objects.count()

    with pytest.raises(ApplicationError) as caught:
        shipment_pack(shipment=parcel, actor=warehouse)

    assert caught.value.message == ("The parcel is not complete yet: CHAIR-1: 1 of 2 scanned; LAMP-1: 0 of 1 scanned.")
    assert Shipment.objects.get(pk=parcel.pk).status == Shipment.Status.PICKING
    assert OrderEvent.objects.count() == events


def test_pack_succeeds_once_complete_with_one_event(parcel, warehouse):
    shipment_scan(shipment=parcel, code=CHAIR_EAN, count=2, actor=warehouse)
    shipment_scan(shipment=parcel, code=LAMP_EAN, actor=warehouse)

    packed = shipment_pack(shipment=parcel, actor=warehouse)

    assert packed.status == Shipment.Status.PACKED
    assert list(packed.order.events.filter(kind="shipment.pack").values_list("actor", flat=True)) == [warehouse.pk]


def test_customer_service_cannot_pack_even_a_complete_parcel(parcel, warehouse):
    shipment_scan(shipment=parcel, code=CHAIR_EAN, count=2, actor=warehouse)
    shipment_scan(shipment=parcel, code=LAMP_EAN, actor=warehouse)

    with pytest.raises(PermissionRefused):
        shipment_pack(shipment=parcel, actor=staff_member(CUSTOMER_SERVICE))

    assert Shipment.objects.get(pk=parcel.pk).status == Shipment.Status.PICKING


def test_the_database_keeps_packed_within_the_quantity(parcel):
    from django.db import IntegrityError, transaction

    line = parcel.lines.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        ShipmentLine.objects.filter(pk=line.pk).update(packed_quantity=line.quantity + 1)


# -- work items -------------------------------------------------------------------------------------


@pytest.fixture
def worked(barcoded, warehouse):
    """A chair to engrave and the assembly service, being picked: two work items."""
    order = order_build(
        lines=[(barcoded.chair, 1, "Engrave “Anna”"), (barcoded.assembly, 1)], state="in_fulfillment", actor=warehouse
    )
    return picking(order, warehouse)


def test_fulfilment_makes_one_work_item_per_service_or_customised_line(worked):
    items = list(WorkItem.objects.filter(shipment_line__shipment=worked).order_by("pk"))

    assert [(item.kind, item.description, item.status) for item in items] == [
        ("Oak chair", "Engrave “Anna”", "to_do"),
        ("Assembly service", "", "to_do"),
    ]
    assert {item.order_id for item in items} == {worked.order_id}


def test_a_plain_order_has_no_work_items(parcel):
    assert not WorkItem.objects.filter(order=parcel.order).exists()


def test_a_line_waiting_for_its_work_item_is_not_packed(worked):
    refusal = refused(worked, CHAIR_EAN)

    assert refusal.message == "CHAIR-1 waits for its work item “Oak chair” (to do): finish it before packing."
    assert refusal.extra["reason"] == "work_open"
    assert refused(worked, "ASSEMBLY").extra["reason"] == "service"


def test_pack_is_refused_until_every_work_item_is_done(worked, warehouse):
    engraving, assembly = WorkItem.objects.filter(order=worked.order).order_by("pk")
    work_item_finish(work_item=engraving, actor=warehouse)
    shipment_scan(shipment=worked, code=CHAIR_EAN, actor=warehouse)

    with pytest.raises(ApplicationError, match="ASSEMBLY: its work item “Assembly service” is to do"):
        shipment_pack(shipment=worked, actor=warehouse)

    work_item_finish(work_item=assembly, actor=warehouse)
    assert shipment_pack(shipment=worked, actor=warehouse).status == Shipment.Status.PACKED


@pytest.mark.parametrize(
    ("service", "steps", "kind", "after"),
    [
        (work_item_start, [], "workitem.start", "in_progress"),
        (work_item_finish, [], "workitem.finish", "done"),
        (work_item_finish, [work_item_start], "workitem.finish", "done"),
    ],
)
def test_work_item_transitions_write_one_event_each(worked, warehouse, service, steps, kind, after):
    item = WorkItem.objects.filter(order=worked.order).first()
    for step in steps:
        item = step(work_item=item, actor=warehouse)
    events = OrderEvent.objects.count()

    item = service(work_item=item, actor=warehouse)

    assert item.status == after
    assert OrderEvent.objects.count() == events + 1
    event = OrderEvent.objects.latest("pk")
    assert (event.kind, event.object_type, event.object_id, event.actor) == (kind, "workitem", item.pk, warehouse)
    assert event.order_id == worked.order_id


def test_starting_assigns_the_person_and_records_the_time(worked, warehouse):
    item = work_item_start(work_item=WorkItem.objects.filter(order=worked.order).first(), actor=warehouse)

    assert item.assignee == warehouse and item.started_at is not None


@pytest.mark.parametrize(
    ("service", "steps"),
    [
        (work_item_start, [work_item_start]),
        (work_item_start, [work_item_finish]),
        (work_item_finish, [work_item_finish]),
    ],
)
def test_work_item_transitions_refused_from_the_wrong_state(worked, warehouse, service, steps):
    item = WorkItem.objects.filter(order=worked.order).first()
    for step in steps:
        item = step(work_item=item, actor=warehouse)
    events = OrderEvent.objects.count()

    with pytest.raises(TransitionRefused):
        service(work_item=item, actor=warehouse)

    assert OrderEvent.objects.count() == events


def test_customer_service_cannot_start_a_work_item(worked):
    item = WorkItem.objects.filter(order=worked.order).first()

    with pytest.raises(PermissionRefused):
        work_item_start(work_item=item, actor=staff_member(CUSTOMER_SERVICE))

    assert WorkItem.objects.get(pk=item.pk).status == "to_do"


def test_assigning_writes_one_note_and_refuses_people_without_warehouse_rights(worked, warehouse):
    item = WorkItem.objects.filter(order=worked.order).first()
    events = OrderEvent.objects.count()

    work_item_assign(work_item=item, assignee=warehouse, actor=warehouse)
    with pytest.raises(ApplicationError, match="cannot do warehouse work"):
        work_item_assign(work_item=item, assignee=staff_member(CUSTOMER_SERVICE), actor=warehouse)

    assert WorkItem.objects.get(pk=item.pk).assignee == warehouse
    assert OrderEvent.objects.count() == events + 1
    assert OrderEvent.objects.latest("pk").kind == "workitem.assign"


def test_a_done_work_item_is_not_assigned(worked, warehouse):
    item = work_item_finish(work_item=WorkItem.objects.filter(order=worked.order).first(), actor=warehouse)

    with pytest.raises(ApplicationError, match="done already"):
        work_item_assign(work_item=item, assignee=warehouse, actor=warehouse)
