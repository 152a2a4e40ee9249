"""Credit notes (invoicing.services.credit_notes, lifecycle.credit_notes): the one way to correct an
issued invoice, per line, as an amount or the delivery fee, numbered on their own sequence."""

from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing.models import AmountOwedBack, CreditNote, Invoice
from invoicing.services import CreditRefused, credit_note_pdf_ensure, invoice_creditable, invoice_pdf_ensure
from lifecycle.credit_notes import credit_note_issue
from lifecycle.settlement import payment_record
from orders.models import EmailNotification, Order, OrderEvent
from orders_site.core.exceptions import PermissionRefused
from tests.builders import order_build
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def service(staff_users):
    return staff_users["Customer service"]


@pytest.fixture
def invoice(catalogue) -> Invoice:
    """Three books and a lamp, delivered and invoiced, paid by bank transfer: nothing paid yet."""
    order = order_build(
        lines=[(catalogue.book, 3), (catalogue.lamp, 1)], state="invoiced", payment_method="bank_transfer"
    )
    return order.invoices.get()


def line_of(invoice: Invoice, sku: str):
    return invoice.lines.get(sku=sku)


def test_crediting_one_of_three_books_takes_a_third_of_the_line_off_what_is_owed(invoice, service):
    book = line_of(invoice, "BOOK-1")
    due_before = invoice.balance_due

    credit_note = credit_note_issue(
        invoice=invoice, units={book.pk: 1}, reason="One book arrived damaged", actor=service
    )

    # Then the credit note holds one book at the line's frozen price per unit, tax included
    (line,) = credit_note.lines.all()
    assert (line.quantity, line.net_amount, line.tax_amount) == (
        1,
        book.net_amount / 3,
        (book.tax_amount / 3).quantize(D("0.01")),
    )
    assert credit_note.total == line.net_amount + line.tax_amount
    year = timezone.localdate().year
    assert credit_note.number == f"CN-{year}-000001"
    # And the invoice owes that much less, and says so on the timeline and to the customer
    invoice.refresh_from_db()
    assert invoice.amount_credited == credit_note.total
    assert invoice.balance_due == due_before - credit_note.total
    assert invoice.status == Invoice.Status.ISSUED
    event = OrderEvent.objects.get(order=invoice.order, kind=OrderEvent.Kind.CREDIT_NOTE_ISSUED)
    assert event.customer_visible and "One book arrived damaged" in event.note and credit_note.number in event.note
    assert EmailNotification.objects.filter(
        order=invoice.order, kind=EmailNotification.Kind.CREDIT_NOTE, subject_key=f"credit_note:{credit_note.pk}"
    ).exists()
    assert [entry.units_left for entry in invoice_creditable(invoice=invoice).lines if entry.line.sku == "BOOK-1"] == [
        2
    ]


def test_three_notes_of_one_book_each_credit_the_line_to_the_cent(invoice, service):
    book = line_of(invoice, "BOOK-1")

    notes = [credit_note_issue(invoice=invoice, units={book.pk: 1}, reason="Returned", actor=service) for _ in range(3)]

    credited = [n.lines.get() for n in notes]
    assert sum(line.net_amount for line in credited) == book.net_amount
    assert sum(line.tax_amount for line in credited) == book.tax_amount
    assert [n.number[-6:] for n in notes] == ["000001", "000002", "000003"]
    with pytest.raises(CreditRefused, match="0 of 3 invoiced can still be credited") as refused:
        credit_note_issue(invoice=invoice, units={book.pk: 1}, reason="Again", actor=service)
    assert refused.value.extra["field"] == f"line_{book.pk}"


def test_crediting_everything_before_payment_leaves_nothing_to_pay(invoice, service):
    units = {line.pk: line.quantity for line in invoice.lines.all()}

    credit_note_issue(invoice=invoice, units=units, include_shipping=True, reason="Order refused", actor=service)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_credited, invoice.balance_due) == (Invoice.Status.CREDITED, invoice.total, 0)
    assert OrderEvent.objects.filter(order=invoice.order, kind=OrderEvent.Kind.INVOICE_CREDIT_IN_FULL).count() == 1
    with pytest.raises(CreditRefused, match="credited in full; it cannot be credited"):
        credit_note_issue(invoice=invoice, amount=D("1.00"), reason="More", actor=service)
    _, pdf = invoice_pdf_ensure(invoice_id=invoice.pk)
    assert "Credited in full. Nothing to pay." in pdf_text(pdf)


def test_an_amount_is_split_over_the_tax_rates_and_capped_at_what_is_left(invoice, service):
    credit_note = credit_note_issue(invoice=invoice, amount=D("10.00"), reason="Goodwill: late delivery", actor=service)

    assert credit_note.total == D("10.00")
    assert sorted(line.tax_rate for line in credit_note.lines.all()) == sorted(
        {line.tax_rate for line in invoice.lines.all()} | {invoice.order.shipping_tax_rate}
    )
    for line in credit_note.lines.all():
        assert line.net_amount + line.tax_amount == line.line_total
    left = invoice.total - D("10.00")
    with pytest.raises(CreditRefused, match="more can be credited") as refused:
        credit_note_issue(invoice=invoice, amount=left + D("0.01"), reason="Too much", actor=service)
    assert refused.value.extra["field"] == "amount"
    assert CreditNote.objects.count() == 1


def test_a_paid_invoice_credited_leaves_the_money_owed_back(catalogue, service):
    # Given an invoice paid in full by bank transfer
    order = order_build(lines=[(catalogue.lamp, 2)], state="invoiced", payment_method="bank_transfer")
    invoice = order.invoices.get()
    payment_record(invoice=invoice, amount=invoice.total, method="bank_transfer", actor=service)
    lamp = line_of(invoice, "LAMP-1")

    # When one lamp is credited
    credit_note = credit_note_issue(invoice=invoice, units={lamp.pk: 1}, reason="Returned unopened", actor=service)

    # Then what was paid for it is owed back, in the queue the refunds settle
    owed = AmountOwedBack.objects.get(credit_note=credit_note)
    assert owed.amount == credit_note.total and owed.order_id == order.pk and owed.settled_at is None
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.balance_due == -credit_note.total


def test_a_credit_that_covers_what_was_left_to_pay_completes_the_order(invoice, service):
    # Given an invoice part paid, with exactly one lamp's worth still open
    lamp = line_of(invoice, "LAMP-1")
    payment_record(invoice=invoice, amount=invoice.total - lamp.line_total, method="bank_transfer", actor=service)

    # When the lamp is credited
    credit_note_issue(invoice=invoice, units={lamp.pk: 1}, reason="Lamp never arrived", actor=service)

    # Then the invoice is paid and the order completed, with nothing owed back
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.balance_due == 0
    assert Order.objects.get(pk=invoice.order_id).status == Order.Status.COMPLETED
    assert not AmountOwedBack.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ({"reason": " "}, "reason", "Say why the invoice is corrected"),
        ({}, "amount", "Choose units, the delivery fee or an amount"),
        ({"amount": D("-5")}, "amount", "above zero"),
        ({"units": {999999: 1}}, "line_999999", "not on this invoice"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_writes_nothing(invoice, service, arguments, field, message):
    arguments = {"reason": "Correction", **arguments}
    with pytest.raises(CreditRefused, match=message) as refused:
        credit_note_issue(invoice=invoice, actor=service, **arguments)
    assert refused.value.extra["field"] == field
    assert not CreditNote.objects.exists()
    invoice.refresh_from_db()
    assert invoice.amount_credited == 0


def test_the_delivery_fee_is_credited_once(invoice, service):
    credit_note_issue(invoice=invoice, include_shipping=True, reason="Delivered late", actor=service)
    with pytest.raises(CreditRefused, match="delivery fee of this invoice was credited already"):
        credit_note_issue(invoice=invoice, include_shipping=True, reason="Again", actor=service)


def test_only_customer_service_and_managers_issue_credit_notes(invoice, staff_users):
    book = line_of(invoice, "BOOK-1")
    with pytest.raises(PermissionRefused):
        credit_note_issue(invoice=invoice, units={book.pk: 1}, reason="x", actor=staff_users["Warehouse"])
    assert credit_note_issue(invoice=invoice, units={book.pk: 1}, reason="x", actor=staff_users["Managers"]).total > 0


def test_the_pdf_names_the_invoice_the_reason_and_the_total_credited(invoice, service):
    book = line_of(invoice, "BOOK-1")
    credit_note = credit_note_issue(invoice=invoice, units={book.pk: 2}, reason="Two books damaged", actor=service)

    _, pdf = credit_note_pdf_ensure(credit_note_id=credit_note.pk)

    text = pdf_text(pdf)
    assert f"Credit note {credit_note.number}" in text
    assert f"Corrects invoice {invoice.number}" in text
    assert "Two books damaged" in text
    assert "BOOK-1 Woodworking book 2" in text
    assert f"Total credited € {credit_note.total}" in text.replace("\xa0", " ")
    _, invoice_pdf = invoice_pdf_ensure(invoice_id=invoice.pk)
    assert "Credited by credit note" in pdf_text(invoice_pdf)
