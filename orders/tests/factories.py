"""Factories for orders' own models. Orders in a state, addresses and customers for every app's
tests come from tests.builders."""

from decimal import Decimal

import factory

from orders.models import Customer, DeliveryMethod


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
