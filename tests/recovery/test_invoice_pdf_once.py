"""An invoice's PDF is one file under the invoice's own name, even when a try dies after writing the
file and before its commit (issue 8, item 4a)."""

from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from invoicing.models import Invoice, invoice_pdf_upload_to
from invoicing.services import invoice_pdf_ensure
from lifecycle.delivery import shipment_deliver
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
)
from tests.builders import order_build, shipment_packed
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db


class WorkerKilled(Exception):
    """Stands for the process dying: the transaction is rolled back, the stored file stays."""


@pytest.fixture
def invoice(catalogue, customer, django_capture_on_commit_callbacks) -> Invoice:
    """An issued invoice whose PDF task has not run yet."""
    order = order_build(customer=customer, lines=[(catalogue.chair, 1)])
    shipment = order_fulfillment_start(order=order).shipments.get()
    with django_capture_on_commit_callbacks(execute=False):
        shipment = shipment_dispatch(
            shipment=shipment_packed(shipment=shipment),
            carrier="PostNL",
            tracking_number="3S1",
        )
        shipment_deliver(shipment=shipment)
    invoice = Invoice.objects.get(order=order)
    assert not invoice.pdf
    return invoice


def _stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_a_retry_after_a_try_died_before_its_commit_leaves_one_file_under_the_invoices_name(invoice):
    # Given a try that wrote the PDF to storage and died before its commit
    with mock.patch.object(Invoice, "save", side_effect=WorkerKilled), pytest.raises(WorkerKilled):
        invoice_pdf_ensure(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert not invoice.pdf, "the row was rolled back"
    name = f"invoices/{timezone.localdate(invoice.issued_at).year}/{invoice.number}.pdf"
    assert _stored_files() == [name], "the dead try's file is in storage"

    # When the task is retried
    _, pdf_bytes = invoice_pdf_ensure(invoice_id=invoice.pk)

    # Then storage holds one file, the one the invoice names, and it is the invoice's PDF
    invoice.refresh_from_db()
    assert invoice.pdf.name == name
    assert _stored_files() == [name]
    with invoice.pdf.open("rb") as stored:
        assert stored.read() == pdf_bytes
    assert invoice.number in pdf_text(pdf_bytes)


def test_once_stored_the_pdf_is_read_back_not_rendered_again(invoice):
    _, first = invoice_pdf_ensure(invoice_id=invoice.pk)

    with mock.patch("invoicing.services.invoices.invoice_pdf_render") as render:
        _, again = invoice_pdf_ensure(invoice_id=invoice.pk)

    assert again == first
    render.assert_not_called()
    assert len(_stored_files()) == 1


def test_the_pdf_is_filed_under_the_merchants_year_of_issue_like_the_number():
    # 23:30 UTC on New Year's Eve is already the new year in Amsterdam, as the number says
    issued = Invoice(number="INV-2026-000001", issued_at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC))

    assert settings.TIME_ZONE == "Europe/Amsterdam"
    assert invoice_pdf_upload_to(issued, "whatever.pdf") == "invoices/2026/INV-2026-000001.pdf"
