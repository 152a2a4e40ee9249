"""Payment terms (issue 14, item 1): prepaid, net N days, end of month + N days; the invoice keeps
the terms it was issued under and prints them with the due date."""

from datetime import date

import pytest
from django.utils import timezone

from invoicing.services import invoice_pdf_ensure
from invoicing.terms import Terms, terms_of
from orders.models import Customer
from tests.builders import customer_build, order_build
from tests.pdf_text import pdf_text


@pytest.mark.parametrize(
    ("kind", "days", "issued_on", "due"),
    [
        ("net", 30, date(2026, 1, 15), date(2026, 2, 14)),
        ("eom", 15, date(2026, 1, 31), date(2026, 2, 15)),  # the last day of January, then 15 days
        ("eom", 15, date(2026, 1, 1), date(2026, 2, 15)),  # the same whatever the day in the month
        ("eom", 30, date(2026, 12, 10), date(2027, 1, 30)),  # across the year
        ("eom", 0, date(2028, 2, 3), date(2028, 2, 29)),  # a leap year's February
        ("prepaid", 14, date(2026, 3, 1), date(2026, 3, 15)),
    ],
)
def test_the_due_date_follows_the_terms(kind, days, issued_on, due):
    assert Terms(kind=kind, days=days).due_date(issued_on) == due


@pytest.mark.django_db
def test_a_customer_without_terms_gets_the_shops_default_days(settings):
    settings.DEFAULT_PAYMENT_TERMS_DAYS = 10
    assert terms_of(customer_build()) == Terms(kind="prepaid", days=10)
    assert terms_of(customer_build(payment_terms="eom", net_days=45)).label == "End of month + 45 days"


@pytest.mark.django_db
def test_an_end_of_month_customers_invoice_is_due_after_the_month_and_says_so(catalogue, staff_users):
    customer = customer_build(payment_terms=Customer.PaymentTerms.END_OF_MONTH, net_days=30)
    order = order_build(state="invoiced", lines=[(catalogue.book, 1)], customer=customer, payment_method="on_invoice")
    invoice = order.invoices.get()

    assert invoice.payment_terms == "End of month + 30 days"
    assert invoice.due_date == Terms(kind="eom", days=30).due_date(timezone.localdate(invoice.issued_at))
    text = pdf_text(invoice_pdf_ensure(invoice_id=invoice.pk)[1])
    assert f"Due date {invoice.due_date:%-d %B %Y}" in text and "Terms End of month + 30 days" in text
    # An account customer pays the invoice by transfer: the reference, the details and the QR code
    assert order.payment_reference and "IBAN" in text and "Scan with your banking app to pay" in text
