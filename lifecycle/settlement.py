"""Money settles an invoice -> a paid order is completed -> the customer is asked for feedback."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction

from feedback.services import feedback_request_create
from invoicing import services as invoicing
from invoicing.models import Invoice, Payment
from orders.locks import order_lock
from orders.models import Order
from orders.services.completion import order_payment_complete
from orders.services.fulfillment import invoiced_at_order


def after_settling(actor, *, refresh_pdf: bool = True):
    """What follows a settled invoice, in its transaction: the PDF again (unless the caller did),
    and a paid order completed."""

    def follow(invoice: Invoice) -> None:
        # The stored PDF said "please pay"; render it again to say paid or what is left.
        if refresh_pdf:
            invoicing.invoice_pdf_refresh(invoice=invoice)
        # Invoiced at order, money may settle the invoice before delivery: the order completes
        # once it is delivered and invoiced (lifecycle.delivery). The status is read again: the
        # invoice's cached order may predate "invoiced".
        if (
            invoice.status == Invoice.Status.PAID
            and Order.objects.filter(pk=invoice.order_id, status=Order.Status.INVOICED).exists()
        ):
            order = order_payment_complete(order=invoice.order, actor=actor)
            feedback_request_create(order=order)

    return follow


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    method: str,
    reference: str = "",
    actor=None,
    expected_amount_paid: Decimal | None = None,
) -> Payment:
    """Record money received against an issued invoice (invoicing's payment_record); once the
    invoice is paid in full, the order is paid and completed, the customer gets the confirmation
    and a feedback request.

    Locks: orders.locks.order_lock, then invoicing.locks.invoice_lock. Queues both e-mails.
    Raises what invoicing's service raises.
    """
    return invoicing.payment_record(
        invoice=invoice,
        amount=amount,
        method=method,
        reference=reference,
        actor=actor,
        expected_amount_paid=expected_amount_paid,
        then=after_settling(actor),
    )


def payment_capture(*, payment_id: int, actor=None) -> Payment:
    """Capture an authorised card payment against its issued invoice (invoicing's payment_capture:
    the gateway first, then one transaction); a paid invoice completes the order as above."""
    return invoicing.payment_capture(payment=Payment(pk=payment_id), actor=actor, then=after_settling(actor))


def order_released(*, order_id: int, actor=None) -> str:
    """What follows an order's release to the warehouse (orders' order_released_follow_up, after
    commit). Invoiced at order (orders.services.fulfillment.invoiced_at_order): its invoice is
    issued now, which captures what was authorised at checkout as every invoice does, and takes
    up what was captured before. Otherwise, prepaid (CARD_CAPTURE_AT=release): each authorised
    payment is captured before the invoice (the gateway first, then its own transaction). Safe to
    repeat: an invoice issued or a payment captured meanwhile is left alone; an order cancelled
    or delivered meanwhile needs nothing (the delivery invoices it). Returns what it did."""
    order = Order.objects.select_related("customer").get(pk=order_id)
    if invoiced_at_order(order):
        with transaction.atomic():
            order = order_lock(order_id=order_id)
            if order.status not in invoicing.INVOICEABLE_BEFORE_DELIVERY or order.invoices.exists():
                return "nothing to invoice"
            invoice = invoicing.invoice_issue(order=order, actor=actor)
            invoicing.invoice_payments_adopt(
                invoice=invoice, actor=actor, then=after_settling(actor, refresh_pdf=False)
            )
        return f"invoiced {invoice.number}"
    if settings.CARD_CAPTURE_AT != "release":
        return "nothing to do"
    payment_ids = Payment.objects.filter(order_id=order_id, status=Payment.Status.AUTHORIZED).values_list(
        "pk", flat=True
    )
    captured = [
        invoicing.payment_capture(
            payment=Payment(pk=payment_id), actor=actor, then=after_settling(actor), before_invoice=True
        )
        for payment_id in list(payment_ids)
    ]
    return f"captured {len(captured)}"
