"""The stored invoice PDF says what is true when it is read: what is owed, or that it is paid."""

from datetime import date
from decimal import Decimal

import pytest

from invoicing.models import Invoice
from invoicing.services import invoice_pdf_ensure
from lifecycle.settlement import payment_record
from orders.payment_reference import reference_grouped
from tests.builders import order_build
from tests.pdf_text import pdf_text

IBAN_SHOWN = "NL91 ABNA 0417 1643 00"


@pytest.fixture(autouse=True)
def bank_details(settings):
    settings.SHOP_ACCOUNT_HOLDER = "Demo Shop Payments B.V."
    settings.SHOP_IBAN = "NL91ABNA0417164300"
    settings.SHOP_BIC = "ABNANL2A"


def _invoice(catalogue, staff_users, **placement) -> Invoice:
    order = order_build(state="invoiced", lines=[(catalogue.chair, 1)], actor=staff_users["Warehouse"], **placement)
    return order.invoices.get()


def _pdf(invoice: Invoice) -> str:
    return pdf_text(invoice_pdf_ensure(invoice_id=invoice.pk)[1])


@pytest.mark.django_db
def test_an_unpaid_bank_transfer_invoice_says_where_and_what_to_pay(catalogue, staff_users):
    invoice = _invoice(catalogue, staff_users)

    text = _pdf(invoice)

    for expected in [
        "Demo Shop Payments B.V.",
        IBAN_SHOWN,
        "ABNANL2A",
        f"Amount due € {invoice.total}",
        reference_grouped(invoice.order.payment_reference),
        "Please pay by",
        "Scan with your banking app to pay",  # beside the EPC QR code (orders.epc_qr)
    ]:
        assert expected in text, f"{expected!r} is missing from the invoice"


@pytest.mark.django_db
def test_re_rendering_a_paid_invoice_says_paid_and_asks_for_nothing(
    catalogue, staff_users, django_capture_on_commit_callbacks
):
    # Given an invoice whose PDF was stored while it was unpaid
    invoice = _invoice(catalogue, staff_users)
    stored_name = invoice_pdf_ensure(invoice_id=invoice.pk)[0].pdf.name
    assert "Please pay by" in _pdf(invoice)

    # When the transfer is recorded (the refresh task runs on commit)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(invoice=invoice, amount=invoice.total, method="bank_transfer", actor=staff_users["Managers"])

    # Then the stored PDF, same file name, says paid with the date and method
    invoice.refresh_from_db()
    assert invoice.pdf.name == stored_name
    text = _pdf(invoice)
    assert f"Paid: € {invoice.total} on {date.today():%-d %B %Y} by bank transfer" in text
    assert "Please pay by" not in text and IBAN_SHOWN not in text


@pytest.mark.django_db
def test_a_part_paid_invoice_shows_the_balance(catalogue, staff_users, django_capture_on_commit_callbacks):
    invoice = _invoice(catalogue, staff_users)
    invoice_pdf_ensure(invoice_id=invoice.pk)

    with django_capture_on_commit_callbacks(execute=True):
        payment_record(invoice=invoice, amount=Decimal("50.00"), method="bank_transfer", actor=staff_users["Managers"])

    balance = invoice.total - Decimal("50.00")
    text = _pdf(invoice)
    assert f"Balance due: € {balance}" in text
    assert f"Amount due € {balance}" in text and IBAN_SHOWN in text and "Please pay by" in text


@pytest.mark.django_db
def test_a_card_invoice_never_asks_for_payment(catalogue, staff_users, django_capture_on_commit_callbacks):
    # Before the capture ran the card is still to be charged; after it, the invoice is paid
    invoice = _invoice(catalogue, staff_users, payment_method="card")
    before = _pdf(invoice)

    with django_capture_on_commit_callbacks(execute=True):
        invoice = _invoice(catalogue, staff_users, payment_method="card")
    after = _pdf(invoice)

    assert "Paid by card" in before and "Please pay by" not in before and IBAN_SHOWN not in before
    assert "Paid: €" in after and "by card" in after and "Please pay by" not in after


@pytest.mark.django_db
def test_a_cash_invoice_shows_no_bank_details(catalogue, staff_users):
    text = _pdf(_invoice(catalogue, staff_users, payment_method="cash_on_delivery"))

    assert IBAN_SHOWN not in text and "Please pay by" in text


@pytest.mark.django_db
def test_the_invoice_shows_delivery_date_and_company_registration_when_set(catalogue, staff_users, settings):
    settings.SHOP_COMPANY_REGISTRATION = "KvK 12345678"
    invoice = _invoice(catalogue, staff_users)

    text = _pdf(invoice)

    assert "Company registration KvK 12345678" in text
    assert f"Delivery date {date.today():%-d %B %Y}" in text


@pytest.mark.django_db
def test_no_company_registration_line_when_unset(catalogue, staff_users, settings):
    settings.SHOP_COMPANY_REGISTRATION = ""

    assert "Company registration" not in _pdf(_invoice(catalogue, staff_users))
