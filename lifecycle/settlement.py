"""Money settles an invoice -> a paid order is completed -> the customer is asked for feedback."""

from decimal import Decimal

from django.db import transaction

from feedback.services import feedback_request_create
from invoicing import services as invoicing
from invoicing.models import Invoice, Payment
from orders.services.completion import order_payment_complete


def after_settling(actor, *, refresh_pdf: bool = True):
    """What follows a settled invoice, in its transaction: the PDF again (unless the caller did),
    and a paid order completed."""

    def follow(invoice: Invoice) -> None:
        # The stored PDF said "please pay"; render it again to say paid or what is left.
        if refresh_pdf:
            invoicing.invoice_pdf_refresh(invoice=invoice)
        if invoice.status == Invoice.Status.PAID:
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


def order_payments_capture(*, order_id: int, actor=None) -> list[Payment]:
    """Prepaid (CARD_CAPTURE_AT=release): capture every payment authorised at checkout as the order
    goes to the warehouse, before it is invoiced (each one: the gateway first, then its own
    transaction; a payment captured meanwhile is left alone). The invoice, issued at delivery, is
    then paid as it is issued (lifecycle.delivery)."""
    payment_ids = Payment.objects.filter(order_id=order_id, status=Payment.Status.AUTHORIZED).values_list(
        "pk", flat=True
    )
    return [
        invoicing.payment_capture(
            payment=Payment(pk=payment_id), actor=actor, then=after_settling(actor), before_invoice=True
        )
        for payment_id in list(payment_ids)
    ]
