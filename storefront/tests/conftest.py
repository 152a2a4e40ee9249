"""Fixtures for the storefront view tests: a small shop and customers with an account."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from inventory.models import Category
from orders.models import DeliveryMethod, Voucher
from tests.builders import catalogue_build, customer_signed_up, product_build, stock_put


@pytest.fixture
def shop(db):
    """catalogue_build() plus categories, a low-stock and a back-orderable product, delivery methods
    (standard, express, pickup) and a 10 % voucher."""
    shop = catalogue_build()
    furniture = Category.objects.create(name="Furniture", slug="furniture")
    lighting = Category.objects.create(name="Lighting", slug="lighting")
    for product, category in ((shop.chair, furniture), (shop.lamp, lighting)):
        product.category = category
        product.save(update_fields=["category"])
    shop.furniture, shop.lighting = furniture, lighting
    shop.stool = product_build(sku="STOOL-1", name="Birch stool", price=Decimal("89.00"), tax_class=shop.standard)
    stock_put(product=shop.stool, warehouse=shop.main, quantity=2)
    shop.desk = product_build(
        sku="DESK-1",
        name="Walnut desk",
        price=Decimal("845.00"),
        tax_class=shop.standard,
        is_backorderable=True,
        restock_lead_days=21,
    )
    shop.sold_out = product_build(sku="GONE-1", name="Sold-out vase", price=Decimal("20.00"), tax_class=shop.standard)
    shop.standard_delivery = DeliveryMethod.objects.create(
        code="standard",
        name="Standard delivery",
        fee=Decimal("4.95"),
        tax_rate=Decimal("0.21"),
        min_days=1,
        max_days=3,
        sort_order=1,
    )
    shop.express = DeliveryMethod.objects.create(
        code="express",
        name="Express",
        fee=Decimal("9.95"),
        tax_rate=Decimal("0.21"),
        min_days=1,
        max_days=1,
        sort_order=2,
    )
    shop.pickup = DeliveryMethod.objects.create(
        code="pickup",
        name="Pick up in Amsterdam",
        fee=Decimal("0"),
        tax_rate=Decimal("0.21"),
        min_days=0,
        max_days=1,
        is_pickup=True,
        sort_order=3,
    )
    shop.voucher = Voucher.objects.create(code="WELCOME10", percent_off=Decimal("10"))
    return shop


@pytest.fixture
def anna(db):
    return customer_signed_up()


@pytest.fixture
def bert(db):
    return customer_signed_up(email="bert@example.com", full_name="Bert Jansen")


@pytest.fixture
def anna_client(client, anna):
    client.force_login(anna.user)
    return client


@pytest.fixture
def staff(db):
    return User.objects.create_superuser(username="boss", password="pw", email="boss@example.com")
