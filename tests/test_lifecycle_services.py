"""One order through all six stages (placement to feedback), through the services, checking everything a
merchant and a customer would notice: timeline, stock, invoice, PDF, e-mails and feedback."""

from decimal import Decimal

import pytest

from feedback.models import Feedback
from feedback.selectors import feedback_request_from_token, feedback_token_for
from feedback.services import feedback_submit
from inventory.models import StockLevel, StockMovement
from lifecycle.delivery import shipment_deliver
from lifecycle.settlement import payment_record
from orders.models import Order, OrderEvent
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
)
from tests.builders import order_build, shipment_packed
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db


def levels(product):
    return {lv.warehouse.code: (lv.on_hand, lv.allocated) for lv in StockLevel.objects.filter(product=product)}


def test_one_order_through_all_six_stages(
    catalogue, customer, staff_users, mailoutbox, django_capture_on_commit_callbacks
):
    warehouse, service = staff_users["Warehouse"], staff_users["Customer service"]

    # 1. Placement: 2 chairs (149.00, 21 %), 1 book (24.50, 9 %), assembly (30.00, 21 %), shipping 4.95 (21 %).
    with django_capture_on_commit_callbacks(execute=True):
        order = order_build(
            customer=customer,
            lines=[(catalogue.chair, 2), (catalogue.book, 1), (catalogue.assembly, 1)],
        )
    # 2. Verification ran at once; the order is split over two warehouses (the book is only in RTM).
    assert order.status == Order.Status.VERIFIED
    assert order.subtotal == Decimal("352.50")
    # Tax per line, half-up: 62.58 (chairs) + 2.21 (book, 2.205) + 6.30 (assembly) + 1.04 (shipping, 1.0395).
    assert order.tax_total == Decimal("72.13")
    assert order.total == Decimal("429.58")
    assert {c.name: c.result for c in order.checks.all()} == {
        "customer": "passed",
        "pricing": "passed",
        "stock": "passed",
        "risk": "passed",
    }
    assert levels(catalogue.chair)["AMS"] == (10, 2)
    assert levels(catalogue.book)["RTM"] == (20, 1)

    # 3. Fulfilment: one shipment per warehouse, picked and packed by the warehouse.
    with django_capture_on_commit_callbacks(execute=True):
        order = order_fulfillment_start(order=order, actor=warehouse)
        shipments = list(order.shipments.order_by("pk"))
        assert [s.warehouse.code for s in shipments] == ["AMS", "RTM"]
        shipments = [shipment_packed(shipment=s, actor=warehouse) for s in shipments]
        assert levels(catalogue.chair)["AMS"] == (10, 2), "stock leaves on_hand only at dispatch"
        # 4. Shipping and delivery.
        for shipment in shipments:
            shipment_dispatch(
                shipment=shipment,
                carrier="PostNL",
                service="Parcel",
                tracking_number=f"3S{shipment.pk}",
                tracking_url="https://track.example/3S",
                actor=warehouse,
            )
        order.refresh_from_db()
        assert order.status == Order.Status.SHIPPED
        assert levels(catalogue.chair)["AMS"] == (8, 0)
        assert levels(catalogue.book)["RTM"] == (19, 0)
        for shipment in shipments:
            shipment_deliver(shipment=shipment, actor=warehouse)

    # 5. Invoicing: delivery issued the invoice with the first gapless number; the PDF says what it bills.
    order.refresh_from_db()
    assert order.status == Order.Status.INVOICED
    invoice = order.invoices.get()
    assert invoice.number.endswith("-000001")
    assert invoice.total == order.total
    with invoice.pdf.open("rb") as stored:
        text = pdf_text(stored.read())
    for expected in (
        invoice.number,
        order.number,
        "Oak chair",
        "Woodworking book",
        "Assembly service",
        "352.50",
        "72.13",
        "429.58",
        "Tax 21 % on € 332.95 € 69.92",
        "Tax 9 % on € 24.50 € 2.21",
    ):
        assert expected in text, f"{expected!r} missing from the invoice PDF"

    with django_capture_on_commit_callbacks(execute=True):
        payment_record(invoice=invoice, amount=Decimal("400.00"), method="bank_transfer", actor=service)
        invoice.refresh_from_db()
        assert invoice.status == "partially_paid" and invoice.balance_due == Decimal("29.58")
        payment_record(invoice=invoice, amount=Decimal("29.58"), method="bank_transfer", actor=service)

    # 6. Confirmation and feedback.
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    token = feedback_token_for(request_id=order.feedback_request.pk)
    feedback_request = feedback_request_from_token(token=token)
    feedback_submit(
        feedback_request=feedback_request,
        overall_rating=2,
        comment="Chair arrived scratched",
        product_ratings={catalogue.chair.pk: 1, catalogue.book.pk: 5},
    )
    feedback = Feedback.objects.get(request__order=order)
    assert feedback.needs_follow_up is True
    assert {r.product.sku: r.rating for r in feedback.product_ratings.all()} == {"CHAIR-1": 1, "BOOK-1": 5}

    # The whole timeline: exactly one event per transition, in order.
    timeline = [(e.kind, e.from_state, e.to_state) for e in order.events.all()]
    s1, s2 = (s.pk for s in shipments)
    assert [k for k, *_ in timeline] == [
        "order.place",
        "order.verify",
        "order.start_fulfillment",
        "shipment.start_picking",
        "workitem.finish",  # the assembly travels with the first parcel: done before it is packed
        "shipment.pack",
        "shipment.start_picking",
        "shipment.pack",
        "shipment.dispatch",
        "order.ship_partially",
        "shipment.dispatch",
        "order.ship",
        "shipment.deliver",
        "shipment.deliver",
        "order.deliver",
        "invoice.issue",
        "order.invoice",
        "payment.capture",
        "invoice.record_partial_payment",
        "payment.capture",
        "invoice.mark_paid",
        "order.pay",
        "order.complete",
        "feedback.received",
    ]
    assert ("order.ship", "partially_shipped", "shipped") in timeline
    assert {kind for kind, *_ in timeline} <= set(OrderEvent.Kind.values), "every kind written is in the enum"
    assert order.events.filter(kind="shipment.dispatch", object_id=s1).get().actor == warehouse
    assert order.events.filter(kind="payment.capture").first().actor == service

    # Stock ledger: allocations and dispatches, nothing else, and it adds up to the levels.
    kinds = list(StockMovement.objects.filter(reference=order.number).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["allocation", "allocation", "dispatch", "dispatch"]
    for level in StockLevel.objects.all():
        moves = level.movements.all()
        assert sum(m.on_hand_delta for m in moves) == level.on_hand
        assert sum(m.allocated_delta for m in moves) == level.allocated

    # E-mails: to the customer, one per event, the invoice with its PDF attached.
    assert [m.subject for m in mailoutbox] == [
        f"We received your order {order.number}",
        f"Your order {order.number} is on its way",
        f"Your order {order.number} is on its way",
        f"Invoice {invoice.number} for order {order.number}",
        f"Payment received for order {order.number}, thank you",
        f"How did we do with order {order.number}?",
    ]
    assert all(m.to == [customer.email] for m in mailoutbox)
    invoice_mail = mailoutbox[3]
    ((name, content, mimetype),) = invoice_mail.attachments
    assert name == f"invoice-{invoice.number}.pdf" and mimetype == "application/pdf"
    assert invoice.number in pdf_text(content)
    assert "/feedback/" in mailoutbox[5].body
