"""Reads of invoices and payments that are more than one obvious query."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from orders.models import Order
from orders_site.core.money import ZERO

from .models import Invoice, Payment


@dataclass(frozen=True)
class PaymentSummary:
    """What an order costs, what came in and what is still owed, with its invoices and payments."""

    total: Decimal
    paid: Decimal  # captured payments
    authorised: Decimal  # card holds not captured yet
    balance_due: Decimal  # total - paid; negative when overpaid
    invoices: list[Invoice]  # oldest first
    payments: list[Payment]  # oldest first

    @property
    def overpaid(self) -> Decimal:
        return -self.balance_due if self.balance_due < 0 else ZERO


def invoice_is_overdue(invoice: Invoice, *, today=None) -> bool:
    """Issued, not paid in full, and past its due date."""
    today = today or timezone.localdate()
    return (
        invoice.status in (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
        and invoice.due_date is not None
        and invoice.due_date < today
    )


def order_payment_summary(*, order: Order) -> PaymentSummary:
    """The order's payment card in the staff console. Two queries, whatever the number of invoices
    and payments."""
    invoices = list(Invoice.objects.filter(order=order).order_by("pk"))
    payments = list(Payment.objects.filter(order=order).order_by("pk"))
    paid = sum((p.amount for p in payments if p.status == Payment.Status.CAPTURED), ZERO)
    authorised = sum((p.amount for p in payments if p.status == Payment.Status.AUTHORIZED), ZERO)
    return PaymentSummary(
        total=order.total,
        paid=paid,
        authorised=authorised,
        balance_due=order.total - paid if order.status != Order.Status.CANCELLED else ZERO,
        invoices=invoices,
        payments=payments,
    )
