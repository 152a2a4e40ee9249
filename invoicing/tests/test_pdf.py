"""The invoice PDF (invoicing/pdf.py): what it says, and that rendering can read nothing but our static files."""

import logging
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings

from invoicing.models import Invoice
from invoicing.pdf import StaticOnlyFetcher
from invoicing.services import invoice_pdf_ensure
from orders.payment_reference import reference_grouped
from orders_site.core.exceptions import ApplicationError
from tests.builders import order_build
from tests.pdf_text import pdf_text

STATIC = Path(settings.STATICFILES_DIRS[0]).resolve()


# --- The fetcher -------------------------------------------------------------------------------


def test_the_fetcher_serves_the_invoice_stylesheet():
    stylesheet = STATIC / "css" / "invoice.css"

    response = StaticOnlyFetcher()(stylesheet.as_uri())

    assert response.read() == stylesheet.read_bytes()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        (STATIC / ".." / "orders_site" / "settings" / "base.py").as_uri(),
        (STATIC / "css" / ".." / ".." / "manage.py").as_uri(),
        STATIC.as_uri() + "/css/%2e%2e/%2e%2e/manage.py",
        (STATIC / "css" / "no-such-file.css").as_uri(),
        STATIC.as_uri(),
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/invoice.css",
        "ftp://example.com/invoice.css",
        "data:text/css,body{}",
    ],
    ids=[
        "etc-passwd",
        "etc-passwd-with-host",
        "dot-dot-out-of-static",
        "dot-dot-from-a-subfolder",
        "encoded-dot-dot",
        "missing-file",
        "the-folder-itself",
        "http",
        "https",
        "ftp",
        "data",
    ],
)
def test_the_fetcher_refuses_everything_else(url):
    with mock.patch("urllib.request.OpenerDirector.open") as network:
        with pytest.raises(ValueError, match="Refused to fetch"):
            StaticOnlyFetcher()(url)

    network.assert_not_called()


def test_the_fetcher_refuses_a_symlink_out_of_static(tmp_path, settings):
    static = tmp_path / "static"
    static.mkdir()
    (static / "leak.css").symlink_to("/etc/passwd")
    settings.STATICFILES_DIRS = [static]

    with pytest.raises(ValueError, match="Refused to fetch"):
        StaticOnlyFetcher()((static / "leak.css").as_uri())


def test_the_fetcher_serves_static_files_from_a_folder_whose_name_needs_escaping(tmp_path, settings):
    # Where the project is deployed is not ours to choose: "/srv/Winkel café/static" is a fine place.
    static = tmp_path / "Winkel café" / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "invoice.css").write_text("body { color: black }")
    settings.STATICFILES_DIRS = [static]

    response = StaticOnlyFetcher()((static / "css" / "invoice.css").as_uri())

    assert response.read() == b"body { color: black }"


# --- The document ------------------------------------------------------------------------------


@pytest.fixture
def invoice(catalogue, customer, staff_users) -> Invoice:
    order = order_build(
        state="invoiced",
        customer=customer,
        lines=[(catalogue.chair, 2), (catalogue.book, 1), (catalogue.assembly, 1)],
        actor=staff_users["Warehouse"],
    )
    return order.invoices.get()


@pytest.mark.django_db
def test_the_pdf_shows_number_lines_and_totals(invoice, caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        invoice, pdf_bytes = invoice_pdf_ensure(invoice_id=invoice.pk)

    text = pdf_text(pdf_bytes)
    order = invoice.order
    for expected in [
        f"Invoice {invoice.number}",
        order.number,
        "Anna de Vries",
        "Prinsengracht 263",
        "CHAIR-1 Oak chair 2",
        "BOOK-1 Woodworking book 1",
        "ASSEMBLY Assembly service 1",
        "149.00",
        "352.50",  # subtotal
        "72.13",  # tax
        "429.58",  # total
        "Tax 21 % on € 332.95 € 69.92",
        "Tax 9 % on € 24.50 € 2.21",
        reference_grouped(order.payment_reference),
    ]:
        assert expected in text, f"{expected!r} is missing from the invoice"
    problems = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
    assert problems == [], "the stylesheet and everything else the template uses loaded"


@pytest.mark.django_db
def test_the_pdf_is_rendered_once_and_then_served_from_storage(invoice):
    invoice, first = invoice_pdf_ensure(invoice_id=invoice.pk)

    with mock.patch("invoicing.services.invoices.invoice_pdf_render") as render:
        again, second = invoice_pdf_ensure(invoice_id=invoice.pk)

    render.assert_not_called()
    assert second == first
    assert again.pdf.name == invoice.pdf.name and again.pdf_rendered_at == invoice.pdf_rendered_at


@pytest.mark.django_db
def test_a_draft_invoice_has_no_pdf(invoice):
    Invoice.objects.filter(pk=invoice.pk).update(number=None)

    with pytest.raises(ApplicationError, match="A draft invoice has no PDF"):
        invoice_pdf_ensure(invoice_id=invoice.pk)
