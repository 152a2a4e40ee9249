"""The last parcel is delivered -> the order is invoiced (and, prepaid, paid at once)."""

from django.db import transaction

from invoicing.services import invoice_issue, invoice_payments_adopt
from orders.models import Order, Shipment
from orders.services import fulfillment

from .settlement import after_settling


@transaction.atomic
def shipment_deliver(*, shipment: Shipment, actor=None, note: str = "", expected_status: str | None = None) -> Shipment:
    """Record a parcel's delivery (orders' shipment_deliver); when it was the order's last one, the
    order is delivered and its invoice issued (gapless number, PDF and e-mail queued, authorised
    card payments captured after commit).

    Locks: orders.locks.order_lock, the shipment (transition core), then the invoice number counter
    (orders_site.core.locks.sequence_lock). Raises TransitionRefused.
    """
    shipment = fulfillment.shipment_deliver(shipment=shipment, actor=actor, note=note, expected_status=expected_status)
    order = Order.objects.get(pk=shipment.order_id)
    if order.status == Order.Status.DELIVERED:
        invoice = invoice_issue(order=order, actor=actor)
        # Prepaid: what was captured at release pays the invoice now, and completes the order.
        invoice_payments_adopt(invoice=invoice, actor=actor, then=after_settling(actor, refresh_pdf=False))
    return shipment
