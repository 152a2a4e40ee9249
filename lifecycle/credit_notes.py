"""A credit note corrects an invoice -> when that leaves nothing to pay on a paid-up invoice, the
order is paid and completed as a payment would complete it (lifecycle.settlement)."""

from decimal import Decimal

from django.db import transaction

from invoicing import services as invoicing
from invoicing.models import CreditNote, Invoice
from orders.models import Order

from .settlement import after_settling


@transaction.atomic
def credit_note_issue(
    *,
    invoice: Invoice,
    reason: str,
    units: dict[int, int] | None = None,
    include_shipping: bool = False,
    amount: Decimal | None = None,
    actor=None,
    shipment=None,
) -> CreditNote:
    """Issue a credit note (invoicing's credit_note_issue: locks, events, PDF, e-mail). When the
    credit settles an invoice that was part paid (what was paid now covers the corrected total),
    the order is paid and completed and the customer asked for feedback, as a payment would.
    Raises what invoicing's service raises."""
    credit_note = invoicing.credit_note_issue(
        invoice=invoice,
        reason=reason,
        units=units,
        include_shipping=include_shipping,
        amount=amount,
        actor=actor,
        shipment=shipment,
    )
    invoice = Invoice.objects.select_related("order").get(pk=credit_note.invoice_id)
    if invoice.status == Invoice.Status.PAID and invoice.order.status == Order.Status.INVOICED:
        after_settling(actor, refresh_pdf=False)(invoice)
    return credit_note
