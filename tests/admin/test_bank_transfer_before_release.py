"""Prepaid bank transfers (BANK_TRANSFER_BEFORE_RELEASE, issue 13 item 1): a prepaid customer's
order waits for the money before the warehouse gets it; customer service records the transfer on
the order; the invoice at delivery is paid as it is issued. Account customers (net terms) are not
held back."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice, Payment
from invoicing.services import payment_record_before_invoice
from lifecycle.delivery import shipment_deliver
from orders.models import Customer, Order
from orders.services.fulfillment import order_fulfillment_start
from orders_site.core.exceptions import TransitionRefused
from tests.builders import customer_build, customer_signed_up, order_advance, order_build

from .journeys import action_url, successes_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def before_release(settings):
    settings.BANK_TRANSFER_BEFORE_RELEASE = True


def test_the_order_waits_for_the_transfer_then_goes_and_is_paid_when_invoiced(
    catalogue, staff_users, staff_client, client, django_capture_on_commit_callbacks
):
    customer = customer_signed_up()
    order = order_build(lines=[(catalogue.book, 1)], state="verified", customer=customer.customer)
    warehouse = staff_users["Warehouse"]

    with pytest.raises(TransitionRefused) as waits:
        order_fulfillment_start(order=order, actor=warehouse)
    assert "waits for its bank transfer" in waits.value.message
    # the customer is told to pay first; customer service sees it in its queue
    client.force_login(customer.user)
    page = client.get(reverse("storefront:order_detail", args=[order.number])).content.decode()
    assert "Waiting for your payment" in page
    service = staff_client("Customer service")
    home = service.get(reverse("admin:index"))
    queues = {q.key: q.count for heading in home.context["work_queue_headings"] for q in heading.queues}
    assert queues["orders.waiting_for_prepayment"] == 1

    # Customer service records the transfer on the order page
    recorded = service.post(
        action_url(order, "record_prepayment"),
        {
            "record_prepayment-amount": str(order.total),
            "record_prepayment-reference": "NL12 TRANSFER",
            "expected_status": "verified",
        },
        follow=True,
    )
    assert successes_in(recorded)
    order.refresh_from_db()
    assert order.payment_standing == "paid"
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.invoice_id, payment.reference) == ("captured", None, "NL12 TRANSFER")

    # Now it goes to the warehouse, and the invoice at delivery is paid at once
    order = order_advance(order=order, state="shipped")
    with django_capture_on_commit_callbacks(execute=True):
        shipment_deliver(shipment=order.shipments.get(), actor=warehouse)
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.PAID and invoice.amount_paid == invoice.total
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED


def test_part_of_the_money_is_not_enough_to_release(catalogue, staff_users):
    order = order_build(lines=[(catalogue.book, 1)], state="verified")
    payment_record_before_invoice(
        order=order, amount=Decimal("1.00"), method="bank_transfer", actor=staff_users["Customer service"]
    )

    assert Order.objects.get(pk=order.pk).payment_standing == "partially_paid"
    with pytest.raises(TransitionRefused):
        order_fulfillment_start(order=order, actor=staff_users["Warehouse"])


def test_account_customers_on_net_terms_are_not_held_back(catalogue, staff_users):
    customer = customer_build(payment_terms=Customer.PaymentTerms.NET, net_days=30)
    order = order_build(lines=[(catalogue.book, 1)], state="verified", customer=customer)

    order = order_fulfillment_start(order=order, actor=staff_users["Warehouse"])

    assert order.status == Order.Status.IN_FULFILLMENT
