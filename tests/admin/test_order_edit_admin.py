"""The "Edit order" page over HTTP (orders/admin/order_edits.py), as staff use it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockLevel, StockMovement
from invoicing.models import AmountOwedBack
from orders.models import Order, OrderEvent, OrderVersion
from tests.builders import parcels_of, shipment_hand_to_carrier

from .journeys import change_url, errors_in, place, successes_in

pytestmark = pytest.mark.django_db


def edit_url(order) -> str:
    return reverse("admin:orders_order_edit", args=[order.pk])


def form_data(order, **overrides) -> dict:
    """What the edit page posts for the order as it is, with `overrides`."""
    order = Order.objects.get(pk=order.pk)
    lines = list(order.lines.order_by("pk"))
    data = {
        "version": str(order.version),
        "reason": "Customer phoned",
        "delivery_method": str(order.delivery_method_id),
        "voucher_code": order.discount_code,
        "line_product": [str(line.product_id) for line in lines],
        "line_quantity": [str(line.quantity) for line in lines],
        "add_sku": "",
        "add_quantity": "1",
    }
    for prefix, address in (("billing", order.billing_address), ("shipping", order.shipping_address)):
        for name in ("full_name", "company", "line1", "line2", "postal_code", "city", "country", "phone"):
            data[f"{prefix}-{name}"] = getattr(address, name)
    data.update(overrides)
    return data


def test_customer_service_adds_a_line_and_changes_the_address(catalogue, staff_client, ledger_matches_levels):
    # given a verified order of one book
    order = place(catalogue)
    browser = staff_client("Customer service")
    # when customer service opens the order page, follows "Edit order", and saves a chair and a new street
    page = browser.get(change_url(order)).content.decode()
    assert edit_url(order) in page
    edit_page = browser.get(edit_url(order))
    assert "Products already on the order keep the price agreed" in edit_page.content.decode()
    response = browser.post(
        edit_url(order),
        form_data(order, add_sku="chair-1", **{"shipping-line1": "Keizersgracht 1", "reason": "Phoned: add a chair"}),
        follow=True,
    )
    # then version 1 is saved, with the new totals and the balance on the order page
    assert response.redirect_chain[-1][0].endswith("#versions")
    order.refresh_from_db()
    assert order.version == 1 and order.status == Order.Status.VERIFIED
    assert sorted(order.lines.values_list("sku", flat=True)) == ["BOOK-1", "CHAIR-1"]
    assert order.shipping_address.line1 == "Keizersgracht 1"
    assert ["saved as version 1" in text for text in successes_in(response)] == [True]
    assert "still has" in successes_in(response)[0]  # bank transfer, not paid yet: all of it is due
    page = response.content.decode()
    assert 'data-testid="version-1"' in page and "Added 1 × CHAIR-1" in page and "Phoned: add a chair" in page
    assert "Due more" in page
    version = OrderVersion.objects.get(order=order)
    assert version.actor.username == "customer_service"
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.ORDER_EDITED).count() == 1
    # and the ledger shows the release and the new allocations
    kinds = set(StockMovement.objects.filter(reference=order.number).values_list("kind", flat=True))
    assert {StockMovement.Kind.RELEASE, StockMovement.Kind.ALLOCATION} <= kinds
    assert StockLevel.objects.get(product=catalogue.chair).allocated == 1
    ledger_matches_levels()


def test_a_managers_edit_that_makes_a_card_order_cheaper_shows_owed_back(catalogue, staff_client):
    order = place(catalogue, lines=[(catalogue.book, 2)], payment_method="card")
    browser = staff_client("Managers")
    response = browser.post(edit_url(order), form_data(order, line_quantity=["1"], reason="One book less"), follow=True)
    row = AmountOwedBack.objects.get(order=order)
    assert "owed back" in successes_in(response)[0]
    assert "Owed back" in response.content.decode()
    queue = browser.get(reverse("admin:invoicing_amountowedback_changelist") + "?owed=open")
    assert queue.status_code == 200 and order.number in queue.content.decode()
    assert row.amount > 0


def test_warehouse_cannot_edit_and_sees_no_button(catalogue, staff_client):
    order = place(catalogue)
    browser = staff_client("Warehouse")
    assert edit_url(order) not in browser.get(change_url(order)).content.decode()
    assert browser.get(edit_url(order)).status_code == 403
    assert browser.post(edit_url(order), form_data(order, **{"shipping-line1": "Elsewhere 1"})).status_code == 403
    assert Order.objects.get(pk=order.pk).version == 0


def test_the_reason_is_required_beside_its_field(catalogue, staff_client):
    order = place(catalogue)
    response = staff_client("Customer service").post(
        edit_url(order), form_data(order, reason=" ", **{"shipping-line1": "Elsewhere 1"})
    )
    assert response.status_code == 200
    assert 'data-field-error="reason"' in response.content.decode()
    assert "Say why the order is changed." in response.content.decode()
    assert not OrderVersion.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"line_quantity": ["lots"]},
        {"line_quantity": ["0"]},
        {"version": "x"},
        {"delivery_method": "999999"},
        {"add_sku": "NO-SUCH-SKU"},
        {"line_product": ["abc"]},
        {"billing-full_name": ""},
        {"line_product": [], "line_quantity": []},
    ],
)
def test_bad_input_gets_a_message_never_a_500(catalogue, staff_client, overrides):
    order = place(catalogue)
    response = staff_client("Customer service").post(edit_url(order), form_data(order, **overrides))
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not OrderVersion.objects.exists()


def test_an_order_with_a_dispatched_parcel_cannot_be_edited(catalogue, staff_client, staff_users):
    order = place(catalogue, state="packed")
    shipment_hand_to_carrier(shipment=parcels_of(order)[0], actor=staff_users["Warehouse"])
    browser = staff_client("Customer service")
    assert edit_url(order) not in browser.get(change_url(order)).content.decode()
    response = browser.post(edit_url(order), form_data(order, **{"shipping-line1": "Elsewhere 1"}), follow=True)
    assert errors_in(response) and "can no longer be edited" in errors_in(response)[0]
    assert not OrderVersion.objects.exists()


def test_a_double_submit_makes_one_version(catalogue, staff_client):
    order = place(catalogue)
    browser = staff_client("Customer service")
    data = form_data(order, **{"shipping-line1": "Keizersgracht 1"})
    first = browser.post(edit_url(order), data, follow=True)
    second = browser.post(edit_url(order), data, follow=True)
    assert successes_in(first)
    assert second.status_code == 200 and "already saved as version 1" in second.content.decode()
    assert OrderVersion.objects.filter(order=order).count() == 1


def test_a_stale_form_names_who_changed_what(catalogue, staff_client):
    order = place(catalogue)
    stale = form_data(order, **{"shipping-line1": "Herengracht 2"})
    staff_client("Managers").post(edit_url(order), form_data(order, line_quantity=["2"]))
    response = staff_client("Customer service").post(edit_url(order), stale)
    assert "managers changed the lines at" in response.content.decode()
    assert OrderVersion.objects.filter(order=order).count() == 1


def test_edit_page_queries_do_not_grow_with_lines(catalogue, staff_client):
    browser = staff_client("Customer service")
    one = place(catalogue, lines=[(catalogue.book, 1)])
    three = place(catalogue, lines=[(catalogue.book, 1), (catalogue.chair, 1), (catalogue.lamp, 2)])
    counts = []
    for order in (one, three):
        browser.get(edit_url(order))  # warm the session and caches
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(edit_url(order)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_owed_back_queue_queries_do_not_grow_with_rows(catalogue, staff_client):
    from invoicing.services.owed_back import amount_owed_back_record

    browser = staff_client("Customer service")
    url = reverse("admin:invoicing_amountowedback_changelist") + "?owed=open"
    counts = []
    for number in (1, 4):
        while AmountOwedBack.objects.count() < number:
            amount_owed_back_record(order=place(catalogue), amount=1, order_version=1, reason="cheaper")
        browser.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = browser.get(url)
        assert response.context["cl"].result_count == number
        counts.append(len(captured))
    assert counts[0] == counts[1]
