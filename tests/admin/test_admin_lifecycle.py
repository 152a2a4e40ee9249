"""One order from placement to completed, moved only by staff pressing the admin's buttons over HTTP."""

import re

import pytest

from invoicing.models import Invoice
from orders.models import Order, Shipment

from .journeys import action_url, change_url, errors_in, place, press, successes_in

pytestmark = pytest.mark.django_db


def hidden_value(page: str, form_id: str, name: str) -> str:
    """What the page's button form would post for a hidden or pre-filled field."""
    form = page.split(f'id="{form_id}"')[1].split("</form>")[0]
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', form).group(1)


def press_as_page_says(browser, obj, action, **fields):
    """Open the change page, check the button is there, and post it with what the page showed."""
    page = browser.get(change_url(obj)).text
    assert action_url(obj, action) in page, f"no {action} button on {obj}"
    guard_name = "expected_amount_paid" if action == "record_payment" else "expected_status"
    guard = {guard_name: hidden_value(page, f"staff-action-{action}", guard_name)}
    response = press(browser, obj, action, guard=guard, **fields)
    assert errors_in(response) == []
    assert len(successes_in(response)) == 1
    return response


def test_staff_carry_an_order_from_placed_to_completed_through_the_admin(
    catalogue, customer, staff_users, staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    warehouse, service = staff_users["Warehouse"], staff_users["Customer service"]
    warehouse_browser, service_browser = staff_client("Warehouse"), staff_client("Customer service")

    # Given an order placed by a customer (split over the two warehouses: chairs in AMS, the book in RTM)
    with django_capture_on_commit_callbacks(execute=True):
        order = place(
            catalogue,
            customer=customer,
            lines=[(catalogue.chair, 2), (catalogue.book, 1), (catalogue.assembly, 1)],
        )
    assert order.status == Order.Status.VERIFIED

    # When the warehouse starts fulfilment from the order page ...
    with django_capture_on_commit_callbacks(execute=True):
        press_as_page_says(warehouse_browser, order, "start_fulfillment")
        shipments = list(order.shipments.order_by("pk"))
        assert len(shipments) == 2

        # ... picks, packs, dispatches each parcel with carrier and tracking, and records delivery
        for shipment in shipments:
            press_as_page_says(warehouse_browser, shipment, "start_picking")
            press_as_page_says(warehouse_browser, shipment, "pack")
            response = press_as_page_says(
                warehouse_browser,
                shipment,
                "dispatch",
                carrier="PostNL",
                service="Parcel",
                tracking_number=f"3SPOST{shipment.pk}",
                tracking_url=f"https://track.example/3SPOST{shipment.pk}",
            )
            assert f"3SPOST{shipment.pk}" in response.text
        for shipment in shipments:
            press_as_page_says(warehouse_browser, shipment, "deliver")

    # ... the invoice was issued on delivery; customer service records the full payment
    order.refresh_from_db()
    assert order.status == Order.Status.INVOICED
    invoice = order.invoices.get()
    page = service_browser.get(change_url(invoice)).text
    offered = hidden_value(page, "staff-action-record_payment", "record_payment-amount")
    assert offered == str(invoice.total)
    with django_capture_on_commit_callbacks(execute=True):
        press_as_page_says(
            service_browser, invoice, "record_payment", amount=offered, method="bank_transfer", reference="RF-TRANSFER"
        )

    # Then the order is completed and the invoice paid
    order.refresh_from_db()
    invoice.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert invoice.status == Invoice.Status.PAID and invoice.balance_due == 0
    assert all(s.status == Shipment.Status.DELIVERED for s in order.shipments.all())
    assert {s.carrier for s in order.shipments.all()} == {"PostNL"}

    # ... and the timeline names the staff who pressed each button, one event per transition
    transitions = order.events.exclude(to_state="")  # state changes; notes (allocations...) aside
    timeline = [(e.kind, e.actor) for e in transitions]
    assert timeline == [
        ("order.place", None),
        ("order.verify", None),
        ("order.start_fulfillment", warehouse),
        ("shipment.start_picking", warehouse),
        ("shipment.pack", warehouse),
        ("shipment.dispatch", warehouse),
        ("order.ship_partially", warehouse),
        ("shipment.start_picking", warehouse),
        ("shipment.pack", warehouse),
        ("shipment.dispatch", warehouse),
        ("order.ship", warehouse),
        ("shipment.deliver", warehouse),
        ("shipment.deliver", warehouse),
        ("order.deliver", warehouse),
        ("invoice.issue", warehouse),
        ("order.invoice", warehouse),
        ("payment.capture", service),
        ("invoice.mark_paid", service),
        ("order.pay", service),
        ("order.complete", service),
    ]
    staff_page = service_browser.get(change_url(order)).text
    assert "warehouse" in staff_page and "customer_service" in staff_page

    # ... and the customer heard about each step
    assert [m.subject for m in mailoutbox] == [
        f"We received your order {order.number}",
        f"Your order {order.number} is on its way",
        f"Your order {order.number} is on its way",
        f"Invoice {invoice.number} for order {order.number}",
        f"Payment received for order {order.number}, thank you",
        f"How did we do with order {order.number}?",
    ]
