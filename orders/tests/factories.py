from decimal import Decimal

import factory

from lifecycle.checkout import order_checkout
from orders.models import Customer, DeliveryMethod
from orders.services.placement import AddressData, LineRequest


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")


class DeliveryMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryMethod
        django_get_or_create = ("code",)

    code = "standard"
    name = "Standard delivery"
    fee = Decimal("4.95")
    tax_rate = Decimal("0.2100")
    min_days = 1
    max_days = 3


def address_data(**overrides) -> AddressData:
    fields = {
        "full_name": "Anna de Vries",
        "line1": "Prinsengracht 263",
        "postal_code": "1016 GV",
        "city": "Amsterdam",
        "country": "NL",
    }
    fields.update(overrides)
    return AddressData(**fields)


def order_place_for_test(
    *, customer, products_and_quantities, payment_method="bank_transfer", channel="web", delivery_method=None, **kwargs
):
    """Place an order through the real checkout (a card is authorised when `card_token` is given)."""
    return order_checkout(
        customer=customer,
        lines=[LineRequest(product_id=p.pk, quantity=q) for p, q in products_and_quantities],
        channel=channel,
        delivery_method=delivery_method or DeliveryMethodFactory(),
        payment_method=payment_method,
        billing_address=kwargs.pop("billing_address", address_data()),
        shipping_address=kwargs.pop("shipping_address", address_data()),
        **kwargs,
    )
