"""The credit-note page of an invoice (customer service and managers): units per line, the delivery
fee, an amount, the reason; refusals beside the field; the credit note's own page and PDF."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import CreditNote, Invoice
from lifecycle.credit_notes import credit_note_issue
from tests.builders import order_build
from tests.pdf_text import pdf_text

from .journeys import errors_in, successes_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(catalogue) -> Invoice:
    order = order_build(
        lines=[(catalogue.book, 3), (catalogue.lamp, 1)], state="invoiced", payment_method="bank_transfer"
    )
    return order.invoices.get()


def page_url(invoice) -> str:
    return reverse("admin:invoicing_invoice_credit_note", args=[invoice.pk])


def test_customer_service_credits_one_book_from_the_invoice_page(invoice, staff_client):
    browser = staff_client("Customer service")
    invoice_page = browser.get(reverse("admin:invoicing_invoice_change", args=[invoice.pk]))
    assert page_url(invoice) in invoice_page.text and "Issue credit note" in invoice_page.text
    book = invoice.lines.get(sku="BOOK-1")

    form = browser.get(page_url(invoice))
    assert form.status_code == 200 and f'name="line_{book.pk}"' in form.text

    response = browser.post(page_url(invoice), {f"line_{book.pk}": "1", "reason": "Damaged in transit"}, follow=True)

    credit_note = CreditNote.objects.get()
    assert successes_in(response) == [
        f"Credit note {credit_note.number} of €\xa0{credit_note.total} issued on invoice {invoice.number}; "
        "the customer gets it by e-mail."
    ]
    assert credit_note.number in response.text  # listed on the invoice's page
    pdf = browser.get(reverse("admin:invoicing_creditnote_pdf", args=[credit_note.pk]))
    assert pdf["Content-Type"] == "application/pdf" and "Damaged in transit" in pdf_text(pdf.content)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"line": "abc", "reason": "x"}, "Enter a whole number of units, or leave it empty."),
        ({"line": "4", "reason": "x"}, "BOOK-1: 3 of 3 invoiced can still be credited."),
        ({"line": "1", "reason": ""}, "Say why the invoice is corrected"),
        ({"amount": "lots", "reason": "x"}, "Enter the amount as a number, for example 12.50."),
        ({"amount": "99999", "reason": "x"}, "more can be credited on invoice"),
        ({"reason": "x"}, "Choose units, the delivery fee or an amount to credit."),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_credited(invoice, staff_client, data, message):
    book = invoice.lines.get(sku="BOOK-1")
    posted = {f"line_{book.pk}": data.pop("line", ""), **data}

    response = staff_client("Customer service").post(page_url(invoice), posted)

    assert response.status_code == 200
    assert any(message in error for error in errors_in(response)) or message in response.text
    assert not CreditNote.objects.exists()


def test_the_warehouse_gets_no_link_and_a_403(invoice, staff_client, staff_users):
    browser = staff_client("Warehouse")
    assert browser.get(page_url(invoice)).status_code == 403
    assert browser.post(page_url(invoice), {"reason": "x", "amount": "5"}).status_code == 403
    assert not CreditNote.objects.exists()


def test_a_draft_invoice_cannot_be_credited_and_the_page_says_why(catalogue, staff_client):
    order = order_build(lines=[(catalogue.book, 1)], state="verified")
    draft = Invoice.objects.create(
        order=order,
        currency="EUR",
        billing_name="x",
        billing_address="x",
        subtotal=1,
        discount_total=0,
        shipping_total=0,
        tax_total=0,
        total=1,
    )  # a bare row: drafts are never left by the services, the page must still refuse one
    response = staff_client("Customer service").get(page_url(draft), follow=True)
    assert "it cannot be credited" in " ".join(errors_in(response)) or "it cannot be credited" in response.text


def test_the_order_page_shows_what_was_credited_and_links_each_credit_note(invoice, staff_client, staff_users):
    credit_note_issue(invoice=invoice, amount=Decimal("10.00"), reason="Goodwill", actor=staff_users["Managers"])
    credit_note = CreditNote.objects.get()

    page = staff_client("Customer service").get(reverse("admin:orders_order_change", args=[invoice.order_id])).text

    assert reverse("admin:invoicing_creditnote_change", args=[credit_note.pk]) in page
    assert f"{credit_note.number}</a> −€\xa010.00: Goodwill" in page
    assert "<dt>Credited</dt><dd>−€\xa010.00</dd>" in page
    balance = invoice.total - Decimal("10.00")
    assert f"€\xa0{balance:,}" in page
