"""An order's payment standing (issue 13, item 1): worked out from its money and stored on the order
(orders.services.payment_standing), so the console filters and counts it by an index.

- refunded: money came in and all of it went back; partially refunded: some went back;
- paid: what came in covers what is owed (the invoices' totals less credit notes, or the order's
  total before it is invoiced);
- overdue: an open invoice is past its due date (a daily sweep catches the day it falls due);
- partially paid: something came in, not all; authorised: a card hold or store credit waits to be
  captured; unpaid: nothing yet.
"""

from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from orders.models import Order
from orders.services.payment_standing import order_payment_standing_record
from orders_site.core.money import ZERO

from ..models import Invoice, Payment, Refund

Standing = Order.PaymentStanding
OPEN = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)


def amount_owed(*, order_total: Decimal, cancelled: bool, invoices: list[Invoice]) -> Decimal:
    """What the order asks to be paid: its issued invoices' totals less credit notes, or before it
    is invoiced its total (nothing once cancelled). Refunds and the standing both go by it."""
    issued = [invoice for invoice in invoices if invoice.number]
    if issued:
        return sum((invoice.amount_owed for invoice in issued), ZERO)
    return ZERO if cancelled else order_total


def payment_standing_of(
    *,
    order_total: Decimal,
    cancelled: bool,
    captured: Decimal,
    authorised: Decimal,
    refunded: Decimal,
    invoices: list[Invoice],
    today: date,
) -> str:
    """The standing from the figures (pure)."""
    if refunded > 0:
        return Standing.REFUNDED if refunded >= captured else Standing.PARTIALLY_REFUNDED
    issued = [invoice for invoice in invoices if invoice.number]
    owed = amount_owed(order_total=order_total, cancelled=cancelled, invoices=invoices)
    if captured > 0 and captured >= owed:
        return Standing.PAID
    if any(i.status in OPEN and i.due_date and i.due_date < today for i in issued):
        return Standing.OVERDUE
    if captured > 0:
        return Standing.PARTIALLY_PAID
    if authorised > 0:
        return Standing.AUTHORISED
    if issued and owed <= 0:  # credited in full before anything was paid
        return Standing.PAID
    return Standing.UNPAID


def payment_standing_refresh(*, order: Order, today: date | None = None) -> str:
    """Work the order's standing out again and store it (three queries and at most one UPDATE).
    Call it in the transaction that moved the money, holding the order."""
    payments = Payment.objects.filter(order_id=order.pk)
    captured = payments.filter(status=Payment.Status.CAPTURED).aggregate(s=Sum("amount"))["s"] or ZERO
    authorised = payments.filter(status=Payment.Status.AUTHORIZED).aggregate(s=Sum("amount"))["s"] or ZERO
    refunded = (
        Refund.objects.filter(order_id=order.pk, status=Refund.Status.SUCCEEDED).aggregate(s=Sum("amount"))["s"] or ZERO
    )
    standing = payment_standing_of(
        order_total=order.total,
        cancelled=order.status == Order.Status.CANCELLED,
        captured=captured,
        authorised=authorised,
        refunded=refunded,
        invoices=list(Invoice.objects.filter(order_id=order.pk)),
        today=today or timezone.localdate(),
    )
    order_payment_standing_record(order_id=order.pk, standing=standing)
    return standing


def payment_standings_mark_overdue(*, today: date | None = None) -> int:
    """Run daily by beat: orders whose open invoice fell due are "Overdue" now. Returns how many."""
    today = today or timezone.localdate()
    order_ids = (
        Invoice.objects.filter(status__in=OPEN, due_date__lt=today)
        .exclude(order__payment_standing=Standing.OVERDUE)
        .values_list("order_id", flat=True)
        .distinct()
    )
    changed = 0
    for order in Order.objects.filter(pk__in=list(order_ids)).order_by("pk"):
        if payment_standing_refresh(order=order, today=today) == Standing.OVERDUE:
            changed += 1
    return changed
