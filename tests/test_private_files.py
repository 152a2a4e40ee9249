"""Invoice PDFs are private: no URL serves the media folder, not even in development."""

import importlib

import pytest
from django.urls import clear_url_caches

from invoicing.services import invoice_pdf_ensure
from tests.builders import order_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def development_urls(settings):
    settings.DEBUG = True
    import orders_site.urls

    importlib.reload(orders_site.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(orders_site.urls)
    clear_url_caches()


def test_an_invoice_pdf_cannot_be_fetched_by_its_storage_path(development_urls, catalogue, staff_users, client):
    # Given an issued invoice whose PDF is stored under a guessable name
    order = order_build(state="invoiced", lines=[(catalogue.book, 1)], actor=staff_users["Warehouse"])
    invoice, _ = invoice_pdf_ensure(invoice_id=order.invoices.get().pk)
    assert invoice.pdf.name == f"invoices/{invoice.issued_at:%Y}/{invoice.number}.pdf"

    # When anyone asks for it by its path under MEDIA_URL, even with DEBUG on
    response = client.get(f"/media/{invoice.pdf.name}")

    # Then there is nothing there
    assert response.status_code == 404
