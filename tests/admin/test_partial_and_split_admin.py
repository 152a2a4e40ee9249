"""The console side of issue 11 item 5: "Ship what is in stock now" on a back-ordered order and the
"Split parcel" page of a shipment (permissions, bad input beside its field, query counts)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, OrderEvent, Shipment
from orders.services.fulfillment import shipment_pack, shipment_start_picking
from orders.services.packing import shipment_scan
from orders.services.splitting import quantity_field, shipment_split
from tests.builders import parcels_of, product_build, shipment_packed, stock_put

from .journeys import action_url, change_url, errors_in, messages_in, place, press, successes_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def onlooker(db):
    """A staff member who may view orders and shipments, and do nothing else."""
    person = User.objects.create_user("onlooker", is_staff=True)
    person.user_permissions.set(
        Permission.objects.filter(content_type__app_label="orders", codename__in=["view_order", "view_shipment"])
    )
    browser = Client()
    browser.force_login(person)
    return browser


def split_url(shipment) -> str:
    return reverse("admin:orders_shipment_split", args=[shipment.pk])


@pytest.fixture
def backordered(catalogue):
    """A book and two desks; one desk in stock (Rotterdam), one back-ordered."""
    desk = product_build(sku="DESK-1", name="Walnut desk", price=Decimal("60.00"), is_backorderable=True)
    stock_put(product=desk, warehouse=catalogue.second, quantity=1)
    return place(catalogue, lines=[(catalogue.book, 1), (desk, 2)], state="backordered")


@pytest.fixture
def parcel(catalogue, staff_users):
    """A pending Rotterdam parcel with four books and two lamps."""
    order = place(catalogue, lines=[(catalogue.book, 4), (catalogue.lamp, 2)], state="in_fulfillment")
    (shipment,) = parcels_of(order)
    return shipment


def line_ids(shipment) -> dict[str, int]:
    return {line.order_line.sku: line.pk for line in shipment.lines.select_related("order_line")}


def split_post(browser, shipment, quantities: dict[int, str], expected_status: str | None = None):
    data = {quantity_field(pk): value for pk, value in quantities.items()}
    data["expected_status"] = expected_status or shipment.status
    return browser.post(split_url(shipment), data)


def nothing_changed(shipment):
    return (
        Shipment.objects.filter(order_id=shipment.order_id).count(),
        sorted(shipment.lines.values_list("pk", "quantity")),
        OrderEvent.objects.filter(order_id=shipment.order_id).count(),
    )


# -- Ship what is in stock now ----------------------------------------------------------------------


@pytest.mark.parametrize("group", ["Customer service", "Warehouse"])
def test_staff_ship_what_is_in_stock_from_the_order_page(backordered, staff_client, group):
    browser = staff_client(group)
    page = browser.get(change_url(backordered))
    assert page.status_code == 200
    assert action_url(backordered, "ship_available") in page.text
    assert "Ship what is in stock now" in page.text

    response = press(browser, backordered, "ship_available")

    assert successes_in(response) == [
        f"Order {backordered.number} is now “In fulfilment”: what is in stock goes ahead, the rest follows."
    ]
    backordered.refresh_from_db()
    assert (backordered.status, backordered.backorder_rest) == (Order.Status.IN_FULFILLMENT, True)
    (shipment,) = parcels_of(backordered)
    assert sorted(shipment.lines.values_list("order_line__sku", "quantity")) == [("BOOK-1", 1), ("DESK-1", 1)]
    order_page = browser.get(change_url(backordered)).text
    assert "sent what is in stock to the warehouse" in order_page
    assert "Back-ordered rest to follow" in order_page


def test_ship_what_is_in_stock_with_nothing_in_stock_says_why(catalogue, staff_client):
    stand = product_build(sku="STAND-1", name="Lamp stand", is_backorderable=True)
    order = place(catalogue, lines=[(stand, 1)], state="backordered")
    browser = staff_client("Customer service")

    response = press(browser, order, "ship_available")

    assert response.status_code == 200
    assert errors_in(response) == [
        f"Nothing of order {order.number} is in stock yet, so there is nothing to ship now; "
        "it stays back-ordered until stock arrives."
    ]
    order.refresh_from_db()
    assert order.status == Order.Status.BACKORDERED and not order.shipments.exists()


def test_staff_who_may_only_look_get_no_button_and_are_refused(backordered, onlooker):
    page = onlooker.get(change_url(backordered))
    response = press(onlooker, backordered, "ship_available")

    assert page.status_code == 200
    assert action_url(backordered, "ship_available") not in page.text
    assert errors_in(response), messages_in(response)
    backordered.refresh_from_db()
    assert backordered.status == Order.Status.BACKORDERED and not backordered.shipments.exists()


# -- Split parcel ---------------------------------------------------------------------------------


def test_the_warehouse_splits_a_parcel_from_its_page(parcel, staff_client):
    browser = staff_client("Warehouse")
    page = browser.get(change_url(parcel))
    assert split_url(parcel) in page.text and "Split parcel" in page.text

    form = browser.get(split_url(parcel))
    assert form.status_code == 200
    ids = line_ids(parcel)
    for pk in ids.values():
        assert f'name="{quantity_field(pk)}"' in form.text

    response = split_post(browser, parcel, {ids["BOOK-1"]: "1", ids["LAMP-1"]: ""})

    assert response.status_code == 302 and response.url == change_url(parcel)
    new = Shipment.objects.get(number=f"{parcel.order.number}-2")
    assert list(new.lines.values_list("order_line__sku", "quantity")) == [("BOOK-1", 1)]
    assert sorted(parcel.lines.values_list("order_line__sku", "quantity")) == [("BOOK-1", 3), ("LAMP-1", 2)]
    shown = browser.get(change_url(parcel))
    assert f"Parcel {parcel.number} split: the units you chose are in new parcel {new.number}." in shown.text
    assert "split parcel 1: Moved 1 x BOOK-1 into new parcel" in shown.text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter a whole number of units, or leave it empty."),
        ("2.5", "Enter a whole number of units, or leave it empty."),
        ("0", "BOOK-1: move at least one unit, or leave the line out to keep it all in this parcel."),
        ("-3", "BOOK-1: move at least one unit, or leave the line out to keep it all in this parcel."),
        ("5", "BOOK-1: the parcel holds 4, so at most 4 can move."),
        ("99999999999999999999", "BOOK-1: the parcel holds 4, so at most 4 can move."),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_changes_nothing(parcel, staff_client, value, message):
    browser = staff_client("Warehouse")
    before = nothing_changed(parcel)
    books = line_ids(parcel)["BOOK-1"]

    response = split_post(browser, parcel, {books: value})

    assert response.status_code == 200
    assert response.context["form"].errors == {quantity_field(books): [message]}
    assert message in response.text
    assert nothing_changed(parcel) == before


def test_moving_everything_or_nothing_is_refused_on_the_page(parcel, staff_client):
    browser = staff_client("Warehouse")
    before = nothing_changed(parcel)
    ids = line_ids(parcel)

    everything = split_post(browser, parcel, {ids["BOOK-1"]: "4", ids["LAMP-1"]: "2"})
    nothing = split_post(browser, parcel, {ids["BOOK-1"]: "", ids["LAMP-1"]: ""})

    assert everything.status_code == nothing.status_code == 200
    assert "That moves everything" in everything.text
    refusal = "Enter how many units of at least one line go into the new parcel."
    assert refusal in nothing.text
    assert nothing.context["form"].non_field_errors() == [refusal]
    assert nothing_changed(parcel) == before


def test_a_packed_parcel_has_no_split_link_and_the_page_sends_you_back(parcel, staff_client, staff_users):
    warehouse = staff_users["Warehouse"]
    shipment_start_picking(shipment=parcel, actor=warehouse)
    shipment_packed(shipment=parcel, actor=warehouse)
    browser = staff_client("Warehouse")

    page = browser.get(change_url(parcel))
    response = browser.get(split_url(parcel), follow=True)

    assert split_url(parcel) not in page.text
    assert errors_in(response) == [
        f"Parcel {parcel.number} is “Packed”: only a parcel that is pending or being picked can be split."
    ]


def test_a_split_posted_from_a_stale_page_is_refused(parcel, staff_client, staff_users):
    browser = staff_client("Warehouse")
    ids = line_ids(parcel)
    shipment_start_picking(shipment=parcel, actor=staff_users["Warehouse"])
    before = nothing_changed(parcel)

    response = split_post(browser, parcel, {ids["BOOK-1"]: "1"}, expected_status="pending")

    assert response.status_code == 200
    assert "not as the page showed; nothing was split" in response.text
    assert nothing_changed(parcel) == before


def test_staff_without_the_fulfil_permission_cannot_split(parcel, staff_client, onlooker):
    before = nothing_changed(parcel)
    for browser in (staff_client("Customer service"), onlooker):
        page = browser.get(change_url(parcel))
        form = browser.get(split_url(parcel))
        post = split_post(browser, parcel, {line_ids(parcel)["BOOK-1"]: "1"})

        assert page.status_code == 200 and split_url(parcel) not in page.text
        assert form.status_code == post.status_code == 403
    assert nothing_changed(parcel) == before


def test_an_unknown_parcel_is_a_404(staff_client):
    assert staff_client("Warehouse").get(reverse("admin:orders_shipment_split", args=[987654])).status_code == 404


def test_the_split_page_makes_as_many_queries_for_one_line_as_for_several(catalogue, staff_client):
    browser = staff_client("Warehouse")
    (one,) = parcels_of(place(catalogue, lines=[(catalogue.book, 2)], state="in_fulfillment"))
    lines = [(catalogue.book, 2), (catalogue.lamp, 1), (catalogue.assembly, 1)]
    (several,) = parcels_of(place(catalogue, lines=lines, state="in_fulfillment"))
    browser.get(split_url(one))  # warm up: the session

    counts = []
    for shipment in (one, several):
        with CaptureQueriesContext(connection) as captured:
            response = browser.get(split_url(shipment))
        assert response.status_code == 200
        counts.append((len(captured), len(response.context["form"].lines)))

    assert [rows for _, rows in counts] == [1, 3]
    assert counts[0][0] == counts[1][0], counts


def test_units_scanned_before_a_split_stay_scanned_in_the_parcel_that_keeps_them(parcel, staff_users):
    # Given a picking parcel with all four books and one of the two lamps scanned into its box
    warehouse = staff_users["Warehouse"]
    shipment_start_picking(shipment=parcel, actor=warehouse)
    ids = line_ids(parcel)
    shipment_scan(shipment=parcel, code="BOOK-1", count=4, actor=warehouse)
    shipment_scan(shipment=parcel, code="LAMP-1", count=1, actor=warehouse)

    # When one book and both lamps move into a new parcel
    new = shipment_split(shipment=parcel, quantities={ids["BOOK-1"]: 1, ids["LAMP-1"]: 2}, actor=warehouse)

    # Then the old parcel counts three books scanned (it keeps three) and is complete; the new
    # parcel's units are still to be scanned into its own box
    assert list(parcel.lines.values_list("order_line__sku", "quantity", "packed_quantity")) == [("BOOK-1", 3, 3)]
    assert sorted(new.lines.values_list("order_line__sku", "quantity", "packed_quantity")) == [
        ("BOOK-1", 1, 0),
        ("LAMP-1", 2, 0),
    ]
    assert shipment_pack(shipment=parcel, actor=warehouse).status == Shipment.Status.PACKED
