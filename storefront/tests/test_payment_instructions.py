"""Bank-transfer customers are told where to pay, how much and with which reference; nobody else is."""

from decimal import Decimal

import facturx
import pytest
from django.urls import reverse

from lifecycle.settlement import payment_record
from orders.models import EmailNotification
from orders.payment_reference import mod97_check, reference_grouped
from orders_site.core.formatting import money_display
from tests.builders import order_advance, order_build
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, checkout

HOLDER = "Demo Shop Payments B.V."
IBAN = "NL91ABNA0417164300"
IBAN_SHOWN = "NL91 ABNA 0417 1643 00"
BIC = "ABNANL2A"


@pytest.fixture(autouse=True)
def bank_details(settings):
    settings.SHOP_ACCOUNT_HOLDER = HOLDER
    settings.SHOP_IBAN = IBAN
    settings.SHOP_BIC = BIC


def _order_page(client, order) -> str:
    return client.get(reverse("storefront:order_detail", args=[order.number])).content.decode()


def _shows_bank_details(text: str) -> bool:
    return HOLDER in text and IBAN_SHOWN in text and BIC in text


def test_order_page_shows_account_amount_and_grouped_reference(anna_client, anna, shop):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)], payment_method="bank_transfer")

    page = _order_page(anna_client, order)

    assert _shows_bank_details(page)
    assert f"Please transfer {money_display(order.total)}" in page
    assert reference_grouped(order.payment_reference) in page
    assert mod97_check(order.payment_reference)


def test_part_paid_order_page_asks_for_the_balance_only(anna_client, anna, shop, staff):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)], payment_method="bank_transfer")
    invoice = order_advance(order=order, state="invoiced", actor=staff).invoices.get()

    payment_record(invoice=invoice, amount=Decimal("100.00"), method="bank_transfer", actor=staff)

    page = _order_page(anna_client, order)
    assert f"Please transfer {money_display(invoice.total - Decimal('100.00'))}" in page and _shows_bank_details(page)


def test_paid_order_page_asks_for_nothing(anna_client, anna, shop, staff):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)], payment_method="bank_transfer")
    invoice = order_advance(order=order, state="invoiced", actor=staff).invoices.get()

    payment_record(invoice=invoice, amount=invoice.total, method="bank_transfer", actor=staff)

    page = _order_page(anna_client, order)
    assert "Please transfer" not in page and IBAN_SHOWN not in page


@pytest.mark.parametrize("method", ["card", "cash_on_delivery"])
def test_card_and_cash_orders_show_no_bank_details(anna_client, anna, shop, method):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)], payment_method=method)

    page = _order_page(anna_client, order)

    assert "Please transfer" not in page and IBAN_SHOWN not in page and HOLDER not in page
    assert 'data-testid="epc-qr"' not in page


def test_the_order_page_offers_the_transfer_as_a_code_to_scan(anna_client, anna, shop):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)], payment_method="bank_transfer")

    page = _order_page(anna_client, order)

    qr = page.split('data-testid="epc-qr">')[1].split("</figure>")[0]
    assert qr.startswith("<svg") and f"Pay order {order.number}" in qr and "banking app" in qr


def test_thank_you_message_and_order_e_mail_carry_the_instructions(
    client, shop, mailoutbox, django_capture_on_commit_callbacks
):
    add_to_cart(client, shop.chair, 1)
    with django_capture_on_commit_callbacks(execute=True):
        placed = checkout(client, GUEST_DETAILS)
    page = client.get(placed.url).content.decode()

    assert "Please pay by bank transfer" in page and _shows_bank_details(page)
    (mail,) = mailoutbox
    order_total = mail.body.split("Total: ")[1].split(" (including")[0]
    assert order_total.startswith("€\u00a0"), "money is written as everywhere else: € 1,234.56"
    assert _shows_bank_details(mail.body)
    assert f"Amount:            {order_total}" in mail.body
    reference = mail.body.split("Payment reference: ")[1].split("\n")[0]
    assert mod97_check(reference) and reference == reference_grouped(reference)


def test_card_order_e_mail_asks_for_no_transfer(shop, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_build(lines=[(shop.chair, 1)], payment_method="card")

    bodies = [m.body for m in mailoutbox if order.number in m.subject]
    assert bodies and all("IBAN" not in body and "Please pay by bank transfer" not in body for body in bodies)
    assert EmailNotification.objects.filter(order=order, kind=EmailNotification.Kind.ORDER_RECEIVED).exists()


def test_an_account_customer_is_asked_to_transfer_only_once_the_invoice_is_issued(anna_client, anna, shop, staff):
    anna.customer.payment_terms, anna.customer.net_days = "net", 30
    anna.customer.save()
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)], payment_method="on_invoice")
    assert mod97_check(order.payment_reference)
    assert "Please transfer" not in _order_page(anna_client, order)  # nothing to pay before the invoice

    order_advance(order=order, state="invoiced", actor=staff)

    page = _order_page(anna_client, order)
    assert f"Please transfer {money_display(order.total)}" in page and 'data-testid="epc-qr"' in page


def test_a_business_customer_downloads_the_invoice_as_factur_x(anna_client, anna, shop, staff):
    anna.customer.vat_number = "NL004495445B01"
    anna.customer.save()
    order = order_advance(
        order=order_build(customer=anna.customer, lines=[(shop.chair, 1)]), state="invoiced", actor=staff
    )
    invoice = order.invoices.get()

    response = anna_client.get(reverse("storefront:invoice_download", args=[order.number, invoice.number]))

    assert response["Content-Type"] == "application/pdf"
    name, xml = facturx.get_xml_from_pdf(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert name == "factur-x.xml" and invoice.number.encode() in xml
