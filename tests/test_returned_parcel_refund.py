"""A parcel that came back to us with "refund due" (issue 13): the customer will not get its goods,
so the order is delivered with what did arrive, its invoice credits the parcel's units (and the
delivery fee when nothing arrived at all), and what was paid for them goes back the way it was paid."""

from decimal import Decimal

import pytest

from invoicing.gateways import TestGateway
from invoicing.models import AmountOwedBack, CreditNote, Invoice, Refund
from lifecycle.delivery import shipment_deliver, shipment_return_decide
from orders.models import Order, OrderEvent
from orders.services.fulfillment import shipment_fail_delivery, shipment_return_to_sender
from orders.services.returns import shipment_receive_back
from orders_site.core.exceptions import ApplicationError
from tests.builders import order_build, parcels_of, staff_member

pytestmark = pytest.mark.django_db


def came_back(parcel):
    warehouse = staff_member("Warehouse")
    parcel = shipment_fail_delivery(shipment=parcel, actor=warehouse)
    parcel = shipment_return_to_sender(shipment=parcel, actor=warehouse)
    return shipment_receive_back(shipment=parcel, actor=warehouse)


def test_the_only_parcel_back_with_a_refund_due_credits_everything_and_refunds_the_card(
    catalogue, settings, django_capture_on_commit_callbacks
):
    # A prepaid card order (captured as it went to the warehouse) whose one parcel came back
    settings.CARD_CAPTURE_AT = "release"
    TestGateway.refunds.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order = order_build(lines=[(catalogue.book, 2)], state="shipped", payment_method="card")
    parcel = came_back(parcels_of(order)[0])

    with django_capture_on_commit_callbacks(execute=True):
        shipment_return_decide(
            shipment=parcel, decision="refund_due", note="Customer moved", actor=staff_member("Customer service")
        )

    order = Order.objects.get(pk=order.pk)
    invoice = Invoice.objects.get(order=order)
    credit_note = CreditNote.objects.get(invoice=invoice)
    assert credit_note.shipment_id == parcel.pk
    assert credit_note.total == invoice.total == order.total  # both books and the delivery fee
    assert credit_note.reason == f"Parcel {parcel.number} came back to us: refund due (Customer moved)"
    refund = Refund.objects.get(order=order)
    assert (refund.method, refund.amount, refund.status) == ("card", order.total, "succeeded")
    assert [amount for _reference, amount in TestGateway.refunds.values()] == [order.total]
    assert AmountOwedBack.objects.get(order=order).settled_at is not None
    assert (order.status, order.payment_standing) == ("completed", "refunded")


def test_a_returned_parcel_of_a_pay_on_invoice_order_is_credited_when_the_other_one_arrives(
    catalogue, django_capture_on_commit_callbacks
):
    # Two parcels (chair from Amsterdam, book from Rotterdam), paid by transfer after the invoice
    order = order_build(lines=[(catalogue.chair, 1), (catalogue.book, 2)], state="shipped")
    chair_parcel, book_parcel = parcels_of(order)
    book_parcel = came_back(book_parcel)
    desk = staff_member("Customer service")

    shipment_return_decide(shipment=book_parcel, decision="refund_due", actor=desk)
    # The chair is still on its way: nothing is invoiced yet.
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    assert not Invoice.objects.filter(order=order).exists()

    with django_capture_on_commit_callbacks(execute=True):
        shipment_deliver(shipment=chair_parcel, actor=staff_member("Warehouse"))

    order = Order.objects.get(pk=order.pk)
    invoice = Invoice.objects.get(order=order)
    credit_note = CreditNote.objects.get(invoice=invoice)
    book_line = invoice.lines.get(sku="BOOK-1")
    assert [(line.invoice_line_id, line.quantity) for line in credit_note.lines.all()] == [(book_line.pk, 2)]
    assert credit_note.total == book_line.line_total  # the delivery fee stays: the chair arrived
    assert invoice.amount_owed == invoice.total - book_line.line_total
    assert not Refund.objects.filter(order=order).exists()  # nothing was paid yet: the invoice owes less
    assert order.status == Order.Status.INVOICED
    assert OrderEvent.objects.filter(order=order, kind="credit_note.issued").count() == 1


def test_a_parcel_is_credited_once_and_a_decision_is_not_taken_twice(catalogue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_build(lines=[(catalogue.book, 1)], state="shipped")
    parcel = came_back(parcels_of(order)[0])
    desk = staff_member("Customer service")
    shipment_return_decide(shipment=parcel, decision="refund_due", actor=desk)

    with pytest.raises(ApplicationError, match="has its decision already"):
        shipment_return_decide(shipment=parcel, decision="refund_due", actor=desk)

    assert CreditNote.objects.filter(order=order).count() == 1
    assert Invoice.objects.get(order=order).status == Invoice.Status.CREDITED
    assert Invoice.objects.get(order=order).amount_credited == Decimal(order.total)
