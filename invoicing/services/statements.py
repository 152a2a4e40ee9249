"""The customer statement (issue 14, item 2): a PDF of the customer's open invoices, their ageing
and the payments of the last 90 days, as of a day. Read from invoicing.receivables; nothing stored
(it is a snapshot, made again whenever it is asked for)."""

from datetime import date

from django.conf import settings
from django.utils import timezone

from orders.models import Customer

from ..pdf import customer_statement_pdf_render
from ..receivables import BUCKET_LABELS, customer_open_items, customer_recent_payments
from ..terms import terms_of
from .invoices import payment_method_label

PAYMENT_DAYS = 90


def customer_statement_pdf(*, customer: Customer, today: date | None = None) -> bytes:
    """The statement as PDF bytes."""
    today = today or timezone.localdate()
    items = customer_open_items(customer_id=customer.pk, today=today)
    sums = dict.fromkeys(BUCKET_LABELS, None)
    for key in sums:
        sums[key] = sum((item.balance for item in items if item.bucket == key), 0)
    payments = customer_recent_payments(customer_id=customer.pk, today=today, days=PAYMENT_DAYS)
    return customer_statement_pdf_render(
        customer=customer,
        as_of=today,
        terms=terms_of(customer).label,
        currency=settings.CURRENCY,
        items=[
            {
                "invoice": item.invoice,
                "balance": item.balance,
                "settled": item.invoice.total - item.balance,
                "days_overdue": item.days_overdue,
            }
            for item in items
        ],
        buckets=[{"key": key, "label": BUCKET_LABELS[key], "amount": amount} for key, amount in sums.items()],
        total=sum((item.balance for item in items), 0),
        payments=[
            {
                "captured_at": payment.captured_at,
                "invoice": payment.invoice,
                "order": payment.order,
                "method_label": payment_method_label(payment.method).capitalize(),
                "amount": payment.amount,
            }
            for payment in payments
        ],
        payment_days=PAYMENT_DAYS,
    )
