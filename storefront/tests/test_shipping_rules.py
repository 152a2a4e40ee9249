"""Delivery rules at the checkout, over HTTP: only methods that deliver the cart to the chosen
country, each with the fee its rules give; an inapplicable method is refused beside the field."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.admin.customers import DeliveryMethodForm, ShippingZoneForm
from orders.models import DeliveryMethod, Order, ShippingZone, WeightBand
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, checkout


def _rules(shop):
    """Standard by weight (up to 2 kg 4.95, up to 10 kg 7.95), free from 50.00; Express only in NL."""
    standard = shop.standard_delivery
    standard.rate_kind = DeliveryMethod.RateKind.BANDS
    standard.free_above = Decimal("50.00")
    standard.save()
    WeightBand.objects.create(method=standard, up_to_grams=2000, fee=Decimal("4.95"))
    WeightBand.objects.create(method=standard, up_to_grams=10000, fee=Decimal("7.95"))
    shop.express.zones.add(ShippingZone.objects.create(name="Netherlands", countries=["NL"]))
    shop.lamp.weight_grams = 3000
    shop.lamp.save(update_fields=["weight_grams"])


def _offered(response) -> dict[str, Decimal]:
    form = response.context["form"]
    return {method.code: fee for method, fee in form._applicable()}


def test_a_heavy_cart_sees_the_band_fee_and_is_charged_it(client, shop):
    # Given a lamp of 3 kg (the second band) in the cart
    _rules(shop)
    add_to_cart(client, shop.lamp)

    # When the customer opens the delivery step
    response = client.get(reverse("storefront:checkout"))

    # Then Standard is offered at the second band's fee, and the order is charged it
    assert _offered(response)["standard"] == Decimal("7.95")
    assert "Standard delivery" in response.content.decode()
    assert "free from" in response.content.decode() and "of goods before VAT" in response.content.decode()
    checkout(client)
    order = Order.objects.get()
    assert order.shipping_total + order.shipping_discount == Decimal("7.95")
    assert order.checks.get(name="pricing").result == "passed"


def test_free_above_the_goods_value(client, shop):
    _rules(shop)
    add_to_cart(client, shop.lamp, quantity=2)  # 79.90 before VAT, 6 kg
    assert _offered(client.get(reverse("storefront:checkout")))["standard"] == Decimal("0.00")


def test_a_country_outside_the_zone_does_not_see_the_method(client, shop):
    _rules(shop)
    add_to_cart(client, shop.lamp)
    # The form comes back (a field missing) for Belgium: Express (NL only) is not offered
    response = client.post(reverse("storefront:checkout"), {**GUEST_DETAILS, "ship_country": "BE", "ship_line1": ""})
    assert response.status_code == 200
    assert "express" not in _offered(response)
    assert "standard" in _offered(response)
    response = client.post(reverse("storefront:checkout"), {**GUEST_DETAILS, "ship_line1": ""})
    assert "express" in _offered(response)


def test_posting_a_method_that_does_not_apply_is_refused_beside_the_field(client, shop):
    _rules(shop)
    add_to_cart(client, shop.lamp)
    response = client.post(
        reverse("storefront:checkout"),
        {**GUEST_DETAILS, "ship_country": "BE", "ship_postal_code": "1000", "delivery_method": "express"},
    )
    assert response.status_code == 200
    assert "Express does not deliver this order to Belgium" in response.context["form"].errors["delivery_method"][0]
    assert not Order.objects.exists()


def test_too_heavy_for_every_band_is_refused(client, shop):
    _rules(shop)
    add_to_cart(client, shop.lamp, quantity=4)  # 12 kg
    response = client.post(reverse("storefront:checkout"), GUEST_DETAILS)
    assert response.status_code == 200
    assert "does not deliver" in response.context["form"].errors["delivery_method"][0]
    assert not Order.objects.exists()


def _delivery_step_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("storefront:checkout")).status_code == 200
    return len(queries)


def test_the_delivery_step_runs_as_many_queries_for_many_cart_lines_as_for_one(client, shop):
    _rules(shop)
    add_to_cart(client, shop.lamp)
    one = _delivery_step_queries(client)
    add_to_cart(client, shop.chair)
    add_to_cart(client, shop.stool)
    add_to_cart(client, shop.book)
    assert _delivery_step_queries(client) == one


def test_admin_forms_refuse_unknown_countries_and_a_flat_method_without_fee(db):
    zone = ShippingZoneForm(data={"name": "Benelux", "countries": "NL, be XX"})
    assert not zone.is_valid()
    assert "Unknown country code(s): XX" in zone.errors["countries"][0]
    zone = ShippingZoneForm(data={"name": "Benelux", "countries": "nl, be LU"})
    assert zone.is_valid(), zone.errors
    assert zone.cleaned_data["countries"] == ["BE", "LU", "NL"]
    method = DeliveryMethodForm(
        data={
            "code": "x",
            "name": "X",
            "rate_kind": "flat",
            "fee": "",
            "tax_rate": "0.21",
            "min_days": 1,
            "max_days": 2,
            "sort_order": 0,
        }
    )
    assert not method.is_valid()
    assert "fee" in method.errors
