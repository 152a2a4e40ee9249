"""Fixtures for the hardening tests (issue 8): a shopper with an order, reached through the services."""

from types import SimpleNamespace

import pytest

from orders.models import Customer
from orders.services.customers import customer_sign_up
from orders.tests.factories import DeliveryMethodFactory, order_place_for_test


@pytest.fixture
def shopper(db):
    email, password = "shopper@example.com", "a long passphrase 42"
    user = customer_sign_up(email=email, password=password, full_name="Sam Shopper")
    return SimpleNamespace(user=user, customer=Customer.objects.get(user=user), email=email, password=password)


@pytest.fixture
def shopper_order(catalogue, shopper):
    """An order the shopper placed, as the checkout would."""
    return order_place_for_test(customer=shopper.customer, products_and_quantities=[(catalogue.book, 1)])


@pytest.fixture
def delivery_method(db):
    return DeliveryMethodFactory()
