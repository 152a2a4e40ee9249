"""ISO 11649 RF creditor references: what a bank checks before it accepts a transfer."""

import pytest

from orders.checks import shop_bank_details_check
from orders.payment_reference import mod97_check, reference_grouped, rf_reference
from tests.builders import order_build


def _iso11649_valid(reference: str) -> bool:
    """Independent of the module: move "RFkk" to the end, letters to numbers, remainder 1 mod 97."""
    moved = reference[4:] + reference[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


@pytest.mark.parametrize("number", ["100001", "100002", "100097", "199999", "1234567890123456789", "7"])
def test_reference_of_an_order_number_passes_iso_11649(number):
    reference = rf_reference(number)

    assert reference.startswith("RF") and reference.endswith(number)
    assert _iso11649_valid(reference)
    assert mod97_check(reference)


def test_reference_matches_the_standards_published_example():
    assert rf_reference("539007547034") == "RF18539007547034"


def test_a_mistyped_reference_fails_the_check():
    reference = rf_reference("100001")
    mistyped = reference[:-1] + ("2" if reference[-1] != "2" else "3")

    assert not mod97_check(mistyped)
    assert not mod97_check(f"RF{100001}")  # what orders were given before


def test_a_number_too_long_for_a_reference_is_refused():
    with pytest.raises(ValueError):
        rf_reference("1" * 22)


def test_reference_is_grouped_in_fours_for_reading():
    assert reference_grouped("RF18539007547034") == "RF18 5390 0754 7034"
    assert reference_grouped("RF69100001") == "RF69 1000 01"


def test_every_new_bank_transfer_order_gets_a_valid_reference(catalogue, customer):
    orders = [order_build(lines=[(catalogue.book, 1)]) for _ in range(3)]

    assert len({order.number for order in orders}) == 3
    for order in orders:
        assert order.payment_reference == rf_reference(order.number)
        assert _iso11649_valid(order.payment_reference)


def test_card_orders_get_no_transfer_reference(catalogue, customer):
    order = order_build(lines=[(catalogue.book, 1)], payment_method="card")

    assert order.payment_reference == ""


def test_an_invalid_shop_iban_or_bic_stops_start_up(settings):
    settings.SHOP_IBAN = "NL91 ABNA 0417 1643 00"
    settings.SHOP_BIC = "ABNANL2A"
    assert shop_bank_details_check() == []

    settings.SHOP_IBAN = "NL91ABNA0417164301"  # one digit off
    settings.SHOP_BIC = "ABN"
    assert [error.id for error in shop_bank_details_check()] == ["orders.E001", "orders.E002"]
