"""The EPC QR code ("GiroCode", EPC069-12 v002) beside bank-transfer instructions (issue 14, item 5)."""

from decimal import Decimal

import pytest

from orders.epc_qr import epc_qr_payload, epc_qr_svg
from orders.payment_reference import mod97_check
from orders.selectors import bank_transfer_instructions


def test_the_payload_follows_the_epc069_12_field_layout():
    payload = epc_qr_payload(
        name="Demo Shop B.V.",
        iban="NL91 ABNA 0417 1643 00",
        bic="abnanl2a",
        amount=Decimal("123.4"),
        reference="RF69 1000 01",
    )

    lines = payload.split("\n")
    assert lines == [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        "ABNANL2A",  # BIC
        "Demo Shop B.V.",  # beneficiary
        "NL91ABNA0417164300",  # IBAN, compact
        "EUR123.40",  # amount: EUR, a point, two decimals
        "",  # purpose code: none
        "RF69100001",  # structured creditor reference
    ]
    assert mod97_check(lines[9]) and mod97_check(lines[6])
    assert not payload.endswith("\n") and len(payload.encode()) <= 331


def test_text_instead_of_a_reference_and_a_missing_bic_keep_their_places():
    lines = epc_qr_payload(name="Shop", iban="NL91ABNA0417164300", amount=Decimal("5"), text="Order 100001").split("\n")

    assert lines[4] == "" and lines[9] == "" and lines[10] == "Order 100001" and len(lines) == 11


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"currency": "USD"}, "only ask for euros"),
        ({"amount": Decimal("0")}, "0.01 to"),
        ({"amount": Decimal("1000000000")}, "0.01 to"),
        ({"name": "x" * 71}, "name .* at most 70"),
        ({"reference": "RF18" + "5" * 32}, "reference .* at most 35"),
        ({"reference": "RF69100001", "text": "and words"}, "not both"),
        ({"name": " "}, "needs the beneficiary"),
    ],
)
def test_what_the_standard_does_not_allow_is_refused(fields, message):
    given = {"name": "Shop", "iban": "NL91ABNA0417164300", "amount": Decimal("10.00")} | fields
    with pytest.raises(ValueError, match=message):
        epc_qr_payload(**given)


def test_the_code_is_an_inline_svg_with_a_title():
    svg = epc_qr_svg(epc_qr_payload(name="Shop", iban="NL91ABNA0417164300", amount=Decimal("1")), title="Pay 1")

    assert svg.startswith("<svg") and "<title>Pay 1</title>" in svg


@pytest.mark.django_db
def test_bank_transfer_instructions_carry_the_code_for_euros_only(settings):
    from orders.models import Order

    order = Order(number="100001", payment_method="bank_transfer", payment_reference="RF69100001", currency="EUR")
    assert "<svg" in bank_transfer_instructions(order=order, amount_due=Decimal("49.95"))["qr_svg"]

    order.currency = "GBP"
    assert bank_transfer_instructions(order=order, amount_due=Decimal("49.95"))["qr_svg"] == ""


@pytest.mark.django_db
def test_a_text_email_asks_for_the_transfer_without_the_code():
    from orders.models import Order

    # Given a bank-transfer order in euros
    order = Order(number="100002", payment_method="bank_transfer", payment_reference="RF69100002", currency="EUR")
    with_code = bank_transfer_instructions(order=order, amount_due=Decimal("49.95"))
    # When a text e-mail asks for the instructions without the QR code
    without = bank_transfer_instructions(order=order, amount_due=Decimal("49.95"), qr=False)
    # Then it has everything but the drawing
    assert without["qr_svg"] == "" and "<svg" in with_code["qr_svg"]
    assert {k: v for k, v in without.items() if k != "qr_svg"} == {k: v for k, v in with_code.items() if k != "qr_svg"}
