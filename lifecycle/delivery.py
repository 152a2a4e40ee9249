"""The last parcel is delivered -> the order is invoiced (and, prepaid, paid at once). A parcel
that came back to us with a refund due -> the order is delivered with what did arrive, the invoice
credits the parcel's units and what was paid for them goes back."""

from collections import Counter

from django.db import transaction

from invoicing.models import AmountOwedBack, CreditNote, Invoice
from invoicing.selectors import invoice_lines_by_order_line
from invoicing.services import (
    invoice_creditable,
    invoice_payments_adopt,
    order_invoice_on_delivery,
    refund_the_way_it_was_paid,
)
from orders.models import Order, Shipment
from orders.services import fulfillment
from orders.services import returns as returned_parcels

from .credit_notes import credit_note_issue
from .settlement import after_settling


@transaction.atomic
def shipment_deliver(*, shipment: Shipment, actor=None, note: str = "", expected_status: str | None = None) -> Shipment:
    """Record a parcel's delivery (orders' shipment_deliver); when it was the order's last one, the
    order is delivered and invoiced (order_delivered_invoice).

    Locks: orders.locks.order_lock, the shipment (transition core), then the invoice number counter
    (orders_site.core.locks.sequence_lock). Raises TransitionRefused.
    """
    shipment = fulfillment.shipment_deliver(shipment=shipment, actor=actor, note=note, expected_status=expected_status)
    order_delivered_invoice(order=Order.objects.get(pk=shipment.order_id), actor=actor)
    return shipment


@transaction.atomic
def order_delivered_invoice(*, order: Order, actor=None) -> Invoice | None:
    """A delivered order is invoiced: its invoice issued now (gapless number, PDF and e-mail
    queued, authorised card payments captured after commit), or the one issued at order taken
    up. Money captured before (prepaid) pays it at once and completes the order; an invoice
    paid already completes it too. Then each parcel that came back with a refund due is credited
    and its money paid back (returned_parcels_credit). Does nothing for an order that is not
    delivered. Returns the invoice."""
    if order.status != Order.Status.DELIVERED:
        return None
    invoice = order_invoice_on_delivery(order=order, actor=actor)
    settle = after_settling(actor, refresh_pdf=False)
    if not invoice_payments_adopt(invoice=invoice, actor=actor, then=settle):
        invoice.refresh_from_db()
        if invoice.status == Invoice.Status.PAID:  # invoiced and paid at order
            settle(invoice)
    returned_parcels_credit(order=order)
    return invoice


@transaction.atomic
def shipment_return_decide(*, shipment: Shipment, decision: str, note: str = "", actor=None) -> Shipment:
    """Record customer service's decision on a parcel that came back (orders' shipment_return_decide:
    re-ship, or refund due). Refund due: when nothing else is on its way the order is delivered and
    invoiced now (order_delivered_invoice, which credits the parcel); an order invoiced at order
    has the parcel credited at once. Locks and raises as orders' service, then as invoicing's."""
    shipment = returned_parcels.shipment_return_decide(shipment=shipment, decision=decision, note=note, actor=actor)
    if decision == Shipment.ReturnDecision.REFUND_DUE:
        order = Order.objects.get(pk=shipment.order_id)
        if order_delivered_invoice(order=order, actor=actor) is None:
            returned_parcels_credit(order=order)
    return shipment


def returned_parcels_credit(*, order: Order) -> list[CreditNote]:
    """Credit, on the order's issued invoice, each parcel that came back with a refund due and is
    not credited yet (CreditNote.shipment: once per parcel): its units, and the delivery fee when no
    parcel of the order arrived at all; then pay back what the credit leaves owed, the way it was
    paid (card, store credit; the rest waits in "Owed back to customers"). The credit notes and
    refunds are the consequence of the decision already on the timeline, so no actor is checked.
    Call it holding the order (its callers' transactions do)."""
    invoice = order.invoices.exclude(number=None).first()
    if invoice is None:
        return []
    parcels = list(
        order.shipments.filter(return_decision=Shipment.ReturnDecision.REFUND_DUE, credit_note__isnull=True)
        .prefetch_related("lines")
        .order_by("pk")
    )
    if not parcels:
        return []
    by_order_line = invoice_lines_by_order_line(invoice=invoice)
    nothing_arrived = not order.shipments.filter(status=Shipment.Status.DELIVERED).exists()
    credit_notes = []
    for parcel in parcels:
        left = {entry.line.pk: entry.units_left for entry in invoice_creditable(invoice=invoice).lines}
        wanted = Counter()
        for line in parcel.lines.all():
            if line.order_line_id in by_order_line:
                wanted[by_order_line[line.order_line_id]] += line.quantity
        units = {pk: min(count, left.get(pk, 0)) for pk, count in wanted.items() if left.get(pk, 0) > 0}
        shipping = nothing_arrived and invoice_creditable(invoice=invoice).shipping_net > 0
        if not units and not shipping:
            continue
        reason = f"Parcel {parcel.number} came back to us: refund due" + (
            f" ({parcel.return_decision_note})" if parcel.return_decision_note else ""
        )
        credit_note = credit_note_issue(
            invoice=invoice, reason=reason, units=units, include_shipping=shipping, shipment=parcel
        )
        owed = AmountOwedBack.objects.filter(credit_note=credit_note).first()
        if owed is not None:
            refund_the_way_it_was_paid(order=order, amount=owed.amount, reason=reason, owed_back=owed)
        credit_notes.append(credit_note)
    return credit_notes
