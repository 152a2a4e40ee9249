"""The whole lifecycle as people do it, over HTTP: a customer signs up and checks out on the
storefront, staff press the admin's buttons through to delivered and paid, and the customer
downloads the invoice and leaves feedback through the link in the e-mail."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from feedback.models import Feedback
from invoicing.models import Invoice
from orders.models import Order
from tests.admin.journeys import change_url, hidden_value, press_as_page_says
from tests.builders import delivery_method_build, shipment_scan_all
from tests.pdf_text import pdf_text
from tests.storefront_forms import add_to_cart, review_key

pytestmark = pytest.mark.django_db


def staff_browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_customer_and_the_staff_carry_an_order_through_all_six_stages_over_http(
    catalogue, staff_users, mailoutbox, django_capture_on_commit_callbacks
):
    delivery_method_build()
    shopper = Client()
    warehouse = staff_browser(staff_users["Warehouse"])
    service = staff_browser(staff_users["Customer service"])

    with django_capture_on_commit_callbacks(execute=True):
        # 1. A new visitor signs up, fills the cart and checks out on the storefront pages
        signed_up = shopper.post(
            reverse("storefront:sign_up"),
            {
                "full_name": "Anna de Vries",
                "email": "anna@example.com",
                "password1": "a long passphrase 42",
                "password2": "a long passphrase 42",
            },
        )
        assert signed_up.status_code == 302
        add_to_cart(shopper, catalogue.chair, 2)
        add_to_cart(shopper, catalogue.book, 1)
        details = shopper.post(
            reverse("storefront:checkout"),
            {
                "ship_full_name": "Anna de Vries",
                "ship_line1": "Prinsengracht 263",
                "ship_postal_code": "1016 GV",
                "ship_city": "Amsterdam",
                "ship_country": "NL",
                "billing_same": "on",
                "delivery_method": "standard",
                "payment_method": "bank_transfer",
            },
        )
        assert details.status_code == 302
        placed = shopper.post(
            reverse("storefront:checkout_place"), {"idempotency_key": review_key(shopper)}, follow=True
        )

    # 2. The order was verified at once and the customer sees it
    order = Order.objects.get(customer__user__username="anna@example.com")
    assert order.status == Order.Status.VERIFIED
    assert order.channel == Order.Channel.WEB
    assert placed.status_code == 200 and order.number in placed.text
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("CHAIR-1", 2), ("BOOK-1", 1)]

    # 3-4. The warehouse fulfils, dispatches and records delivery, pressing the admin's buttons
    with django_capture_on_commit_callbacks(execute=True):
        press_as_page_says(warehouse, order, "start_fulfillment")
        shipments = list(order.shipments.order_by("pk"))
        for shipment in shipments:
            press_as_page_says(warehouse, shipment, "start_picking")
            shipment_scan_all(shipment=shipment)  # every unit confirmed at the packing table
            press_as_page_says(warehouse, shipment, "pack")
            press_as_page_says(
                warehouse,
                shipment,
                "dispatch",
                carrier="PostNL",
                service="Parcel",
                tracking_number=f"3S{shipment.pk:06d}",
                tracking_url=f"https://track.example/3S{shipment.pk:06d}",
            )
        tracking_page = shopper.get(reverse("storefront:order_detail", args=[order.number])).text
        assert all(f"3S{s.pk:06d}" in tracking_page for s in shipments), "the customer sees each tracking number"
        for shipment in shipments:
            press_as_page_says(warehouse, shipment, "deliver")

    # 5. Delivery issued the invoice; customer service records the payment the page offers
    invoice = Invoice.objects.get(order=order)
    offered = hidden_value(
        service.get(change_url(invoice)).text, "staff-action-record_payment", "record_payment-amount"
    )
    with django_capture_on_commit_callbacks(execute=True):
        press_as_page_says(
            service,
            invoice,
            "record_payment",
            amount=offered,
            method="bank_transfer",
            reference=order.payment_reference,
        )
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED

    # The customer downloads the invoice from the order page
    order_page = shopper.get(reverse("storefront:order_detail", args=[order.number])).text
    download_url = reverse("storefront:invoice_download", args=[order.number, invoice.number])
    assert download_url in order_page
    download = shopper.get(download_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(download.streaming_content) if download.streaming else download.content)
    assert invoice.number in text and "Oak chair" in text and str(invoice.total) in text

    # 6. ... and leaves feedback through the signed link in the e-mail, without signing in
    feedback_mail = mailoutbox[-1]
    assert feedback_mail.subject == f"How did we do with order {order.number}?"
    feedback_path = re.search(r"https?://[^/\s]+(/feedback/\S+)", feedback_mail.body).group(1)
    anonymous = Client()
    assert anonymous.get(feedback_path).status_code == 200
    sent = anonymous.post(
        feedback_path, {"overall_rating": "5", f"product_{catalogue.chair.pk}": "4", "comment": "Lovely chairs"}
    )
    assert sent.status_code == 302
    feedback = Feedback.objects.get(request__order=order)
    assert (feedback.overall_rating, feedback.comment, feedback.needs_follow_up) == (5, "Lovely chairs", False)
    assert {r.product_id: r.rating for r in feedback.product_ratings.all()} == {catalogue.chair.pk: 4}

    # The staff timeline names who did what; the customer's timeline shows the milestones
    actors = {e.kind: e.actor for e in order.events.exclude(to_state="")}
    assert actors["shipment.dispatch"] == staff_users["Warehouse"]
    assert actors["payment.capture"] == staff_users["Customer service"]
    customer_page = shopper.get(reverse("storefront:order_detail", args=[order.number])).text
    for milestone in ("Order received", "Your order is on its way", "Delivered", "Payment received"):
        assert milestone in customer_page
