"""The packing screen, the parcel's PDFs and the work item list on the console (orders/admin/packing.py,
orders/admin/work_items.py): smoke, permissions, bad input, and query counts flat in the rows."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import Product
from lifecycle.packing_documents import order_number_qr_svg, packing_slip_pdf_render, shipping_label_pdf_render
from orders.models import OrderEvent, Shipment, WorkItem
from orders.selectors.packing import packing_lines
from orders.services.fulfillment import shipment_start_picking
from orders.services.packing import shipment_scan
from tests.builders import order_build, parcels_of, product_build, stock_put
from tests.pdf_text import pdf_text

from .journeys import change_url, errors_in, press, successes_in

pytestmark = pytest.mark.django_db

CHAIR_EAN = "8712345678906"


@pytest.fixture
def warehouse(staff_users):
    return staff_users["Warehouse"]


@pytest.fixture
def parcel(catalogue, warehouse):
    """Two chairs (one engraved) and a lamp from Amsterdam, being picked; the engraving is done."""
    Product.objects.filter(pk=catalogue.chair.pk).update(barcode=CHAIR_EAN)
    order = order_build(
        lines=[(catalogue.chair, 2), (catalogue.lamp, 1, "Engrave “A. de V.”")], state="in_fulfillment", actor=warehouse
    )
    shipment = shipment_start_picking(shipment=parcels_of(order)[0], actor=warehouse)
    return shipment


def packing_url(shipment) -> str:
    return reverse("admin:orders_shipment_packing", args=[shipment.pk])


def scan(browser, shipment, code, count="1", json=False):
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    return browser.post(packing_url(shipment), {"code": code, "count": count}, **headers)


def finish_work(shipment, warehouse):
    from orders.services.work_items import work_item_finish

    for item in WorkItem.objects.filter(shipment_line__shipment=shipment):
        work_item_finish(work_item=item, actor=warehouse)


def test_the_screen_shows_each_line_with_its_progress_and_no_packed_button(parcel, staff_client):
    page = staff_client("Warehouse").get(packing_url(parcel))

    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="code"' in text and "autofocus" in text
    assert text.count('data-testid="packing-progress">0 of') == 2
    assert "Mark packed" not in text
    assert "2 lines still to confirm" in text
    assert "Engrave “A. de V.”" in text


def test_a_scan_posted_without_javascript_returns_the_updated_screen(parcel, staff_client):
    response = scan(staff_client("Warehouse"), parcel, CHAIR_EAN)

    assert response.status_code == 200
    text = response.content.decode()
    assert "packing-feedback--ok" in text and "CHAIR-1: 1 of 2 packed" in text
    assert 'data-testid="packing-progress">1 of 2' in text


def test_a_wrong_code_is_refused_beside_the_field_and_changes_nothing(parcel, staff_client):
    events = OrderEvent.objects.count()

    response = scan(staff_client("Warehouse"), parcel, "BOOK-1")

    text = response.content.decode()
    assert response.status_code == 200
    assert "packing-feedback--refused" in text
    assert "Woodworking book (BOOK-1) is not in this parcel. Put it back." in text
    assert not any(line.packed_quantity for line in parcel.lines.all())
    assert OrderEvent.objects.count() == events


def test_the_json_variant_answers_the_script(parcel, staff_client):
    browser = staff_client("Warehouse")

    accepted = scan(browser, parcel, "chair-1", count="2", json=True)
    refused = scan(browser, parcel, CHAIR_EAN, json=True)

    assert accepted.status_code == 200
    assert accepted.json()["ok"] is True and accepted.json()["message"] == "CHAIR-1: 2 of 2 packed"
    assert 'data-testid="packing-progress">2 of 2' in accepted.json()["panel"]
    assert refused.status_code == 400
    assert refused.json() | {"panel": ""} == {
        "ok": False,
        "message": "All 2 of CHAIR-1 are packed already: this one is extra. Put it back.",
        "reason": "extra_unit",
        "complete": False,
        "panel": "",
    }


@pytest.mark.parametrize(
    ("code", "count", "message"),
    [
        ("", "1", "Scan a barcode or type a SKU."),
        (CHAIR_EAN, "abc", "Enter a whole number of units from 1 to 999."),
        (CHAIR_EAN, "0", "Enter a whole number of units from 1 to 999."),
        (CHAIR_EAN, "99999999999999999999", "Enter a whole number of units from 1 to 999."),
        ("x" * 201, "1", "Ensure this value has at most 200 characters (it has 201)."),
        ("x" * 100, "1", "That is not a barcode or SKU (more than 64 characters)."),
    ],
)
def test_bad_input_gets_a_clear_message_never_a_500(parcel, staff_client, code, count, message):
    response = scan(staff_client("Warehouse"), parcel, code, count=count)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not any(line.packed_quantity for line in parcel.lines.all())


def test_the_packed_button_appears_when_complete_and_packs_the_parcel(parcel, staff_client, warehouse):
    browser = staff_client("Warehouse")
    scan(browser, parcel, CHAIR_EAN, count="2")
    assert "Mark packed" not in browser.get(packing_url(parcel)).content.decode()  # the engraving is not done
    finish_work(parcel, warehouse)
    scan(browser, parcel, "LAMP-1")

    page = browser.get(packing_url(parcel)).content.decode()
    assert "Mark packed" in page
    response = browser.post(packing_url(parcel), {"mark_packed": "1", "expected_status": "picking"}, follow=True)

    assert successes_in(response) == [f"Parcel {parcel.number} is packed: it is ready to dispatch."]
    assert Shipment.objects.get(pk=parcel.pk).status == Shipment.Status.PACKED


def test_marking_an_incomplete_parcel_packed_is_refused(parcel, staff_client):
    response = staff_client("Warehouse").post(packing_url(parcel), {"mark_packed": "1", "expected_status": "picking"})

    assert response.status_code == 200
    assert "The parcel is not complete yet: CHAIR-1: 0 of 2 scanned;" in response.content.decode()
    assert Shipment.objects.get(pk=parcel.pk).status == Shipment.Status.PICKING


def test_the_shipment_page_button_refuses_an_incomplete_parcel_too(parcel, staff_client):
    response = press(staff_client("Warehouse"), parcel, "pack")

    assert errors_in(response)[0].startswith("The parcel is not complete yet:")
    assert Shipment.objects.get(pk=parcel.pk).status == Shipment.Status.PICKING


@pytest.mark.parametrize(
    "url",
    ["admin:orders_shipment_packing", "admin:orders_shipment_packing_slip", "admin:orders_shipment_label"],
)
def test_customer_service_cannot_pack_or_print(parcel, staff_client, url):
    browser = staff_client("Customer service")

    assert browser.get(reverse(url, args=[parcel.pk])).status_code == 403
    assert scan(browser, parcel, CHAIR_EAN).status_code == 403
    assert not any(line.packed_quantity for line in parcel.lines.all())


def test_the_shipment_page_and_the_to_pack_list_link_to_the_screen(parcel, staff_client):
    browser = staff_client("Warehouse")

    assert packing_url(parcel) in browser.get(change_url(parcel)).content.decode()
    to_pack = browser.get(reverse("admin:orders_shipment_changelist") + "?status__exact=picking")
    assert packing_url(parcel) in to_pack.content.decode()


def add_products(catalogue, count: int) -> list:
    products = []
    for _ in range(count):
        number = Product.objects.count()
        product = product_build(sku=f"PEG-{number}", name=f"Peg {number}", price=Decimal("1.00"))
        stock_put(product=product, warehouse=catalogue.main, quantity=5)
        products.append(product)
    return products


def screen_queries(browser, shipment) -> int:
    browser.get(packing_url(shipment))
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(packing_url(shipment)).status_code == 200
    return len(captured)


def test_the_screen_costs_the_same_for_two_lines_or_eight(catalogue, staff_client, warehouse):
    browser = staff_client("Warehouse")
    few, many = add_products(catalogue, 2), add_products(catalogue, 8)
    small = order_build(lines=[(p, 1, "Paint it red") for p in few], state="in_fulfillment", actor=warehouse)
    large = order_build(lines=[(p, 1, "Paint it red") for p in many], state="in_fulfillment", actor=warehouse)
    small_parcel = shipment_start_picking(shipment=parcels_of(small)[0], actor=warehouse)
    large_parcel = shipment_start_picking(shipment=parcels_of(large)[0], actor=warehouse)

    assert screen_queries(browser, small_parcel) == screen_queries(browser, large_parcel)


# -- the papers ---


def test_the_packing_slip_lists_lines_quantities_and_notes_without_prices(parcel, staff_client):
    response = staff_client("Warehouse").get(reverse("admin:orders_shipment_packing_slip", args=[parcel.pk]))

    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Packing slip" in text and parcel.order.number in text and parcel.number in text
    assert "CHAIR-1 Oak chair 2" in text and "LAMP-1 Desk lamp 1" in text
    assert "Engrave “A. de V.”" in text
    assert "149" not in text and "€" not in text and "EUR" not in text


def test_the_label_has_the_address_and_the_order_number_as_a_qr_code(parcel, staff_client):
    response = staff_client("Warehouse").get(reverse("admin:orders_shipment_label", args=[parcel.pk]))

    text = pdf_text(response.content)
    for line in parcel.order.shipping_address.as_lines():
        assert line in text
    assert f"Order {parcel.order.number}" in text
    svg = order_number_qr_svg(parcel.order.number)
    assert svg.startswith("<svg") and f"Order {parcel.order.number}" in svg


def test_the_papers_are_pure_renders_of_the_parcel(parcel):
    lines = packing_lines(shipment_id=parcel.pk)

    assert packing_slip_pdf_render(shipment=parcel, lines=lines).startswith(b"%PDF-")
    assert shipping_label_pdf_render(shipment=parcel).startswith(b"%PDF-")


# -- work items on the console ---


WORK_ITEMS = reverse("admin:orders_workitem_changelist")


def test_the_open_work_items_list_and_its_buttons(parcel, staff_client, warehouse):
    browser = staff_client("Warehouse")
    item = WorkItem.objects.get(order=parcel.order)

    listed = browser.get(WORK_ITEMS + "?state=open")
    assert listed.status_code == 200 and list(listed.context["cl"].result_list) == [item]
    assert successes_in(press(browser, item, "start"))
    item.refresh_from_db()
    assert (item.status, item.assignee) == ("in_progress", warehouse)
    assert successes_in(press(browser, item, "finish"))
    item.refresh_from_db()
    assert item.status == "done"
    assert list(browser.get(WORK_ITEMS + "?state=open").context["cl"].result_list) == []


def test_assign_to_me_is_a_bulk_action(parcel, staff_client, warehouse):
    item = WorkItem.objects.get(order=parcel.order)

    response = staff_client("Warehouse").post(
        WORK_ITEMS, {"action": "assign_to_me", "_selected_action": [item.pk]}, follow=True
    )

    assert successes_in(response) == ["1 work item assigned to you."]
    assert WorkItem.objects.get(pk=item.pk).assignee == warehouse


def test_customer_service_cannot_start_work(parcel, staff_client):
    item = WorkItem.objects.get(order=parcel.order)

    response = staff_client("Customer service").post(
        WORK_ITEMS, {"action": "start_selected", "_selected_action": [item.pk]}, follow=True
    )

    assert response.status_code in (200, 403)
    assert WorkItem.objects.get(pk=item.pk).status == "to_do"


def test_the_work_item_list_costs_the_same_for_three_rows_or_fifteen(catalogue, staff_client, warehouse):
    browser = staff_client("Warehouse")
    products = add_products(catalogue, 15)

    def rows(n, start):
        for product in products[start : start + n]:
            order = order_build(lines=[(product, 1, "Paint it red")], state="in_fulfillment", actor=warehouse)
            shipment_start_picking(shipment=parcels_of(order)[0], actor=warehouse)

    browser.get(WORK_ITEMS)
    rows(3, 0)
    with CaptureQueriesContext(connection) as small:
        assert len(browser.get(WORK_ITEMS + "?state=open").context["cl"].result_list) == 3
    rows(12, 3)
    with CaptureQueriesContext(connection) as large:
        assert len(browser.get(WORK_ITEMS + "?state=open").context["cl"].result_list) == 15

    assert len(small) == len(large)


def test_waiting_for_work_items_lists_picking_parcels_with_open_work(parcel, staff_client, warehouse, catalogue):
    browser = staff_client("Warehouse")
    url = reverse("admin:orders_shipment_changelist") + "?waiting=work_items"
    plain = order_build(lines=[(catalogue.chair, 1)], state="in_fulfillment", actor=warehouse)
    shipment_start_picking(shipment=parcels_of(plain)[0], actor=warehouse)

    assert list(browser.get(url).context["cl"].result_list) == [parcel]
    finish_work(parcel, warehouse)
    assert list(browser.get(url).context["cl"].result_list) == []


def test_scan_service_and_screen_agree(parcel, warehouse, staff_client):
    shipment_scan(shipment=parcel, code=CHAIR_EAN, actor=warehouse)

    assert (
        'data-testid="packing-progress">1 of 2' in staff_client("Warehouse").get(packing_url(parcel)).content.decode()
    )
