"""A day in the warehouse, end to end (issue 11's acceptance walk): three orders from two warehouses
picked in batches (pick list PDFs read back: bins in walking order, quantities summed), packed by
scanning with one wrong scan refused, dispatched as a batch with a tracking number per parcel, and
delivered by the carrier's signed webhook; then the timeline, the ledger and the e-mails."""

import json
import time

import pytest
from django.urls import reverse

from hooks.signatures import signature_for
from inventory.models import StockMovement
from lifecycle.pick_lists import pick_list_pdf_render
from orders.models import EmailNotification, Order, OrderEvent, Shipment
from orders.selectors.pick_lists import pick_list_for_batch
from orders.services.dispatch_batch import ParcelDispatch, shipments_dispatch_batch
from orders.services.fulfillment import order_fulfillment_start, shipment_pack
from orders.services.packing import ScanRefused, shipment_scan
from orders.services.picking import pick_batch_create
from tests.builders import WAREHOUSE, bin_put, carrier_build, order_build, staff_member
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db

SECRET = "day-secret"


def carrier_says(client, *, parcel: Shipment, kind: str, event_id: str):
    """The carrier's webhook call, signed as the carrier signs it."""
    raw = json.dumps(
        {
            "event_id": event_id,
            "tracking_number": parcel.tracking_number,
            "kind": kind,
            "occurred_at": "2026-12-02T15:00:00+01:00",
        }
    ).encode()
    timestamp = str(int(time.time()))
    return client.post(
        reverse("hooks:carrier_webhook", args=["postnl"]),
        data=raw,
        content_type="application/json",
        HTTP_X_CARRIER_TIMESTAMP=timestamp,
        HTTP_X_CARRIER_SIGNATURE=signature_for(secret=SECRET, timestamp=timestamp, body=raw),
    )


def test_three_orders_from_two_warehouses_picked_packed_dispatched_and_delivered(
    catalogue, client, ledger_matches_levels
):
    # given chairs on the far shelf of Amsterdam walked first, lamps on a near one walked last, books
    # in Rotterdam; and three verified orders, two of them from both warehouses
    picker = staff_member(WAREHOUSE)
    bin_put(product=catalogue.chair, warehouse=catalogue.main, code="Z-09", walk_order=1)
    bin_put(product=catalogue.lamp, warehouse=catalogue.main, code="A-01", walk_order=2)
    bin_put(product=catalogue.book, warehouse=catalogue.second, code="R-01", walk_order=1)
    orders = [
        order_build(lines=[(catalogue.chair, 2), (catalogue.book, 1)]),
        order_build(lines=[(catalogue.chair, 1), (catalogue.book, 2)]),
        order_build(lines=[(catalogue.chair, 1), (catalogue.lamp, 1)]),
    ]
    for order in orders:
        order_fulfillment_start(order=order, actor=picker)
    amsterdam = list(Shipment.objects.filter(warehouse=catalogue.main).order_by("pk"))
    rotterdam = list(Shipment.objects.filter(warehouse=catalogue.second).order_by("pk"))
    assert (len(amsterdam), len(rotterdam)) == (3, 2)

    # when the picker makes one batch per warehouse and prints its pick list
    batches = [pick_batch_create(shipments=parcels, actor=picker) for parcels in (amsterdam, rotterdam)]
    texts = [pdf_text(pick_list_pdf_render(pick_list=pick_list_for_batch(batch=batch))) for batch in batches]

    # then every parcel is being picked, and each list walks the bins in order with quantities summed
    assert set(Shipment.objects.values_list("status", flat=True)) == {Shipment.Status.PICKING}
    amsterdam_text, rotterdam_text = texts
    assert amsterdam_text.index("Z-09") < amsterdam_text.index("A-01"), "walk order, not bin code order"
    amsterdam_rows = [
        (row.bin_code, row.sku, row.quantity) for row in pick_list_for_batch(batch=batches[0]).warehouses[0].rows
    ]
    assert amsterdam_rows == [("Z-09", "CHAIR-1", 4), ("A-01", "LAMP-1", 1)]
    assert "CHAIR-1" in amsterdam_text and all(order.number in amsterdam_text for order in orders)
    assert "R-01" in rotterdam_text and "BOOK-1" in rotterdam_text and "3" in rotterdam_text

    # when the packer scans the first Amsterdam parcel and scans a lamp that is not in it
    first = amsterdam[0]
    with pytest.raises(ScanRefused) as wrong:
        shipment_scan(shipment=first, code=catalogue.lamp.barcode or "LAMP-1", actor=picker)
    # then it is refused and nothing is confirmed; it cannot be packed until every unit is scanned
    assert wrong.value.extra["reason"] in {"not_in_parcel", "other_order"}
    assert not first.lines.filter(packed_quantity__gt=0).exists()
    with pytest.raises(Exception, match="(?i)scan|confirm|not complete|missing"):
        shipment_pack(shipment=first, actor=picker)

    # when every parcel's units are scanned (one scan per unit, or with a count) and packed
    for parcel in amsterdam + rotterdam:
        for line in parcel.lines.select_related("order_line"):
            shipment_scan(shipment=parcel, code=line.order_line.sku, count=line.quantity, actor=picker)
        shipment_pack(shipment=parcel, actor=picker)

    # and the packed batches go to PostNL with a tracking number per parcel
    postnl = carrier_build(webhook_secret=SECRET)
    parcels = amsterdam + rotterdam
    shipments_dispatch_batch(
        parcels=[ParcelDispatch(shipment=p, tracking_number=f"3SDAY{index:04d}") for index, p in enumerate(parcels)],
        carrier=postnl,
        actor=picker,
    )

    # then stock left the shelves and every order is shipped with tracking links
    assert {order.status for order in Order.objects.filter(pk__in=[o.pk for o in orders])} == {Order.Status.SHIPPED}
    dispatched = list(Shipment.objects.filter(pk__in=[p.pk for p in parcels]).order_by("pk"))
    assert all(p.tracking_url == f"https://track.example/postnl/{p.tracking_number}" for p in dispatched)

    # when the carrier reports each parcel in transit, out for delivery and delivered (one call repeated)
    for parcel in dispatched:
        for step, kind in enumerate(("in_transit", "out_for_delivery", "delivered")):
            response = carrier_says(client, parcel=parcel, kind=kind, event_id=f"{parcel.tracking_number}-{step}")
            assert response.status_code == 200, response.content
    repeat = carrier_says(client, parcel=dispatched[0], kind="delivered", event_id=f"{dispatched[0].tracking_number}-2")

    # then every parcel is delivered and every order invoiced, the repeat changing nothing
    assert repeat.status_code == 200
    assert set(Shipment.objects.filter(pk__in=[p.pk for p in parcels]).values_list("status", flat=True)) == {
        Shipment.Status.DELIVERED
    }
    for order in orders:
        order.refresh_from_db()
        assert order.status == Order.Status.INVOICED
        kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
        for expected in (
            "shipment.start_picking",
            "shipment.pack",
            "shipment.dispatch",
            "shipment.mark_in_transit",
            "shipment.out_for_delivery",
            "shipment.deliver",
            "order.ship",
            "order.deliver",
            "invoice.issue",
        ):
            assert expected in kinds, (order.number, expected)
        assert kinds.count("shipment.deliver") == order.shipments.count(), "the repeated call moved nothing"
        told = set(EmailNotification.objects.filter(order=order).values_list("kind", flat=True))
        assert {
            EmailNotification.Kind.ORDER_SHIPPED,
            EmailNotification.Kind.OUT_FOR_DELIVERY,
            EmailNotification.Kind.PARCEL_DELIVERED,
        } <= told
    # and the ledger shows each unit leaving once: 4 chairs, 1 lamp, 3 books dispatched
    dispatched_units = {
        sku: -sum(m.on_hand_delta for m in StockMovement.objects.filter(kind="dispatch", stock_level__product__sku=sku))
        for sku in ("CHAIR-1", "LAMP-1", "BOOK-1")
    }
    assert dispatched_units == {"CHAIR-1": 4, "LAMP-1": 1, "BOOK-1": 3}
    ledger_matches_levels()
