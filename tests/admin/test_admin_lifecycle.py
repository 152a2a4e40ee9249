"""One order from placement to completed, moved only by staff pressing the admin's buttons over HTTP."""

import pytest

from invoicing.models import Invoice
from orders.models import Order, Shipment
from tests.builders import shipment_scan_all

from .journeys import change_url, hidden_value, place, press_as_page_says

pytestmark = pytest.mark.django_db


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
            shipment_scan_all(shipment=shipment, actor=warehouse)  # every unit confirmed at the packing table
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
        ("workitem.finish", warehouse),  # the assembly, done before its parcel is packed
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
    # The staff timeline names who pressed each button (their login name, read as a name)
    assert "Warehouse handed parcel 1 to the carrier" in staff_page
    assert "Customer service recorded a payment of" in staff_page

    # ... and the customer heard about each step
    assert [m.subject for m in mailoutbox] == [
        f"We received your order {order.number}",
        f"Your order {order.number} is on its way",
        f"Your order {order.number} is on its way",
        f"Invoice {invoice.number} for order {order.number}",
        f"Payment received for order {order.number}, thank you",
        f"How did we do with order {order.number}?",
    ]
