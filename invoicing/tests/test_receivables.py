"""Receivables (issue 14, item 2): open and overdue invoices per customer, ageing buckets, and the
customer statement PDF, all from invoicing.receivables."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing.models import Invoice
from invoicing.receivables import bucket_of, customer_open_items, receivables
from invoicing.services.statements import customer_statement_pdf
from lifecycle.settlement import payment_record
from tests.builders import customer_build, order_build, staff_member
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(-1, "not_due"), (0, "d0_30"), (30, "d0_30"), (31, "d31_60"), (60, "d31_60"), (61, "d61_90"), (91, "d90_plus")],
)
def test_the_buckets_are_days_past_the_due_date(days, bucket):
    assert bucket_of(days) == bucket


def owing(catalogue, customer, *, days_overdue: int, books: int = 1, paid: Decimal = Decimal(0)) -> Invoice:
    """An invoice of the customer for `books` books (a customer's orders differ, or the risk check
    holds the second as a duplicate) that falls due `days_overdue` days after the test's today."""
    invoice = order_build(state="invoiced", lines=[(catalogue.book, books)], customer=customer).invoices.get()
    if paid:
        payment_record(invoice=invoice, amount=paid, method="bank_transfer", actor=staff_member("Customer service"))
    return invoice, days_overdue


def test_balances_per_customer_and_bucket_with_payments_taken_off(catalogue):
    anna, bram = customer_build(full_name="Anna"), customer_build(full_name="Bram")
    made = [
        owing(catalogue, anna, days_overdue=-5, books=1),  # not due yet
        owing(catalogue, anna, days_overdue=10, books=2, paid=Decimal("4.00")),  # 0-30, part paid
        owing(catalogue, anna, days_overdue=45, books=3),  # 31-60
        owing(catalogue, bram, days_overdue=100, books=1),  # 90+
    ]
    today = made[0][0].issued_at.date() + timedelta(days=60)
    for invoice, days in made:
        Invoice.objects.filter(pk=invoice.pk).update(due_date=today - timedelta(days=days))
    one, two, three, bram_one = (invoice.total for invoice, _ in made)

    with CaptureQueriesContext(connection) as queries:
        figures = receivables(today=today)

    assert len(queries) == 2, "the totals and one grouped row per customer, whatever the number of invoices"
    assert figures.buckets == {
        "not_due": one,
        "d0_30": two - Decimal("4.00"),
        "d31_60": three,
        "d61_90": Decimal("0.00"),
        "d90_plus": bram_one,
    }
    anna_open = one + two + three - Decimal("4.00")
    assert figures.total == anna_open + bram_one and figures.overdue == anna_open - one + bram_one
    bram_row, anna_row = figures.customers  # the oldest due first
    assert (bram_row.name, bram_row.invoices, bram_row.overdue) == ("Bram", 1, bram_one)
    assert (anna_row.name, anna_row.invoices, anna_row.total) == ("Anna", 3, anna_open)
    assert [item.days_overdue for item in customer_open_items(customer_id=anna.pk, today=today)] == [45, 10, -5]

    # a paid invoice leaves the receivables
    invoice = made[3][0]
    payment_record(
        invoice=invoice, amount=invoice.total, method="bank_transfer", actor=staff_member("Customer service")
    )
    assert [row.name for row in receivables(today=today).customers] == ["Anna"]
    assert [row.name for row in receivables(today=today, overdue_only=True).customers] == ["Anna"]


def test_the_statement_pdf_lists_the_open_items_their_age_and_the_payments(catalogue):
    customer = customer_build(full_name="Anna de Wit", payment_terms="net", net_days=30)
    invoice, _ = owing(catalogue, customer, days_overdue=0, paid=Decimal("4.00"))
    today = invoice.due_date + timedelta(days=40)

    text = pdf_text(customer_statement_pdf(customer=customer, today=today))

    assert "Statement of account" in text and "Anna de Wit" in text and "Net 30 days" in text
    assert invoice.number in text and "40" in text
    balance = invoice.total - Decimal("4.00")
    assert f"31-60 days overdue € {balance}" in text and f"Total open € {balance}" in text
    assert f"Invoice {invoice.number} Bank transfer € 4.00" in text
