"""Fixtures for the hardening tests (issue 8): a shopper with an order, reached through the services."""

import pytest

from tests.builders import customer_signed_up, delivery_method_build, order_build


@pytest.fixture
def shopper(db):
    return customer_signed_up(email="shopper@example.com", full_name="Sam Shopper")


@pytest.fixture
def shopper_order(catalogue, shopper):
    """An order the shopper placed, as the checkout would."""
    return order_build(customer=shopper.customer, lines=[(catalogue.book, 1)])


@pytest.fixture
def delivery_method(db):
    return delivery_method_build()
