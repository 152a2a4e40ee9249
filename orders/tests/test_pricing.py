"""Price arithmetic (orders/pricing.py): money is Decimal, rounded per line, half-up to cents."""

from decimal import Decimal

import pytest

from orders.pricing import Discount, PriceInput, price_order

D = Decimal
STANDARD, REDUCED = D("0.21"), D("0.09")


def line(price: str, quantity: int = 1, rate: Decimal = STANDARD) -> PriceInput:
    return PriceInput(unit_price=D(price), tax_rate=rate, quantity=quantity)


def test_tax_is_rounded_half_up_on_each_line():
    # 10.50 x 21 % = 2.205: half-up gives 2.21 (banker's rounding would give 2.20).
    priced = price_order(lines=[line("10.50"), line("10.50")])

    assert [p.tax for p in priced.lines] == [D("2.21"), D("2.21")]
    # Rounded per line, not on the sum (2 x 2.205 = 4.41 would be rounding the total).
    assert priced.tax_total == D("4.42")
    assert priced.total == D("25.42")


def test_a_line_is_unit_price_times_quantity():
    priced = price_order(lines=[line("39.95", quantity=3)])

    (lamp,) = priced.lines
    assert (lamp.gross, lamp.net, lamp.tax, lamp.total) == (D("119.85"), D("119.85"), D("25.17"), D("145.02"))


def test_a_discount_is_rounded_per_line_and_tax_is_charged_on_the_discounted_amount():
    # 10 % off 19.95 = 1.995 -> 2.00; net 17.95; tax 21 % of 17.95 = 3.7695 -> 3.77.
    priced = price_order(lines=[line("19.95")], discount=Discount(percent_off=D("10")))

    (priced_line,) = priced.lines
    assert (priced_line.discount, priced_line.net, priced_line.tax) == (D("2.00"), D("17.95"), D("3.77"))
    assert (priced.subtotal, priced.discount_total, priced.total) == (D("19.95"), D("2.00"), D("21.72"))


def test_a_full_discount_leaves_only_shipping_to_pay():
    priced = price_order(
        lines=[line("24.50", 2, REDUCED)],
        discount=Discount(percent_off=D("100")),
        shipping_fee=D("4.95"),
        shipping_tax_rate=STANDARD,
    )

    assert priced.lines[0].total == D("0.00")
    assert priced.total == D("5.99")  # 4.95 + 1.04 tax


def test_shipping_is_taxed_at_its_own_rate_and_rounded_half_up():
    # 4.95 x 21 % = 1.0395 -> 1.04.
    priced = price_order(lines=[line("24.50", rate=REDUCED)], shipping_fee=D("4.95"), shipping_tax_rate=STANDARD)

    assert (priced.shipping_net, priced.shipping_tax) == (D("4.95"), D("1.04"))
    assert priced.tax_total == D("2.21") + D("1.04")
    assert priced.total == D("24.50") + D("4.95") + D("3.25")


def test_the_tax_breakdown_has_one_row_per_rate_including_shipping():
    priced = price_order(
        lines=[line("149.00", 2), line("24.50", 1, REDUCED), line("30.00")],
        shipping_fee=D("4.95"),
        shipping_tax_rate=STANDARD,
    )

    # The figures the lifecycle invoice prints: 21 % on 332.95 (298 + 30 + 4.95), 9 % on 24.50.
    assert priced.tax_breakdown == {
        REDUCED: {"net": D("24.50"), "tax": D("2.21")},
        STANDARD: {"net": D("332.95"), "tax": D("69.92")},
    }
    assert list(priced.tax_breakdown) == [REDUCED, STANDARD], "lowest rate first"
    assert sum(row["tax"] for row in priced.tax_breakdown.values()) == priced.tax_total
    assert priced.total == D("429.58")


def test_free_shipping_adds_no_tax_row():
    priced = price_order(lines=[line("10.00", rate=REDUCED)], shipping_fee=D("0"), shipping_tax_rate=STANDARD)

    assert list(priced.tax_breakdown) == [REDUCED]
    assert priced.total == D("10.90")


@pytest.mark.parametrize(
    ("price", "quantity", "percent_off"),
    [("0.01", 1, "0"), ("0.05", 7, "33.33"), ("1234.56", 999, "12.5"), ("9.99", 3, "15")],
)
def test_totals_always_add_up_to_the_cent(price, quantity, percent_off):
    priced = price_order(
        lines=[line(price, quantity), line(price, quantity, REDUCED)],
        discount=Discount(percent_off=D(percent_off)),
        shipping_fee=D("6.95"),
        shipping_tax_rate=STANDARD,
    )

    for amount in [priced.total, priced.tax_total, *(p.total for p in priced.lines)]:
        assert amount == amount.quantize(D("0.01")), "every amount is in whole cents"
    assert priced.total == sum(p.total for p in priced.lines) + priced.shipping_net + priced.shipping_tax
    assert priced.total == priced.subtotal - priced.discount_total + priced.shipping_net + priced.tax_total


def test_no_lines_costs_only_the_shipping():
    priced = price_order(lines=[], shipping_fee=D("4.95"), shipping_tax_rate=STANDARD)

    assert (priced.subtotal, priced.total) == (D("0"), D("5.99"))
