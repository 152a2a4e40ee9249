"""The shipment page: the warehouse's buttons, dispatch with carrier and tracking, refusals."""

import pytest

from orders.models import Order, Shipment
from tests.builders import parcels_of, shipment_scan_all

from .journeys import action_url, change_url, errors_in, place, press, successes_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_shipment(catalogue, staff_users):
    order = place(catalogue, state="in_fulfillment", actor=staff_users["Warehouse"])
    return order.shipments.get()


@pytest.fixture
def packed_shipment(catalogue, staff_users):
    (shipment,) = parcels_of(place(catalogue, state="packed", actor=staff_users["Warehouse"]))
    return shipment


@pytest.fixture
def shipped_shipment(catalogue, staff_users):
    (shipment,) = parcels_of(place(catalogue, state="shipped", actor=staff_users["Warehouse"]))
    return shipment


def test_warehouse_sees_the_shipment_with_its_address_and_the_next_button(pending_shipment, staff_client):
    response = staff_client("Warehouse").get(change_url(pending_shipment))

    assert response.status_code == 200
    assert "Prinsengracht 263" in response.text
    assert action_url(pending_shipment, "start_picking") in response.text
    assert action_url(pending_shipment, "dispatch") not in response.text


def test_customer_service_sees_the_shipment_but_gets_no_warehouse_buttons(pending_shipment, staff_client):
    browser = staff_client("Customer service")
    events = pending_shipment.order.events.count()

    page = browser.get(change_url(pending_shipment))
    response = press(browser, pending_shipment, "start_picking")

    assert page.status_code == 200
    assert action_url(pending_shipment, "start_picking") not in page.text
    assert errors_in(response) == [f"You are not allowed to start picking shipment {pending_shipment.number}."]
    pending_shipment.refresh_from_db()
    assert pending_shipment.status == Shipment.Status.PENDING
    assert pending_shipment.order.events.count() == events


FIELDS = {
    "dispatch": {"carrier": "PostNL", "service": "", "tracking_number": "3S1", "tracking_url": ""},
    "fail_delivery": {"note": "Nobody home"},
    "return_to_sender": {"note": "Refused by the customer"},
}
TO_SHIPPED = ["start_picking", "pack", "dispatch"]
ROUTE_TO = {
    "pending": [],
    "picking": ["start_picking"],
    "shipped": TO_SHIPPED,
    "in_transit": [*TO_SHIPPED, "mark_in_transit"],
    "delivery_failed": [*TO_SHIPPED, "mark_in_transit", "fail_delivery"],
}


def press_step(browser, shipment, action):
    shipment.refresh_from_db()
    if action == "pack" and shipment.status == "picking":
        shipment_scan_all(shipment=shipment)  # at the packing table first: every unit confirmed
    return press(browser, shipment, action, **FIELDS.get(action, {}))


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("start_picking", "pending", "picking"),
        ("pack", "picking", "packed"),
        ("mark_in_transit", "shipped", "in_transit"),
        ("deliver", "shipped", "delivered"),
        ("deliver", "in_transit", "delivered"),
        ("fail_delivery", "in_transit", "delivery_failed"),
        ("redispatch", "delivery_failed", "shipped"),
        ("return_to_sender", "delivery_failed", "returned_to_sender"),
    ],
)
def test_each_warehouse_button_moves_the_shipment_and_writes_one_event(
    pending_shipment, staff_users, staff_client, action, before, after
):
    # Given a shipment in the state the button is for, reached by pressing the buttons before it
    browser = staff_client("Warehouse")
    for step in ROUTE_TO[before]:
        press_step(browser, pending_shipment, step)
    pending_shipment.refresh_from_db()
    assert pending_shipment.status == before
    own_events = pending_shipment.order.events.filter(object_type="shipment", object_id=pending_shipment.pk)
    events = own_events.count()

    # When the warehouse presses the button
    response = press_step(browser, pending_shipment, action)

    # Then the shipment moved, with one event of its own, by them
    pending_shipment.refresh_from_db()
    assert pending_shipment.status == after
    assert successes_in(response) == [
        f"Shipment {pending_shipment.number} is now “{pending_shipment.get_status_display()}”."
    ]
    assert own_events.count() == events + 1
    assert own_events.last().actor == staff_users["Warehouse"]
    assert own_events.last().note == FIELDS.get(action, {}).get("note", "")


@pytest.mark.parametrize(
    ("action", "state"),
    [("pack", "pending"), ("dispatch", "picking"), ("deliver", "packed"), ("redispatch", "shipped")],
)
def test_a_button_pressed_in_the_wrong_state_is_refused(pending_shipment, staff_client, action, state):
    # Given a shipment in a state the button is not for
    browser = staff_client("Warehouse")
    for step in {"pending": [], "picking": ["start_picking"], "packed": ["start_picking", "pack"]}.get(
        state, ROUTE_TO.get(state, [])
    ):
        press_step(browser, pending_shipment, step)
    pending_shipment.refresh_from_db()
    events = pending_shipment.order.events.count()

    # When the button is posted anyway (a forged or very old page)
    response = press_step(browser, pending_shipment, action)

    # Then it is refused and nothing changes
    assert len(errors_in(response)) == 1
    assert errors_in(response)[0].startswith("Cannot ")
    pending_shipment.refresh_from_db()
    assert pending_shipment.status == state
    assert pending_shipment.order.events.count() == events


def test_a_button_from_a_stale_page_is_refused(pending_shipment, staff_client):
    browser = staff_client("Warehouse")
    press(browser, pending_shipment, "start_picking")
    events = pending_shipment.order.events.count()

    response = press(browser, pending_shipment, "pack", guard={"expected_status": "pending"})

    assert errors_in(response) == [
        f"Shipment {pending_shipment.number} changed to “Picking” since you opened it; "
        "nothing was done. Reload and try again."
    ]
    pending_shipment.refresh_from_db()
    assert pending_shipment.status == Shipment.Status.PICKING
    assert pending_shipment.order.events.count() == events


def test_dispatch_with_carrier_and_tracking_ships_the_order(
    packed_shipment, staff_client, staff_users, mailoutbox, django_capture_on_commit_callbacks
):
    browser = staff_client("Warehouse")

    with django_capture_on_commit_callbacks(execute=True):
        response = press(
            browser,
            packed_shipment,
            "dispatch",
            carrier="PostNL",
            service="Parcel",
            tracking_number="3SABC123",
            tracking_url="https://track.example/3SABC123",
        )

    packed_shipment.refresh_from_db()
    order = packed_shipment.order
    order.refresh_from_db()
    assert packed_shipment.status == Shipment.Status.SHIPPED
    assert (packed_shipment.carrier, packed_shipment.tracking_number) == ("PostNL", "3SABC123")
    assert packed_shipment.tracking_url == "https://track.example/3SABC123"
    assert order.status == Order.Status.SHIPPED
    assert successes_in(response) == [f"Shipment {packed_shipment.number} is now “Shipped”."]
    assert order.events.get(kind="shipment.dispatch").actor == staff_users["Warehouse"]
    assert [m.subject for m in mailoutbox][-1] == f"Your order {order.number} is on its way"
    # The page now shows the tracking link and the next steps
    assert 'href="https://track.example/3SABC123"' in response.text
    assert action_url(packed_shipment, "mark_in_transit") in response.text


def test_dispatch_without_tracking_number_is_refused_beside_the_field_and_keeps_what_was_typed(
    packed_shipment, staff_client
):
    browser = staff_client("Warehouse")
    events = packed_shipment.order.events.count()

    response = press(
        browser, packed_shipment, "dispatch", carrier="DHL", service="", tracking_number="", tracking_url=""
    )

    assert errors_in(response) == ["Enter the tracking number before dispatching."]
    form_html = response.text.split('id="staff-action-dispatch"')[1].split("</form>")[0]
    assert "Enter the tracking number before dispatching." in form_html
    assert 'value="DHL"' in form_html
    packed_shipment.refresh_from_db()
    assert packed_shipment.status == Shipment.Status.PACKED
    assert packed_shipment.order.events.count() == events
    # The kept input is shown once: a reload shows a fresh form
    assert (
        "Enter the tracking number"
        not in browser.get(change_url(packed_shipment)).text.split('id="staff-action-dispatch"')[1].split("</form>")[0]
    )


def test_dispatch_with_a_bad_tracking_url_is_refused_with_a_clear_message(packed_shipment, staff_client):
    response = press(
        staff_client("Warehouse"),
        packed_shipment,
        "dispatch",
        carrier="DHL",
        tracking_number="JJD01",
        tracking_url="not a url",
    )

    assert errors_in(response) == ["Dispatch: Tracking URL: Enter a valid URL."]
    packed_shipment.refresh_from_db()
    assert packed_shipment.status == Shipment.Status.PACKED


def test_dispatch_pressed_twice_is_refused_the_second_time(packed_shipment, staff_client):
    browser = staff_client("Warehouse")
    fields = {"carrier": "DHL", "tracking_number": "JJD01", "service": "", "tracking_url": ""}
    press(browser, packed_shipment, "dispatch", guard={"expected_status": "packed"}, **fields)
    events = packed_shipment.order.events.count()

    response = press(browser, packed_shipment, "dispatch", guard={"expected_status": "packed"}, **fields)

    assert errors_in(response) == [
        f"Shipment {packed_shipment.number} changed to “Shipped” since you opened it; "
        "nothing was done. Reload and try again."
    ]
    assert packed_shipment.order.events.count() == events


def test_shipment_list_filters_and_search(shipped_shipment, staff_client):
    browser = staff_client("Warehouse")

    by_status = browser.get("/admin/orders/shipment/", {"status__exact": "shipped"})
    by_tracking = browser.get("/admin/orders/shipment/", {"q": shipped_shipment.tracking_number})
    by_order = browser.get("/admin/orders/shipment/", {"q": shipped_shipment.order.number})

    for response in (by_status, by_tracking, by_order):
        assert list(response.context["cl"].result_list) == [shipped_shipment]


def test_the_shipment_list_shows_each_dispatched_parcels_carrier_and_tracking_link(
    shipped_shipment, pending_shipment, staff_client
):
    page = staff_client("Warehouse").get("/admin/orders/shipment/").text

    parcel = Shipment.objects.get(pk=shipped_shipment.pk)
    assert parcel.tracking_url.startswith("http")
    assert f'<a href="{parcel.tracking_url}" rel="noopener noreferrer" target="_blank">' in page
    assert f"{parcel.carrier} {parcel.tracking_number}</a>" in page
