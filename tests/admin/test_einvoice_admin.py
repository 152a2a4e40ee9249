"""The console's e-invoice downloads: Factur-X PDF and the CII XML of an invoice (issue 14, item 6)."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import facturx
import pytest
from django.urls import reverse

from orders.models import Voucher
from tests.builders import customer_build, order_build

pytestmark = pytest.mark.django_db

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def grand_total(xml: bytes) -> Decimal:
    return Decimal(ET.fromstring(xml).find(f".//{{{RAM}}}GrandTotalAmount").text)


@pytest.fixture
def business_invoice(catalogue):
    Voucher.objects.create(code="trade10", percent_off=Decimal("10"))
    customer = customer_build(company="Timmer B.V.", vat_number="NL004495445B01")
    order = order_build(
        state="invoiced", customer=customer, lines=[(catalogue.chair, 1), (catalogue.book, 2)], discount_code="TRADE10"
    )
    return order.invoices.get()


def test_the_console_downloads_the_factur_x_pdf_and_the_xml(business_invoice, staff_client):
    browser = staff_client("Customer service")
    url = reverse("admin:invoicing_invoice_einvoice", args=[business_invoice.pk])
    assert url in browser.get(reverse("admin:invoicing_invoice_change", args=[business_invoice.pk])).text

    pdf = browser.get(url)
    xml = browser.get(url, {"format": "xml"})

    assert pdf["Content-Type"] == "application/pdf" and facturx.get_xml_from_pdf(pdf.content)[0] == "factur-x.xml"
    assert xml["Content-Type"] == "application/xml"
    facturx.xml_check_xsd(xml.content, flavor="factur-x", level="en16931")
    assert grand_total(xml.content) == business_invoice.total
    assert staff_client("Warehouse").get(url).status_code == 403
