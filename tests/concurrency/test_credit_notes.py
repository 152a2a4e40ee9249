"""Credit-note numbers under concurrency: 50 credit notes issued at once, on a few invoices, get the
numbers 1..50 of their year without a gap or a duplicate, and no invoice is credited above its
total (invoicing.services.credit_notes: the invoice row, then the year's counter, until commit)."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db.models import Sum

from invoicing.models import CreditNote, Invoice
from invoicing.tasks import credit_note_pdf_render_task, invoice_pdf_render_task
from lifecycle.credit_notes import credit_note_issue
from lifecycle.tasks import notification_send
from tests.builders import order_build, stock_put

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

INVOICES = 5
PER_INVOICE = 10


def test_fifty_credit_notes_issued_at_once_are_numbered_one_to_fifty(catalogue, staff_users):
    # Given five invoices of ten books each (reached through delivery, as a customer's would be)
    stock_put(product=catalogue.book, warehouse=catalogue.second, quantity=INVOICES * PER_INVOICE)
    with mock.patch.object(notification_send, "delay"), mock.patch.object(invoice_pdf_render_task, "delay"):
        invoices = [
            order_build(
                lines=[(catalogue.book, PER_INVOICE)], state="invoiced", payment_method="bank_transfer"
            ).invoices.get()
            for _ in range(INVOICES)
        ]
    service = staff_users["Customer service"]

    # When customer service credits every book, one credit note each, all fifty at the same moment
    calls = [
        lambda invoice=invoice: credit_note_issue(
            invoice=invoice, units={invoice.lines.get().pk: 1}, reason="Returned", actor=service
        )
        for invoice in invoices
        for _ in range(PER_INVOICE)
    ]
    with (
        mock.patch.object(notification_send, "delay"),
        mock.patch.object(invoice_pdf_render_task, "delay"),
        mock.patch.object(credit_note_pdf_render_task, "delay"),
    ):
        outcomes = run_at_once(*calls, timeout=60)

    # Then all fifty are issued, numbered 1..50, and each invoice is credited exactly in full
    assert [o.error for o in outcomes] == [None] * len(calls)
    numbers = sorted(int(number.rsplit("-", 1)[1]) for number in CreditNote.objects.values_list("number", flat=True))
    assert numbers == list(range(1, INVOICES * PER_INVOICE + 1))
    for invoice in Invoice.objects.all():
        credited = invoice.credit_notes.aggregate(total=Sum("total"))["total"]
        assert invoice.amount_credited == credited
        # ten books credited one by one: the line to the cent, the delivery fee still owed
        assert credited == invoice.lines.get().line_total
        assert invoice.balance_due == invoice.total - credited > Decimal(0)
