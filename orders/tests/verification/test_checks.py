"""The stock, pricing and customer checks, each passing and failing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import Product
from orders.models import Address, DeliveryMethod, Order, OrderLine, Voucher
from orders.services.verification import check_customer, check_pricing, order_reverify, stock_allocate_and_check
from tests.builders import address_data, product_build

pytestmark = pytest.mark.django_db


def fresh(order):
    return Order.objects.select_related("shipping_address", "billing_address", "delivery_method", "voucher").get(
        pk=order.pk
    )


def as_just_placed(order):
    """The order as verification sees it right after placement (the catalogue is compared then)."""
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PLACED)
    return fresh(order)


# --- stock ---------------------------------------------------------------------------------------


def test_stock_passes_when_everything_is_allocated(place, catalogue):
    order = place((catalogue.chair, 1), (catalogue.lamp, 1))
    outcome = order.checks.get(name="stock")
    assert outcome.result == "passed"
    assert (
        outcome.detail
        == "Stock allocated from one warehouse that ships the whole order: AMS (1 x CHAIR-1, 1 x LAMP-1)."
    )


def test_stock_passes_for_services_only(place, catalogue):
    order = place((catalogue.assembly, 1))
    assert order.checks.get(name="stock").detail == "Nothing to allocate (no physical items)"


def test_a_recheck_of_an_order_whose_lamp_is_allocated_never_says_no_physical_items(place, catalogue, staff_users):
    # Given an order for two lamps and an assembly, held for its address: placement allocated the lamps
    order = place((catalogue.lamp, 2), (catalogue.assembly, 1), shipping_address=address_data(postal_code="12"))
    assert order.status == Order.Status.ON_HOLD

    # When customer service re-checks it (the lamps need nothing more)
    order_reverify(order=order, actor=staff_users["Customer service"])

    # Then the stock check says the lamps are allocated, not that there is nothing physical
    stock = order.checks.get(name="stock")
    assert (stock.result, stock.detail) == ("passed", "All 2 physical items allocated already")


def test_stock_warns_when_the_shortage_can_be_back_ordered(place, catalogue):
    Product.objects.filter(pk=catalogue.chair.pk).update(is_backorderable=True)
    order = place((catalogue.chair, 12))
    outcome = order.checks.get(name="stock")
    assert (outcome.result, outcome.detail) == ("warning", "Back-ordered: CHAIR-1 short by 2")


def test_stock_fails_when_a_short_line_cannot_be_back_ordered(place, catalogue):
    Product.objects.filter(pk=catalogue.chair.pk).update(is_backorderable=True)
    order = place((catalogue.chair, 12), (catalogue.book, 25))
    outcome = order.checks.get(name="stock")
    assert outcome.result == "failed"
    assert outcome.detail == "Out of stock: CHAIR-1 short by 2, BOOK-1 short by 5 (BOOK-1 cannot be back-ordered)"


def test_check_stock_called_again_allocates_only_what_is_missing(place, catalogue):
    order = place((catalogue.chair, 2))
    outcome = stock_allocate_and_check(fresh(order), None)
    assert outcome.result == "passed" and outcome.allocation.strategy == ""


# --- pricing -------------------------------------------------------------------------------------


def test_pricing_passes_for_a_fresh_order(place, catalogue):
    order = place((catalogue.chair, 2), (catalogue.book, 1))
    outcome = order.checks.get(name="pricing")
    assert (outcome.result, outcome.detail) == ("passed", f"Prices match the catalogue; total {order.total} recomputed")


def test_pricing_fails_when_the_catalogue_price_changed(place, catalogue):
    order = place((catalogue.chair, 1))
    Product.objects.filter(pk=catalogue.chair.pk).update(price=Decimal("159.00"))
    outcome = check_pricing(as_just_placed(order), None)
    assert (outcome.name, outcome.result) == ("pricing", "failed")
    assert outcome.detail == "CHAIR-1 posted at 149.00, catalogue price is 159.00"


def test_pricing_fails_when_the_tax_rate_changed(place, catalogue):
    order = place((catalogue.book, 1))
    catalogue.reduced.rate = Decimal("0.1000")
    catalogue.reduced.save()
    assert "BOOK-1 taxed at 0.0900, catalogue rate is 0.1000" in check_pricing(as_just_placed(order), None).detail


def test_pricing_passes_with_a_valid_voucher_and_fails_when_it_is_no_longer_valid(place, catalogue):
    voucher = Voucher.objects.create(code="WELCOME10", percent_off=Decimal("10"))
    order = place((catalogue.chair, 1), discount_code="welcome10")
    assert order.checks.get(name="pricing").result == "passed"
    assert order.discount_total == Decimal("14.90")

    voucher.is_active = False
    voucher.save()
    outcome = check_pricing(as_just_placed(order), None)
    assert (outcome.result, outcome.detail) == (
        "failed",
        "voucher WELCOME10 is not valid (inactive or outside its dates)",
    )


def test_pricing_checks_the_voucher_dates_at_placement(place, catalogue):
    voucher = Voucher.objects.create(code="SPRING", percent_off=Decimal("5"))
    order = place((catalogue.chair, 1), discount_code="SPRING")
    voucher.valid_until = timezone.now() + timedelta(minutes=1)
    voucher.save()
    assert check_pricing(as_just_placed(order), None).result == "passed"
    voucher.valid_until = order.placed_at - timedelta(minutes=1)
    voucher.save()
    assert check_pricing(as_just_placed(order), None).result == "failed"


def test_a_recheck_keeps_the_prices_agreed_at_placement(place, catalogue):
    # Given a held order with a voucher, whose catalogue price and voucher changed afterwards
    voucher = Voucher.objects.create(code="WELCOME10", percent_off=Decimal("10"))
    order = place((catalogue.chair, 1), discount_code="WELCOME10")
    Order.objects.filter(pk=order.pk).update(status=Order.Status.ON_HOLD)
    Product.objects.filter(pk=catalogue.chair.pk).update(price=Decimal("159.00"))
    Voucher.objects.filter(pk=voucher.pk).update(is_active=False, percent_off=Decimal("50"))

    # When customer service re-checks it, pricing still passes on the frozen amounts
    assert check_pricing(fresh(order), None).result == "passed"


def test_pricing_recomputes_the_totals(place, catalogue):
    order = place((catalogue.chair, 1))
    Order.objects.filter(pk=order.pk).update(total=Decimal("1.00"), tax_total=Decimal("0.50"))
    outcome = check_pricing(fresh(order), None)
    assert outcome.result == "failed"
    assert outcome.detail == (
        f"tax 0.50 but the lines add up to {order.tax_total}; total 1.00 but the lines add up to {order.total}"
    )


def test_pricing_recomputes_each_line(place, catalogue):
    order = place((catalogue.chair, 1))
    order.lines.update(line_total=Decimal("1.00"))
    assert (
        "CHAIR-1 line amounts do not add up (total 1.00, recomputed 180.29)" in check_pricing(fresh(order), None).detail
    )


# --- customer ------------------------------------------------------------------------------------


def test_customer_passes_with_a_valid_e_mail_and_complete_addresses(place, catalogue):
    order = place((catalogue.chair, 1))
    outcome = order.checks.get(name="customer")
    assert (outcome.result, outcome.detail) == ("passed", "E-mail and addresses look complete")


def test_customer_fails_on_an_invalid_e_mail(place, catalogue):
    order = place((catalogue.chair, 1))
    Order.objects.filter(pk=order.pk).update(email="anna@@example")
    assert check_customer(fresh(order), None).detail == "e-mail address 'anna@@example' is not valid"


def test_customer_fails_on_an_incomplete_address(place, catalogue):
    order = place((catalogue.chair, 1))
    Address.objects.filter(pk=order.shipping_address_id).update(line1="", city="")
    outcome = check_customer(fresh(order), None)
    assert (outcome.result, outcome.detail) == ("failed", "delivery address lacks line1, city")


@pytest.mark.parametrize(
    "country, postal_code, passes",
    [
        ("NL", "1016 GV", True),
        ("NL", "1016GV", True),
        ("NL", "ABC", False),
        ("NL", "0123 AB", False),
        ("DE", "10115", True),
        ("DE", "1011", False),
        ("GB", "SW1A 1AA", True),
        ("GB", "12345", False),
        ("BE", "1000", True),
        ("US", "94105-1234", True),
        ("XX", "anything", True),  # shapes we do not know are not judged
    ],
)
def test_customer_checks_the_postal_code_shape_of_the_country(place, catalogue, country, postal_code, passes):
    order = place((catalogue.chair, 1))
    Address.objects.filter(pk__in=[order.shipping_address_id, order.billing_address_id]).update(
        country=country, postal_code=postal_code
    )
    outcome = check_customer(fresh(order), None)
    assert (outcome.result == "passed") is passes, outcome.detail
    if not passes:
        assert f"delivery postal code '{postal_code}' does not look like one from {country}" in outcome.detail


def test_customer_fails_on_a_country_that_is_not_a_code(place, catalogue):
    order = place((catalogue.chair, 1))
    Address.objects.filter(pk=order.billing_address_id).update(country="N1")
    assert "billing country 'N1' is not a two-letter code" in check_customer(fresh(order), None).detail


def test_customer_fails_on_a_home_delivery_without_address(place, catalogue):
    order = place((catalogue.chair, 1))
    Order.objects.filter(pk=order.pk).update(shipping_address=None)
    assert check_customer(fresh(order), None).detail == "no delivery address for a home delivery"


def test_customer_passes_a_pickup_without_delivery_address(place, catalogue):
    pickup = DeliveryMethod.objects.create(code="pickup", name="Pick up", fee=0, is_pickup=True)
    order = place((catalogue.chair, 1), delivery_method=pickup, shipping_address=None)
    assert order.shipping_address is None
    assert order.checks.get(name="customer").result == "passed"


def test_a_held_order_gets_the_reason_in_the_check_detail(place, catalogue):
    order = place((catalogue.chair, 1), shipping_address=address_data(postal_code="ABC"))
    assert order.status == Order.Status.ON_HOLD
    assert order.checks.get(name="customer").detail == "delivery postal code 'ABC' does not look like one from NL"


def test_details_are_cut_to_fit_the_column(place, catalogue):
    products = [product_build(sku=f"SKU-LONG-NAME-{i:03d}", is_backorderable=True) for i in range(30)]
    order = place(*[(p, 1) for p in products])
    detail = order.checks.get(name="stock").detail
    assert len(detail) == 300 and detail.endswith("…")


def test_pricing_recomputes_a_fixed_amount_from_the_terms_the_order_keeps(place, catalogue):
    # Given an order with 20.00 off, whose voucher was later scoped to books only
    voucher = Voucher.objects.create(code="TWENTY", kind=Voucher.Kind.FIXED_AMOUNT, amount_off=Decimal("20"))
    order = place((catalogue.chair, 1), (catalogue.lamp, 1), discount_code="TWENTY")
    assert order.checks.get(name="pricing").result == "passed"
    voucher.products.set([catalogue.book])

    # Then the check right after placement prices it with the order's own terms and still passes
    assert check_pricing(as_just_placed(order), None).result == "passed"

    # and a line discount that does not follow those terms fails it
    chair = order.lines.get(sku="CHAIR-1")
    OrderLine.objects.filter(pk=chair.pk).update(
        discount_amount=chair.discount_amount + 1, net_amount=chair.net_amount - 1
    )
    assert "CHAIR-1 line amounts do not add up" in check_pricing(as_just_placed(order), None).detail


def test_pricing_fails_when_the_order_kept_other_terms_than_its_voucher_gives(place, catalogue):
    Voucher.objects.create(code="WELCOME10", percent_off=Decimal("10"))
    order = place((catalogue.chair, 1), discount_code="WELCOME10")

    Order.objects.filter(pk=order.pk).update(discount_terms={**order.discount_terms, "percent_off": "50.00"})

    detail = check_pricing(as_just_placed(order), None).detail
    assert "discount terms of the order differ from voucher WELCOME10" in detail


def test_pricing_checks_a_waived_delivery_fee_against_the_delivery_method(place, catalogue):
    Voucher.objects.create(code="SHIPFREE", kind=Voucher.Kind.FREE_SHIPPING)
    order = place((catalogue.book, 1), discount_code="SHIPFREE")
    assert (order.shipping_total, order.shipping_discount) == (Decimal("0.00"), Decimal("4.95"))
    assert check_pricing(as_just_placed(order), None).result == "passed"

    Order.objects.filter(pk=order.pk).update(shipping_discount=Decimal("9.95"))

    assert "delivery 9.95 but the delivery method's fee is 4.95" in check_pricing(as_just_placed(order), None).detail


def test_pricing_compares_the_delivery_fee_with_what_the_rules_give_this_order(place, catalogue):
    # Given an order placed at the flat 4.95, and its method since priced by weight
    from orders.models import DeliveryMethod, ShippingZone, WeightBand

    order = place((catalogue.book, 1))
    assert check_pricing(as_just_placed(order), None).result == "passed"
    method = order.delivery_method
    DeliveryMethod.objects.filter(pk=method.pk).update(rate_kind=DeliveryMethod.RateKind.BANDS)
    WeightBand.objects.create(method=method, up_to_grams=100_000, fee=Decimal("6.50"))

    # Then the check compares with the band's fee for this order, not the method's flat fee
    assert "delivery 4.95 but the delivery method's fee is 6.50" in check_pricing(as_just_placed(order), None).detail

    # And a method whose zones do not cover the destination fails the check
    method.zones.add(ShippingZone.objects.create(name="Far away", countries=["JP"]))
    assert "does not apply" in check_pricing(as_just_placed(order), None).detail
