"""Prepaid shops (CARD_CAPTURE_AT=release, issue 13 items 1 and 5): the card is captured as the order
goes to the warehouse, the invoice is paid as it is issued at delivery, and cancelling after the
capture refunds what was captured in the same decision."""

from decimal import Decimal

import pytest

from invoicing.gateways import TestGateway
from invoicing.models import Invoice, Payment, Refund, StoreCreditAccount
from invoicing.services import store_credit_issue
from lifecycle.cancellation import order_cancel
from lifecycle.checkout import order_checkout
from lifecycle.delivery import shipment_deliver
from orders.models import Order
from orders.services.fulfillment import order_fulfillment_start
from orders.services.placement import LineRequest
from tests.builders import address_data, customer_signed_up, delivery_method_build, order_advance, order_build

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def prepaid(settings):
    settings.CARD_CAPTURE_AT = "release"


def test_the_card_is_captured_at_release_and_the_invoice_is_paid_as_it_is_issued(
    catalogue, staff_users, django_capture_on_commit_callbacks
):
    order = order_build(lines=[(catalogue.book, 1)], state="verified", payment_method="card")
    assert Order.objects.get(pk=order.pk).payment_standing == "authorised"

    with django_capture_on_commit_callbacks(execute=True):
        order_fulfillment_start(order=order, actor=staff_users["Warehouse"])
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.invoice_id) == ("captured", None)
    order.refresh_from_db()
    assert (order.status, order.payment_standing) == ("in_fulfillment", "paid")

    order = order_advance(order=order, state="shipped")
    with django_capture_on_commit_callbacks(execute=True):
        shipment_deliver(shipment=order.shipments.get(), actor=staff_users["Warehouse"])
    order.refresh_from_db()
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.PAID and invoice.amount_paid == invoice.total
    assert order.status == Order.Status.COMPLETED


def test_cancelling_after_the_capture_refunds_the_card_and_the_store_credit(
    catalogue, staff_users, django_capture_on_commit_callbacks
):
    customer = customer_signed_up().customer
    store_credit_issue(customer=customer, amount=Decimal("5.00"), reason="Sorry", actor=staff_users["Managers"])
    TestGateway.refunds.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order = order_checkout(
            customer=customer,
            lines=[LineRequest(product_id=catalogue.book.pk, quantity=1)],
            channel=Order.Channel.WEB,
            delivery_method=delivery_method_build(),
            payment_method=Order.PaymentMethod.CARD,
            card_token="4242 4242 4242 4242",
            billing_address=address_data(),
            shipping_address=address_data(),
            use_store_credit=True,
        )
        order_fulfillment_start(order=order, actor=staff_users["Warehouse"])
    assert set(Payment.objects.filter(order=order).values_list("status", flat=True)) == {"captured"}
    assert StoreCreditAccount.objects.get(customer=customer).balance == 0

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, actor=staff_users["Customer service"], reason="Customer called")

    refunds = {r.method: (r.amount, r.status) for r in Refund.objects.filter(order=order)}
    assert refunds == {
        "card": (order.total - Decimal("5.00"), "succeeded"),
        "store_credit": (Decimal("5.00"), "succeeded"),
    }
    assert len(TestGateway.refunds) == 1
    assert StoreCreditAccount.objects.get(customer=customer).balance == Decimal("5.00")
    assert Order.objects.get(pk=order.pk).payment_standing == "refunded"
