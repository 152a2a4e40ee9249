"""Structured invoices (issue 14, item 6): an invoice or credit note as UN/CEFACT Cross Industry
Invoice XML, Factur-X / ZUGFeRD profile EN 16931, and the Factur-X PDF (the human-readable PDF as
PDF/A-3 with that XML embedded, by the `factur-x` library, which also checks it against the
schema it ships). Pure functions from rows already read to bytes.

The mapping (EN 16931 business terms): each line's net price before the discount (BT-146), its
discount as a line allowance (BG-27) and its net amount (BT-131); the delivery fee as a
document-level charge (BG-21) with its own tax rate; one VAT breakdown (BG-23) per rate with the
basis and the tax the invoice charged (the sum of its lines' rounded tax, as printed); the totals
(BG-22): lines, charges, tax basis, tax, grand total, paid, due. A credit note is type 381 and
names the invoice it corrects (BG-3), its lines and amounts positive, as EN 16931 wants.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
EN16931 = "urn:cen.eu:en16931:2017"
INVOICE, CREDIT_NOTE = "380", "381"
for prefix, uri in (("rsm", RSM), ("ram", RAM), ("udt", UDT), ("qdt", QDT)):
    ET.register_namespace(prefix, uri)


@dataclass(frozen=True)
class Party:
    name: str
    line1: str
    postal_code: str
    city: str
    country: str  # ISO 3166 alpha-2
    vat_number: str = ""
    email: str = ""


@dataclass(frozen=True)
class Line:
    line_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal  # net, before the discount
    discount: Decimal
    net_amount: Decimal
    tax_rate: Decimal  # 0.2100


@dataclass(frozen=True)
class Document:
    type_code: str  # 380 invoice, 381 credit note
    number: str
    issued_on: date
    currency: str
    seller: Party
    buyer: Party
    lines: list[Line]
    shipping_net: Decimal
    shipping_rate: Decimal
    tax_breakdown: list[dict]  # [{"rate": "0.2100", "net": "...", "tax": "..."}]
    tax_total: Decimal
    grand_total: Decimal
    paid: Decimal
    due_on: date | None
    order_number: str = ""
    payment_reference: str = ""
    iban: str = ""
    corrects: str = ""  # the invoice a credit note corrects
    terms: str = ""


def _el(parent, tag: str, text=None, **attributes):
    namespace = {"rsm": RSM, "ram": RAM, "udt": UDT}[tag.split(":")[0]]
    node = ET.SubElement(parent, f"{{{namespace}}}{tag.split(':')[1]}", attributes)
    if text is not None:
        node.text = str(text)
    return node


def _amount(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _percent(rate) -> str:
    return f"{Decimal(rate) * 100:.2f}"


def _category(rate) -> str:
    return "S" if Decimal(rate) > 0 else "Z"  # standard rated, or zero rated


def _date(parent, tag: str, day: date) -> None:
    holder = _el(parent, tag)
    _el(holder, "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _party(parent, tag: str, party: Party) -> None:
    node = _el(parent, tag)
    _el(node, "ram:Name", party.name)
    address = _el(node, "ram:PostalTradeAddress")
    if party.postal_code:
        _el(address, "ram:PostcodeCode", party.postal_code)
    if party.line1:
        _el(address, "ram:LineOne", party.line1)
    if party.city:
        _el(address, "ram:CityName", party.city)
    _el(address, "ram:CountryID", party.country)
    if party.email:
        uri = _el(node, "ram:URIUniversalCommunication")
        _el(uri, "ram:URIID", party.email, schemeID="EM")
    if party.vat_number:
        registration = _el(node, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", party.vat_number, schemeID="VA")


def cii_xml(document: Document) -> bytes:
    """The CII XML (Factur-X EN 16931) of an invoice or credit note."""
    root = ET.Element(f"{{{RSM}}}CrossIndustryInvoice")
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", document.number)
    _el(header, "ram:TypeCode", document.type_code)
    _date(header, "ram:IssueDateTime", document.issued_on)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in document.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.line_id)
        product = _el(item, "ram:SpecifiedTradeProduct")
        if line.sku:
            _el(product, "ram:SellerAssignedID", line.sku)
        _el(product, "ram:Name", line.name)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", _amount(line.unit_price))
        _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", line.quantity, unitCode="C62")
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", _category(line.tax_rate))
        _el(tax, "ram:RateApplicablePercent", _percent(line.tax_rate))
        if line.discount:
            allowance = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
            _el(_el(allowance, "ram:ChargeIndicator"), "udt:Indicator", "false")
            _el(allowance, "ram:ActualAmount", _amount(line.discount))
            _el(allowance, "ram:Reason", "Discount")
        _el(
            _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
            "ram:LineTotalAmount",
            _amount(line.net_amount),
        )

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", document.seller)
    _party(agreement, "ram:BuyerTradeParty", document.buyer)
    if document.order_number:
        _el(_el(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", document.order_number)
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    if document.payment_reference:
        _el(settlement, "ram:PaymentReference", document.payment_reference)
    _el(settlement, "ram:InvoiceCurrencyCode", document.currency)
    if document.iban and document.type_code == INVOICE:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58")  # SEPA credit transfer
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", document.iban)
    for row in document.tax_breakdown:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(Decimal(row["tax"])))
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:BasisAmount", _amount(Decimal(row["net"])))
        _el(tax, "ram:CategoryCode", _category(row["rate"]))
        _el(tax, "ram:RateApplicablePercent", _percent(row["rate"]))
    if document.shipping_net:
        charge = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _el(_el(charge, "ram:ChargeIndicator"), "udt:Indicator", "true")
        _el(charge, "ram:ActualAmount", _amount(document.shipping_net))
        _el(charge, "ram:Reason", "Delivery")
        category = _el(charge, "ram:CategoryTradeTax")
        _el(category, "ram:TypeCode", "VAT")
        _el(category, "ram:CategoryCode", _category(document.shipping_rate))
        _el(category, "ram:RateApplicablePercent", _percent(document.shipping_rate))
    if document.due_on or document.terms:
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        if document.terms:
            _el(terms, "ram:Description", document.terms)
        if document.due_on:
            _date(terms, "ram:DueDateDateTime", document.due_on)
    lines_total = sum((line.net_amount for line in document.lines), Decimal(0))
    basis = lines_total + document.shipping_net
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", _amount(lines_total))
    _el(totals, "ram:ChargeTotalAmount", _amount(document.shipping_net))
    _el(totals, "ram:AllowanceTotalAmount", _amount(Decimal(0)))
    _el(totals, "ram:TaxBasisTotalAmount", _amount(basis))
    _el(totals, "ram:TaxTotalAmount", _amount(document.tax_total), currencyID=document.currency)
    _el(totals, "ram:GrandTotalAmount", _amount(document.grand_total))
    _el(totals, "ram:TotalPrepaidAmount", _amount(document.paid))
    _el(totals, "ram:DuePayableAmount", _amount(document.grand_total - document.paid))
    if document.corrects:
        _el(_el(settlement, "ram:InvoiceReferencedDocument"), "ram:IssuerAssignedID", document.corrects)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def seller_party() -> Party:
    """The shop, from settings (SHOP_ADDRESS is "street, postal code city, country")."""
    parts = [part.strip() for part in settings.SHOP_ADDRESS.split(",")]
    street = parts[0] if parts else ""
    postal_city = parts[1] if len(parts) > 1 else ""
    postal_code, _, city = postal_city.rpartition(" ") if " " in postal_city else ("", "", postal_city)
    return Party(
        name=settings.SHOP_NAME,
        line1=street,
        postal_code=postal_code,
        city=city,
        country=settings.SHOP_COUNTRY,
        vat_number=settings.SHOP_VAT_NUMBER,
        email=settings.DEFAULT_FROM_EMAIL.rpartition("<")[2].rstrip(">"),
    )
