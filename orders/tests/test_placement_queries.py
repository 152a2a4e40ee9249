"""How many SQL statements placing an order costs (issue 9, item 1): at most 20, whatever the
number of lines; a discount code at most two more (issue 12, item 9). Counted inside the
checkout's transaction; the "order received" e-mail is sent by a task after commit and is not part
of placement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Category
from lifecycle.checkout import order_checkout
from orders.models import Order, Voucher
from orders.services.placement import LineRequest
from tests.builders import (
    address_data,
    customer_build,
    delivery_method_build,
    product_build,
    stock_put,
    warehouse_build,
)

# The issue asks for at most 20; placement runs 17 (the risk rules read recent orders once; placing
# and verifying write the order in one UPDATE and their two events in one INSERT), plus one read of
# the delivery method's zones for its rules (a flat-fee method needs no bands; verification reuses it),
# plus one read of the active webhook subscriptions (webhooks.outbox; with one, one INSERT more).
MAX_STATEMENTS = 19
# A voucher: its lookup (with its scope and the customer's uses, one query) and counting its use,
# which PostgreSQL does in one statement (the guarded UPDATE and the redemption's INSERT in one
# WITH); SQLite, which cannot, takes two.
VOUCHER_STATEMENTS = {"postgresql": 2, "sqlite": 3}


def _placement_statements(lines, **placement) -> list[str]:
    """The statements of one checkout, without the savepoint the test's own transaction adds
    around it (in production the checkout's atomic block is the outermost one)."""
    customer, delivery_method = customer_build(), delivery_method_build(code="standard")
    with CaptureQueriesContext(connection) as captured:
        order = order_checkout(
            customer=customer,
            lines=[LineRequest(product_id=product.pk, quantity=quantity) for product, quantity in lines],
            channel=Order.Channel.WEB,
            delivery_method=delivery_method,
            payment_method=Order.PaymentMethod.BANK_TRANSFER,
            billing_address=address_data(),
            shipping_address=address_data(),
            **placement,
        )
    assert order.status == Order.Status.VERIFIED
    statements = [query["sql"] for query in captured.captured_queries]
    assert statements[0].startswith("SAVEPOINT") and statements[-1].startswith("RELEASE SAVEPOINT")
    return statements[1:-1]


def _shop(count: int):
    warehouse = warehouse_build(code="AMS", priority=1)
    products = [product_build(sku=f"P-{i}") for i in range(count)]
    for product in products:
        stock_put(product=product, warehouse=warehouse, quantity=100)
    return products


def _statements_for(products, count: int) -> list[str]:
    _placement_statements([(products[0], 1)])  # warm up: first-time reads that are cached after
    return _placement_statements([(product, 2) for product in products[:count]])


pytestmark = pytest.mark.django_db  # on the suite's database: PostgreSQL in CI, SQLite in a plain `make test`


def test_placing_an_order_of_one_line_costs_at_most_twenty_statements():
    # Given a product in stock
    products = _shop(1)
    # When a customer checks out one line of it
    statements = _statements_for(products, 1)
    # Then placement ran at most twenty statements
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)


def test_placing_ten_lines_costs_the_same_statements_as_one():
    # Given ten products in stock in one warehouse
    products = _shop(10)
    one = _statements_for(products, 1)
    # When a customer checks out ten lines
    ten = _placement_statements([(product, 2) for product in products])
    # Then it ran no more statements than an order of one line, and at most twenty
    assert len(ten) <= MAX_STATEMENTS, "\n".join(ten)
    assert len(ten) == len(one), "\n".join(ten)


def test_a_discount_code_costs_at_most_two_statements_more():
    # Given a product in stock, and a voucher with every term: a fixed amount, a minimum, a scope
    # of products and categories, a total and a per-customer limit
    products = _shop(2)
    lighting = Category.objects.create(name="Lighting", slug="lighting")
    voucher = Voucher.objects.create(
        code="TENOFF",
        kind=Voucher.Kind.FIXED_AMOUNT,
        amount_off="10.00",
        minimum_order="5.00",
        usage_limit=100,
        per_customer_limit=2,
    )
    voucher.products.add(products[0])
    voucher.categories.add(lighting)
    without = _statements_for(products, 1)

    # When a customer checks out the same line with the code
    with_code = _placement_statements([(products[0], 2)], discount_code="TENOFF")

    # Then the order has its discount, counted once, for at most two statements more
    assert Order.objects.latest("pk").discount_total == 10
    voucher.refresh_from_db()
    assert voucher.times_used == 1
    assert len(with_code) - len(without) <= VOUCHER_STATEMENTS[connection.vendor], "\n".join(with_code)
    assert len(with_code) <= MAX_STATEMENTS + 2, "\n".join(with_code)
