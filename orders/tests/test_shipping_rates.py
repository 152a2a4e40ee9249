"""The one rule for delivery fees (orders.shipping_rates.delivery_fee): pure, no database."""

from decimal import Decimal

from orders.shipping_rates import BANDS, FLAT, Band, delivery_fee

BANDS_STD = [Band(2000, Decimal("4.95")), Band(10000, Decimal("7.95"))]


def fee(**overrides):
    args = {
        "rate_kind": BANDS,
        "flat_fee": Decimal("0"),
        "free_above": None,
        "bands": BANDS_STD,
        "zone_countries": None,
        "country": "NL",
        "weight_grams": 500,
        "goods_total": Decimal("20.00"),
    }
    return delivery_fee(**{**args, **overrides})


def test_a_flat_method_charges_its_fee_whatever_the_weight():
    assert fee(rate_kind=FLAT, flat_fee=Decimal("9.95"), bands=[], weight_grams=999_999) == Decimal("9.95")


def test_weight_bands_take_the_first_band_that_covers_the_weight_boundary_grams_included():
    assert fee(weight_grams=0) == Decimal("4.95")
    assert fee(weight_grams=2000) == Decimal("4.95")
    assert fee(weight_grams=2001) == Decimal("7.95")
    assert fee(weight_grams=10000) == Decimal("7.95")


def test_bands_given_out_of_order_are_read_lightest_first():
    assert fee(bands=list(reversed(BANDS_STD)), weight_grams=1500) == Decimal("4.95")


def test_heavier_than_every_band_or_no_bands_means_not_available():
    assert fee(weight_grams=10001) is None
    assert fee(bands=[]) is None


def test_free_above_applies_from_the_amount_itself():
    assert fee(free_above=Decimal("50.00"), goods_total=Decimal("49.99")) == Decimal("4.95")
    assert fee(free_above=Decimal("50.00"), goods_total=Decimal("50.00")) == Decimal("0.00")


def test_free_above_does_not_make_a_too_heavy_order_deliverable():
    assert fee(free_above=Decimal("50.00"), goods_total=Decimal("500"), weight_grams=20000) is None


def test_a_zone_serves_only_its_countries_and_no_zone_serves_every_country():
    eu = frozenset({"NL", "BE", "DE"})
    assert fee(zone_countries=eu, country="BE") == Decimal("4.95")
    assert fee(zone_countries=eu, country="be") == Decimal("4.95")
    assert fee(zone_countries=eu, country="US") is None
    assert fee(zone_countries=None, country="US") == Decimal("4.95")


def test_pickup_is_a_flat_free_method_without_zone():
    assert fee(rate_kind=FLAT, flat_fee=Decimal("0"), bands=[], country="JP", weight_grams=50000) == Decimal("0")
