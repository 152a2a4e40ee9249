"""Price arithmetic (orders/pricing.py): money is Decimal, rounded per line, half-up to cents."""

from decimal import Decimal

import pytest

from orders.pricing import FIXED_AMOUNT, FREE_SHIPPING, Discount, PriceInput, price_order

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


# --- discounts: fixed amount, free delivery, scope, minimum order -----------------------------------


def fixed(amount: str, **terms) -> Discount:
    return Discount(kind=FIXED_AMOUNT, amount_off=D(amount), **terms)


def test_a_fixed_amount_is_shared_in_proportion_to_the_lines_value():
    # 10.00 off 60.00 + 30.00 + 10.00 (100.00): a tenth of each line, 6.00, 3.00 and 1.00.
    priced = price_order(lines=[line("60.00"), line("30.00"), line("10.00")], discount=fixed("10.00"))

    assert [p.discount for p in priced.lines] == [D("6.00"), D("3.00"), D("1.00")]
    assert priced.discount_total == D("10.00")


def test_the_cents_a_fixed_amount_leaves_over_go_to_the_largest_remainders_and_add_up_exactly():
    # 10.00 over three lines of 10.00: 3.333... each; the one cent left goes to the first line.
    priced = price_order(lines=[line("10.00"), line("10.00"), line("10.00")], discount=fixed("10.00"))
    assert [p.discount for p in priced.lines] == [D("3.34"), D("3.33"), D("3.33")]

    # 5.00 over 1.00, 2.00 and 6.00 (9.00): 0.5555.., 1.1111.., 3.3333.. round down to 0.55, 1.11 and
    # 3.33 (4.99); the cent left goes to the largest remainder, the first line's.
    priced = price_order(lines=[line("1.00"), line("2.00"), line("6.00")], discount=fixed("5.00"))
    assert [p.discount for p in priced.lines] == [D("0.56"), D("1.11"), D("3.33")]
    assert priced.discount_total == D("5.00")


def test_a_fixed_amount_is_never_more_than_the_items_are_worth():
    priced = price_order(
        lines=[line("7.50"), line("2.50", rate=REDUCED)],
        discount=fixed("25.00"),
        shipping_fee=D("4.95"),
        shipping_tax_rate=STANDARD,
    )

    assert [p.discount for p in priced.lines] == [D("7.50"), D("2.50")]
    assert [p.total for p in priced.lines] == [D("0.00"), D("0.00")]
    assert priced.total == D("5.99")  # only the delivery, 4.95 + 1.04 tax


def test_tax_after_a_fixed_amount_is_charged_per_line_at_its_own_rate():
    # 20.00 off 80.00 at 21 % and 20.00 at 9 %: 16.00 and 4.00 off; nets 64.00 and 16.00.
    priced = price_order(lines=[line("80.00"), line("20.00", rate=REDUCED)], discount=fixed("20.00"))

    assert [(p.net, p.tax) for p in priced.lines] == [(D("64.00"), D("13.44")), (D("16.00"), D("1.44"))]
    assert priced.tax_breakdown == {
        REDUCED: {"net": D("16.00"), "tax": D("1.44")},
        STANDARD: {"net": D("64.00"), "tax": D("13.44")},
    }
    assert priced.total == D("94.88")


@pytest.mark.parametrize(
    ("prices", "amount"),
    [
        (("0.01", "0.01", "0.01"), "0.02"),
        (("19.99", "0.05", "333.33"), "17.77"),
        (("1.00",), "0.01"),
        (("12.34", "56.78", "9.10", "0.99"), "50.00"),
        (("5.00", "5.00"), "100.00"),
    ],
)
def test_fixed_amounts_always_add_up_to_the_cent(prices, amount):
    lines = [
        line(price, quantity, rate)
        for price, quantity, rate in zip(prices, (1, 3, 2, 7, 1), (STANDARD, REDUCED) * 3, strict=False)
    ]
    priced = price_order(lines=lines, discount=fixed(amount), shipping_fee=D("6.95"), shipping_tax_rate=STANDARD)

    assert priced.discount_total == min(D(amount), priced.subtotal)
    for p in priced.lines:
        assert D("0") <= p.discount <= p.gross
        assert p.discount == p.discount.quantize(D("0.01"))
    assert priced.total == sum(p.total for p in priced.lines) + priced.shipping_net + priced.shipping_tax
    assert priced.total == priced.subtotal - priced.discount_total + priced.shipping_net + priced.tax_total


def test_free_delivery_waives_the_fee_and_its_tax_and_leaves_the_lines_alone():
    priced = price_order(
        lines=[line("24.50", rate=REDUCED)],
        discount=Discount(kind=FREE_SHIPPING),
        shipping_fee=D("4.95"),
        shipping_tax_rate=STANDARD,
    )

    assert (priced.shipping_net, priced.shipping_tax, priced.shipping_discount) == (D("0.00"), D("0.00"), D("4.95"))
    assert (priced.discount_total, priced.lines[0].total) == (D("0.00"), D("26.71"))
    assert list(priced.tax_breakdown) == [REDUCED], "no tax row for a delivery that costs nothing"
    assert (priced.total, priced.savings) == (D("26.71"), D("4.95"))


def test_a_scoped_discount_takes_off_only_the_products_and_categories_it_names():
    lamp = PriceInput(unit_price=D("40.00"), tax_rate=STANDARD, quantity=1, product_id=1, category_id=7)
    chair = PriceInput(unit_price=D("150.00"), tax_rate=STANDARD, quantity=1, product_id=2, category_id=8)
    book = PriceInput(unit_price=D("25.00"), tax_rate=REDUCED, quantity=1, product_id=3, category_id=None)

    by_category = price_order(lines=[lamp, chair, book], discount=Discount(percent_off=D("10"), category_ids={7}))
    by_product = price_order(lines=[lamp, chair, book], discount=fixed("30.00", product_ids={2, 3}))

    assert [p.discount for p in by_category.lines] == [D("4.00"), D("0.00"), D("0.00")]
    # 30.00 over the chair (150.00) and the book (25.00): 25.71 and 4.29; the lamp keeps its price.
    assert [p.discount for p in by_product.lines] == [D("0.00"), D("25.71"), D("4.29")]
    assert by_product.eligible_subtotal == D("175.00")


def test_below_the_minimum_order_value_the_discount_gives_nothing_and_says_how_much_is_missing():
    lamp = PriceInput(unit_price=D("40.00"), tax_rate=STANDARD, quantity=1, product_id=1, category_id=7)
    chair = PriceInput(unit_price=D("150.00"), tax_rate=STANDARD, quantity=1, product_id=2, category_id=8)
    # The minimum counts the eligible lamps only, before VAT: 40.00 of 50.00.
    discount = fixed("10.00", minimum_order=D("50.00"), category_ids={7})

    short = price_order(lines=[lamp, chair], discount=discount)
    enough = price_order(lines=[lamp, lamp, chair], discount=discount)

    assert (short.discount_total, short.discount_shortfall) == (D("0.00"), D("10.00"))
    assert (enough.discount_total, enough.discount_shortfall) == (D("10.00"), D("0.00"))


def test_free_delivery_needs_an_eligible_item_and_the_minimum():
    chair = PriceInput(unit_price=D("150.00"), tax_rate=STANDARD, quantity=1, product_id=2, category_id=8)
    delivery = {"shipping_fee": D("4.95"), "shipping_tax_rate": STANDARD}

    out_of_scope = price_order(lines=[chair], discount=Discount(kind=FREE_SHIPPING, category_ids={7}), **delivery)
    below = price_order(lines=[chair], discount=Discount(kind=FREE_SHIPPING, minimum_order=D("200")), **delivery)
    met = price_order(lines=[chair], discount=Discount(kind=FREE_SHIPPING, minimum_order=D("150")), **delivery)

    assert (out_of_scope.shipping_net, below.shipping_net, met.shipping_net) == (D("4.95"), D("4.95"), D("0.00"))


def test_the_terms_an_order_keeps_read_back_the_same_and_only_for_its_own_lines():
    discount = fixed("10.00", minimum_order=D("50.00"), product_ids={1, 2, 3}, category_ids={7, 8})
    lines = [PriceInput(unit_price=D("40.00"), tax_rate=STANDARD, quantity=1, product_id=2, category_id=8)]

    kept = discount.for_lines(lines)

    assert (kept.product_ids, kept.category_ids) == ({2}, {8})
    assert Discount.from_data(kept.as_data()) == kept
    assert price_order(lines=lines, discount=kept) == price_order(lines=lines, discount=discount)
