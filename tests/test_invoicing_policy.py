"""The invoicing policy (issue 13, item 1): an order is invoiced at delivery, or at order (as it goes
to the warehouse) for the payment methods the shop lists in INVOICE_AT_ORDER_PAYMENT_METHODS or for
a customer whose own setting says so. Invoiced at order, the invoice is paid before dispatch and the
order completes when it is delivered; it cannot be edited any more, and cancelling it credits the
invoice in full and pays the money back."""

from decimal import Decimal

import pytest

from invoicing.gateways import TestGateway
from invoicing.models import AmountOwedBack, CreditNote, Invoice, Payment, Refund
from lifecycle.cancellation import order_cancel
from lifecycle.delivery import shipment_deliver
from lifecycle.settlement import order_released, payment_record
from orders.models import Customer, EmailNotification, Order, OrderEvent
from orders.services.fulfillment import order_fulfillment_start
from orders_site.core.exceptions import TransitionRefused
from tests.builders import customer_build, order_advance, order_build, order_edited, parcels_of, staff_member

pytestmark = pytest.mark.django_db


def released(order, django_capture_on_commit_callbacks) -> Order:
    """Send the order to the warehouse and run what commit queues (the release task)."""
    with django_capture_on_commit_callbacks(execute=True):
        order_fulfillment_start(order=order, actor=staff_member("Warehouse"))
    return Order.objects.get(pk=order.pk)


def delivered(order, django_capture_on_commit_callbacks) -> Order:
    order = order_advance(order=order, state="shipped")
    with django_capture_on_commit_callbacks(execute=True):
        for parcel in parcels_of(order):
            shipment_deliver(shipment=parcel, actor=staff_member("Warehouse"))
    return Order.objects.get(pk=order.pk)


def test_a_customer_invoiced_at_order_pays_the_card_before_dispatch_and_completes_at_delivery(
    catalogue, django_capture_on_commit_callbacks
):
    customer = customer_build(invoicing=Customer.Invoicing.AT_ORDER)
    order = order_build(lines=[(catalogue.book, 2)], customer=customer, payment_method="card")

    order = released(order, django_capture_on_commit_callbacks)

    # Invoiced as it went to the warehouse, the card captured against the invoice, the order still
    # in fulfilment and shown as paid beside it.
    invoice = Invoice.objects.get(order=order)
    assert invoice.number and invoice.status == Invoice.Status.PAID and invoice.amount_paid == order.total
    assert Payment.objects.get(order=order).status == Payment.Status.CAPTURED
    assert (order.status, order.payment_standing) == ("in_fulfillment", "paid")
    assert EmailNotification.objects.filter(order=order, kind=EmailNotification.Kind.INVOICE).count() == 1

    order = delivered(order, django_capture_on_commit_callbacks)

    assert order.status == Order.Status.COMPLETED
    assert Invoice.objects.filter(order=order).count() == 1  # delivery took up the same invoice
    kinds = list(OrderEvent.objects.filter(order=order).order_by("pk").values_list("kind", flat=True))
    assert kinds.index("invoice.issue") < kinds.index("order.deliver") < kinds.index("order.invoice")
    assert kinds[-2:] == ["order.pay", "order.complete"]
    assert OrderEvent.objects.get(order=order, kind="order.invoice").note == f"Invoiced at order: {invoice.number}"


def test_the_shop_invoices_bank_transfers_at_order_and_the_payment_before_delivery_waits_for_it(
    catalogue, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_AT_ORDER_PAYMENT_METHODS = ["bank_transfer"]
    order = released(order_build(lines=[(catalogue.book, 1)]), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.ISSUED and order.payment_standing == "unpaid"

    # The transfer arrives while the parcel is being packed: the invoice is paid, the order goes on.
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(
            invoice=invoice, amount=invoice.total, method="bank_transfer", actor=staff_member("Customer service")
        )
    order.refresh_from_db()
    assert (order.status, order.payment_standing) == ("in_fulfillment", "paid")

    assert delivered(order, django_capture_on_commit_callbacks).status == Order.Status.COMPLETED


def test_a_customers_own_setting_overrides_the_shop_and_cash_on_delivery_waits_for_the_door(
    catalogue, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_AT_ORDER_PAYMENT_METHODS = ["bank_transfer", "cash_on_delivery"]
    at_delivery = customer_build(invoicing=Customer.Invoicing.AT_DELIVERY)
    mine = released(order_build(lines=[(catalogue.book, 1)], customer=at_delivery), django_capture_on_commit_callbacks)
    cod = released(
        order_build(lines=[(catalogue.book, 1)], payment_method="cash_on_delivery"), django_capture_on_commit_callbacks
    )

    assert not Invoice.objects.filter(order__in=[mine, cod]).exists()
    assert delivered(mine, django_capture_on_commit_callbacks).status == Order.Status.INVOICED


def test_the_release_task_run_twice_issues_one_invoice(catalogue, settings, django_capture_on_commit_callbacks):
    settings.INVOICE_AT_ORDER_PAYMENT_METHODS = ["bank_transfer"]
    order = released(order_build(lines=[(catalogue.book, 1)]), django_capture_on_commit_callbacks)

    assert order_released(order_id=order.pk) == "nothing to invoice"

    assert Invoice.objects.filter(order=order).count() == 1
    assert OrderEvent.objects.filter(order=order, kind="invoice.issue").count() == 1


def test_an_order_invoiced_at_order_cannot_be_edited(catalogue, settings, django_capture_on_commit_callbacks):
    settings.INVOICE_AT_ORDER_PAYMENT_METHODS = ["bank_transfer"]
    order = released(order_build(lines=[(catalogue.book, 1)]), django_capture_on_commit_callbacks)
    number = Invoice.objects.get(order=order).number

    with pytest.raises(TransitionRefused, match=f"invoiced \\({number}\\).*credit note"):
        order_edited(order, lines=[(catalogue.book, 3)], actor=staff_member("Customer service"))

    assert Order.objects.get(pk=order.pk).total == order.total


def test_cancelling_an_order_invoiced_and_paid_at_order_credits_the_invoice_and_refunds_the_card(
    catalogue, django_capture_on_commit_callbacks
):
    TestGateway.refunds.clear()
    customer = customer_build(invoicing=Customer.Invoicing.AT_ORDER)
    order = released(
        order_build(lines=[(catalogue.book, 2)], customer=customer, payment_method="card"),
        django_capture_on_commit_callbacks,
    )

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, actor=staff_member("Customer service"), reason="Customer changed their mind")

    invoice = Invoice.objects.get(order=order)
    credit_note = CreditNote.objects.get(invoice=invoice)
    assert credit_note.total == invoice.total and invoice.amount_owed == Decimal("0.00")
    refund = Refund.objects.get(order=order)
    assert (refund.method, refund.amount, refund.status) == ("card", order.total, "succeeded")
    assert [amount for _reference, amount in TestGateway.refunds.values()] == [order.total]
    # The credit note's money owed back is settled by that refund: nothing waits in the queue twice.
    owed = AmountOwedBack.objects.get(order=order)
    assert owed.credit_note_id == credit_note.pk and owed.settled_at is not None
    order.refresh_from_db()
    assert (order.status, order.payment_standing) == ("cancelled", "refunded")


def test_cancelling_an_unpaid_order_invoiced_at_order_credits_the_invoice_in_full(
    catalogue, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_AT_ORDER_PAYMENT_METHODS = ["bank_transfer"]
    order = released(order_build(lines=[(catalogue.book, 1)]), django_capture_on_commit_callbacks)

    order_cancel(order=order, actor=staff_member("Customer service"), reason="Out of budget")

    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.CREDITED
    assert not Refund.objects.filter(order=order).exists() and not AmountOwedBack.objects.filter(order=order).exists()
