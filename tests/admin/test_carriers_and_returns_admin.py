"""The console for carriers, tracking, returned parcels and batch dispatch (issue 11, items 8-10):
managers keep the carriers, the warehouse picks one at dispatch (one parcel, or a batch with a
tracking number each), records tracking events and receives returned parcels back; customer
service decides refund or re-ship from its queue."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Carrier, OrderEvent, Shipment
from orders.services.fulfillment import shipment_fail_delivery, shipment_return_to_sender
from orders.services.returns import shipment_receive_back
from tests.builders import carrier_build, parcels_of, shipment_hand_to_carrier, stock_put

from .journeys import action_url, change_url, errors_in, place, press, successes_in

pytestmark = pytest.mark.django_db

CARRIERS = reverse("admin:orders_carrier_changelist")
BATCH = reverse("admin:orders_shipment_dispatch_batch")
SHIPMENTS = reverse("admin:orders_shipment_changelist")
QUEUE = SHIPMENTS + "?status__exact=returned_to_sender&return_decided_at__isnull=True"


@pytest.fixture
def carrier(db):
    return carrier_build()


@pytest.fixture
def books(catalogue):
    stock_put(product=catalogue.book, warehouse=catalogue.main, quantity=200)
    return catalogue


def packed(catalogue, staff_users) -> Shipment:
    return parcels_of(place(catalogue, state="packed", actor=staff_users["Warehouse"]))[0]


def returned_parcel(catalogue, staff_users, carrier) -> Shipment:
    warehouse = staff_users["Warehouse"]
    parcel = shipment_hand_to_carrier(shipment=packed(catalogue, staff_users), carrier=carrier, actor=warehouse)
    parcel = shipment_fail_delivery(shipment=parcel, actor=warehouse)
    return shipment_return_to_sender(shipment=parcel, actor=warehouse)


# -- carriers -------------------------------------------------------------------------------------


def test_a_manager_adds_a_carrier_and_sees_its_webhook_secret_and_url(staff_client):
    browser = staff_client("Managers")

    response = browser.post(
        reverse("admin:orders_carrier_add"),
        {
            "name": "DHL",
            "code": "dhl",
            "tracking_url_template": "https://dhl.example/t/{tracking_number}",
            "is_active": "on",
        },
        follow=True,
    )

    assert response.status_code == 200
    carrier = Carrier.objects.get(code="dhl")
    assert len(carrier.webhook_secret) >= 40
    page = browser.get(reverse("admin:orders_carrier_change", args=[carrier.pk])).text
    assert carrier.webhook_secret in page and "/hooks/carriers/dhl/" in page
    assert "DHL" in browser.get(CARRIERS).text


def test_a_template_without_the_tracking_number_is_refused_beside_the_field(staff_client):
    response = staff_client("Managers").post(
        reverse("admin:orders_carrier_add"),
        {"name": "DHL", "code": "dhl", "tracking_url_template": "https://dhl.example/track", "is_active": "on"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "tracking_url_template": ["The tracking URL template must contain {tracking_number}."]
    }
    assert not Carrier.objects.exists()


def test_the_warehouse_cannot_edit_carriers(staff_client, carrier):
    assert staff_client("Warehouse").get(CARRIERS).status_code == 403


def test_dispatch_offers_the_carriers_and_builds_the_link_from_the_template(
    catalogue, staff_users, staff_client, carrier
):
    parcel = packed(catalogue, staff_users)
    browser = staff_client("Warehouse")
    assert f'value="{carrier.pk}">PostNL</option>' in browser.get(change_url(parcel)).text

    response = press(browser, parcel, "dispatch", carrier_record=carrier.pk, tracking_number="3SXYZ", service="")

    parcel.refresh_from_db()
    assert successes_in(response) == [f"Shipment {parcel.number} is now “Shipped”."]
    assert (parcel.carrier, parcel.carrier_record, parcel.tracking_url) == (
        "PostNL",
        carrier,
        "https://track.example/postnl/3SXYZ",
    )
    assert 'href="https://track.example/postnl/3SXYZ"' in response.text


# -- tracking events by staff ---------------------------------------------------------------------


def test_staff_record_a_tracking_event_from_the_shipment_page(catalogue, staff_users, staff_client, carrier):
    parcel = shipment_hand_to_carrier(shipment=packed(catalogue, staff_users), carrier=carrier)
    browser = staff_client("Warehouse")

    response = press(browser, parcel, "record_tracking", kind="failed_attempt", occurred_at="2026-12-02 09:30")

    parcel.refresh_from_db()
    assert parcel.status == Shipment.Status.DELIVERY_FAILED
    assert successes_in(response) == [f"Tracking event recorded for parcel {parcel.number} (now “Delivery failed”)."]
    assert parcel.tracking_events.get().source == "staff"
    # what comes next is on the page: send again or return
    assert action_url(parcel, "redispatch") in response.text


def test_a_bad_tracking_event_time_is_refused_beside_the_field(catalogue, staff_users, staff_client, carrier):
    parcel = shipment_hand_to_carrier(shipment=packed(catalogue, staff_users), carrier=carrier)

    response = press(staff_client("Warehouse"), parcel, "record_tracking", kind="in_transit", occurred_at="tomorrow")

    assert response.status_code == 200
    assert errors_in(response) and "When" in errors_in(response)[0]
    assert not parcel.tracking_events.exists()


# -- returned parcels -----------------------------------------------------------------------------


def test_warehouse_receives_back_then_customer_service_decides(catalogue, staff_users, staff_client, carrier):
    parcel = returned_parcel(catalogue, staff_users, carrier)
    warehouse, service = staff_client("Warehouse"), staff_client("Customer service")
    assert action_url(parcel, "return_decide") not in service.get(change_url(parcel)).text

    response = press(warehouse, parcel, "receive_back")
    assert successes_in(response) == [f"Parcel {parcel.number} received back; its units are in stock again."]
    # the warehouse may not decide a refund; customer service sees the decision form
    assert action_url(parcel, "return_decide") not in response.text
    assert action_url(parcel, "return_decide") in service.get(change_url(parcel)).text

    response = press(service, parcel, "return_decide", decision="refund_due", note="Wants the money back")

    parcel.refresh_from_db()
    assert successes_in(response) == [f"Decision recorded for parcel {parcel.number}."]
    assert parcel.return_decision == "refund_due"
    assert OrderEvent.objects.filter(order=parcel.order, kind="shipment.return_decided").count() == 1


def test_the_returned_parcels_queue_costs_the_same_for_one_or_four_rows(books, staff_users, staff_client, carrier):
    browser = staff_client("Customer service")

    def add(n):
        for _ in range(n):
            shipment_receive_back(shipment=returned_parcel(books, staff_users, carrier))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = browser.get(QUEUE)
        assert response.status_code == 200
        return len(captured), len(response.context["cl"].result_list)

    browser.get(QUEUE)
    add(1)
    one = queries()
    add(3)
    four = queries()

    assert (one[1], four[1]) == (1, 4)
    assert one[0] == four[0], f"{one[0]} queries for 1 row, {four[0]} for 4"


# -- dispatching a batch --------------------------------------------------------------------------


def batch_page(browser, parcels):
    return browser.get(BATCH + "?ids=" + ",".join(str(p.pk) for p in parcels))


def test_the_list_action_opens_the_batch_page_with_a_field_per_parcel(books, staff_users, staff_client, carrier):
    parcels = [packed(books, staff_users) for _ in range(2)]
    browser = staff_client("Warehouse")

    response = browser.post(
        SHIPMENTS, {"action": "dispatch_batch", "_selected_action": [p.pk for p in parcels]}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(BATCH)
    for parcel in parcels:
        assert f'name="tracking_{parcel.pk}"' in response.text


def test_the_batch_page_costs_the_same_for_one_or_four_parcels(books, staff_users, staff_client, carrier):
    browser = staff_client("Warehouse")
    parcels = [packed(books, staff_users)]
    batch_page(browser, parcels)

    with CaptureQueriesContext(connection) as one:
        batch_page(browser, parcels)
    parcels += [packed(books, staff_users) for _ in range(3)]
    with CaptureQueriesContext(connection) as four:
        assert batch_page(browser, parcels).text.count('name="tracking_') == 4

    assert len(one) == len(four)


def test_a_batch_is_dispatched_with_a_tracking_number_each(books, staff_users, staff_client, carrier):
    parcels = [packed(books, staff_users) for _ in range(3)]
    data = {"ids": ",".join(str(p.pk) for p in parcels), "carrier": carrier.pk, "service": "Parcel"}
    data.update({f"tracking_{p.pk}": f"3SB{n}" for n, p in enumerate(parcels)})

    response = staff_client("Warehouse").post(BATCH, data, follow=True)

    assert successes_in(response) == ["3 parcel(s) dispatched with PostNL."]
    for n, parcel in enumerate(parcels):
        parcel.refresh_from_db()
        assert (parcel.status, parcel.tracking_number) == (Shipment.Status.SHIPPED, f"3SB{n}")
        assert parcel.tracking_url == f"https://track.example/postnl/3SB{n}"


def test_a_batch_with_a_duplicate_or_empty_number_dispatches_nothing_and_says_which(
    books, staff_users, staff_client, carrier
):
    parcels = [packed(books, staff_users) for _ in range(3)]
    data = {"ids": ",".join(str(p.pk) for p in parcels), "carrier": carrier.pk}
    data.update(
        {f"tracking_{parcels[0].pk}": "SAME", f"tracking_{parcels[1].pk}": "SAME", f"tracking_{parcels[2].pk}": ""}
    )

    response = staff_client("Warehouse").post(BATCH, data)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[f"tracking_{parcels[0].pk}"] == [
        "Tracking number SAME is given to more than one parcel of this batch."
    ]
    assert form.errors[f"tracking_{parcels[2].pk}"] == ["Enter the tracking number."]
    assert "Nothing was dispatched" in form.non_field_errors()[0]
    assert set(Shipment.objects.filter(pk__in=[p.pk for p in parcels]).values_list("status", flat=True)) == {"packed"}


def test_a_batch_number_the_carrier_used_before_is_refused(books, staff_users, staff_client, carrier):
    used = shipment_hand_to_carrier(shipment=packed(books, staff_users), carrier=carrier)
    parcel = packed(books, staff_users)

    response = staff_client("Warehouse").post(
        BATCH, {"ids": str(parcel.pk), "carrier": carrier.pk, f"tracking_{parcel.pk}": used.tracking_number}
    )

    assert response.context["form"].errors[f"tracking_{parcel.pk}"] == [
        f"PostNL tracking number {used.tracking_number} is on another parcel already."
    ]
    parcel.refresh_from_db()
    assert parcel.status == Shipment.Status.PACKED


def test_a_batch_without_a_carrier_is_refused_beside_the_field(books, staff_users, staff_client, carrier):
    parcel = packed(books, staff_users)

    response = staff_client("Warehouse").post(BATCH, {"ids": str(parcel.pk), f"tracking_{parcel.pk}": "X1"})

    assert response.context["form"].errors["carrier"] == ["Choose the carrier taking the batch."]


def test_customer_service_cannot_dispatch_a_batch(books, staff_users, staff_client):
    parcel = packed(books, staff_users)

    assert staff_client("Customer service").get(BATCH + f"?ids={parcel.pk}").status_code == 403
