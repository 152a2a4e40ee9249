"""The cart's figures add up on sight (issue 10, item 10): lines and summary on one footing (both
with VAT or both without), VAT on one line, one money format.

Each test reads the figures off the page as a customer would and adds them up: the lines make the
items row, and items - discount + shipping (+ VAT, when prices are shown without it) is the total.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order, RiskRules
from tests.builders import order_advance
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, checkout, details_and_review_key

pytestmark = pytest.mark.django_db

MONEY = re.compile(r"^(\u2212?)€\u00a0([\d,]+\.\d{2})$")
LINE_AMOUNT = re.compile(r'data-testid="line-amount">([^<]*)<')
TOTALS_ROW = re.compile(r'<div[^>]*data-total="([\w-]+)"><dt>(.*?)</dt><dd[^>]*>([^<]*)</dd>', re.S)


def amount(shown: str) -> Decimal:
    """'€ 1,234.56' -> 1234.56, '−€ 5.00' -> -5.00, 'Free' -> 0; anything else fails the test."""
    if shown == "Free":
        return Decimal("0.00")
    match = MONEY.match(shown)
    assert match, f"not the one money format: {shown!r}"
    return Decimal(match.group(2).replace(",", "")) * (-1 if match.group(1) else 1)


def figures(page: str) -> tuple[list[Decimal], dict[str, Decimal], dict[str, str]]:
    lines = [amount(shown) for shown in LINE_AMOUNT.findall(page)]
    rows = {name: amount(shown) for name, _, shown in TOTALS_ROW.findall(page)}
    labels = {name: label for name, label, _ in TOTALS_ROW.findall(page)}
    return lines, rows, labels


def assert_adds_up(page: str, *, includes_vat: bool, lines_expected: int) -> dict[str, Decimal]:
    lines, rows, labels = figures(page)
    assert len(lines) == lines_expected
    assert sum(lines) == rows["items"], "the lines make the items row"
    basis = "incl. VAT" if includes_vat else "excl. VAT"
    assert basis in labels["items"] and basis in labels["shipping"], labels
    discount = rows.get("discount", Decimal("0.00"))
    assert discount <= 0, "a discount reads as an amount taken off"
    if includes_vat:
        assert "vat" not in rows, "VAT is in the prices: shown once, as what they include"
        assert rows["items"] + discount + rows["shipping"] == rows["total"], rows
        assert rows["vat-included"] > 0
    else:
        assert "vat-included" not in rows
        assert rows["items"] + discount + rows["shipping"] + rows["vat"] == rows["total"], rows
    return rows


@pytest.fixture(params=[True, False], ids=["prices-with-vat", "prices-without-vat"])
def includes_vat(request, settings):
    settings.PRICES_INCLUDE_TAX_DISPLAY = request.param
    return request.param


def _fill_cart(client, shop) -> None:
    # Two tax rates (21 % and 9 %), quantities above one, and a 10 % voucher: every rounding case
    add_to_cart(client, shop.chair, 3)
    add_to_cart(client, shop.lamp, 2)
    add_to_cart(client, shop.book, 1)
    client.post(reverse("storefront:cart_discount"), {"code": "WELCOME10"})


def test_the_cart_adds_up(client, shop, includes_vat):
    _fill_cart(client, shop)

    page = client.get(reverse("storefront:cart")).content.decode()

    rows = assert_adds_up(page, includes_vat=includes_vat, lines_expected=3)
    assert rows["discount"] < 0 and rows["shipping"] > 0
    cart = client.get(reverse("storefront:cart")).context["cart"]
    assert rows["total"] == cart.priced.total, "the total is what the order will cost"


def test_checkout_details_and_review_add_up(client, shop, includes_vat):
    _fill_cart(client, shop)

    details = client.get(reverse("storefront:checkout")).content.decode()
    assert_adds_up(details, includes_vat=includes_vat, lines_expected=3)
    details_and_review_key(client, {**GUEST_DETAILS, "discount_code": "WELCOME10", "delivery_method": "express"})
    review = client.get(reverse("storefront:checkout_review")).content.decode()
    rows = assert_adds_up(review, includes_vat=includes_vat, lines_expected=3)
    assert f"Total to pay: <strong>€\u00a0{rows['total']:,}</strong>" in review


def test_the_order_page_adds_up_before_and_after_fulfilment(client, shop, staff, includes_vat):
    rules = RiskRules.current()  # a first order of this size is held for a look otherwise
    rules.large_order_total = rules.first_order_total = 0
    rules.save()
    _fill_cart(client, shop)
    placed = checkout(client, {**GUEST_DETAILS, "discount_code": "WELCOME10"})
    order = Order.objects.get()

    rows = assert_adds_up(client.get(placed.url).content.decode(), includes_vat=includes_vat, lines_expected=3)
    assert rows["total"] == order.total

    order_advance(order=order, state="invoiced", actor=staff)
    assert_adds_up(client.get(placed.url).content.decode(), includes_vat=includes_vat, lines_expected=3)


def test_free_pickup_and_no_voucher_add_up_too(client, shop, includes_vat):
    add_to_cart(client, shop.book, 2)
    placed = checkout(client, {**GUEST_DETAILS, "delivery_method": "pickup"})

    rows = assert_adds_up(client.get(placed.url).content.decode(), includes_vat=includes_vat, lines_expected=1)
    assert rows["shipping"] == 0 and "discount" not in rows


def test_no_page_of_the_checkout_writes_money_another_way(client, shop):
    _fill_cart(client, shop)
    pages = [
        client.get(reverse("storefront:catalogue")).content.decode(),
        client.get(reverse("storefront:product", args=[shop.chair.slug])).content.decode(),
        client.get(reverse("storefront:cart")).content.decode(),
        client.get(reverse("storefront:checkout")).content.decode(),
    ]
    details_and_review_key(client, {**GUEST_DETAILS, "discount_code": "WELCOME10"})
    pages.append(client.get(reverse("storefront:checkout_review")).content.decode())
    pages.append(client.get(checkout(client, {**GUEST_DETAILS}).url).content.decode())

    for page in pages:
        assert "EUR " not in page and "€&nbsp;" not in page, "money is written € 1,234.56 (a no-break space)"
        assert "(s)" not in page
