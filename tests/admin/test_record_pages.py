"""The shipment and invoice pages as records (issue 10, item 5): a header with the badge, the key
figures first, and their part of the order's timeline in sentences."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import OrderEvent

from .journeys import change_url, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(catalogue, staff_users):
    return place(catalogue, state="completed", lines=[(catalogue.chair, 1), (catalogue.book, 2)])


def header_of(page: str) -> str:
    return page.split('data-testid="record-header"')[1].split("</header>")[0]


def timeline_of(page: str) -> str:
    return page.split('data-testid="timeline"')[1].split("</section>")[0]


def test_the_shipment_page_leads_with_its_badge_and_tells_its_timeline(completed, staff_client):
    parcel = completed.shipments.order_by("pk").last()

    page = staff_client("Warehouse").get(change_url(parcel)).text

    header = header_of(page)
    assert f"Parcel {parcel.number}" in header
    assert 'data-status="delivered">Delivered<' in header
    assert "Parcel 2 of 2 for order" in header and "Rotterdam (RTM)" in header
    assert f'href="https://track.example/{parcel.tracking_number}"' in header
    timeline = timeline_of(page)
    assert "Warehouse started picking parcel 2 at RTM." in timeline
    assert "Warehouse recorded parcel 2 as delivered." in timeline
    assert "parcel 1" not in timeline  # only this parcel's part of the order's timeline
    assert [kind for kind in OrderEvent.Kind.values if kind in page] == []
    assert page.index('data-testid="record-header"') < page.index("Carrier") < page.index('data-testid="timeline"')


def test_the_invoice_page_leads_with_its_badge_and_money_and_tells_its_timeline(completed, staff_client):
    invoice = completed.invoices.get()

    page = staff_client("Customer service").get(change_url(invoice)).text

    header = header_of(page)
    assert f"Invoice {invoice.number}" in header
    assert 'data-status="paid">Paid<' in header
    assert f"total €\u00a0{invoice.total:,}" in header and "€\u00a00.00 due" in header
    assert "21\u00a0%: €\u00a0" in page  # the tax per rate in words, not JSON
    assert '[{"net"' not in page
    timeline = timeline_of(page)
    assert f"Warehouse issued invoice {invoice.number} of €\u00a0{invoice.total:,}." in timeline
    assert f"Customer service recorded a payment of €\u00a0{invoice.total:,}." in timeline
    assert f"Customer service marked invoice {invoice.number} as paid." in timeline
    assert [kind for kind in OrderEvent.Kind.values if kind in page] == []


@pytest.mark.parametrize("which", ["shipment", "invoice"])
def test_record_pages_cost_a_fixed_number_of_queries(catalogue, admin_client, which):
    def queries(order):
        record = order.shipments.order_by("pk").first() if which == "shipment" else order.invoices.get()
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(change_url(record)).status_code == 200
        return len(captured)

    small = place(catalogue, state="completed", lines=[(catalogue.chair, 1)])
    large = place(catalogue, state="completed", lines=[(catalogue.chair, 1), (catalogue.lamp, 2), (catalogue.book, 3)])
    queries(small)  # warm up

    assert queries(small) == queries(large)


def test_the_stock_level_and_purchase_order_pages_open_with_a_header_of_key_figures(admin_client):
    from decimal import Decimal

    from inventory.models import PurchaseOrder, PurchaseOrderLine, Supplier
    from tests.builders import product_build, stock_put, warehouse_build

    warehouse = warehouse_build(code="AMS", name="Amsterdam")
    lamp = product_build(sku="LAMP-DESK", name="Brass desk lamp", price=Decimal("39.95"))
    level = stock_put(product=lamp, warehouse=warehouse, quantity=27)
    supplier = Supplier.objects.create(name="Lampen BV")
    purchase_order = PurchaseOrder.objects.create(number="PO-1", supplier=supplier, warehouse=warehouse)
    PurchaseOrderLine.objects.create(purchase_order=purchase_order, product=lamp, quantity_ordered=12)

    stock_page = admin_client.get(reverse("admin:inventory_stocklevel_change", args=[level.pk])).content.decode()
    po_url = reverse("admin:inventory_purchaseorder_change", args=[purchase_order.pk])
    po_page = admin_client.get(po_url).content.decode()

    assert 'data-testid="record-header"' in stock_page
    assert "LAMP-DESK at AMS" in stock_page and "27 on hand" in stock_page and "27 available" in stock_page
    assert 'data-testid="record-header"' in po_page
    assert "Purchase order PO-1" in po_page and "from Lampen BV" in po_page and "0 of 12 units received" in po_page
    assert 'data-status="draft"' in po_page
