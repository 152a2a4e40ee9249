"""Query counts of the storefront's pages, flat in rows (issue 9, item 3).

Each page a shopper opens on the way to an order runs a fixed number of statements, whatever the
number of lines in the cart or of products in the catalogue: a count that grew with the rows would
be an N+1 that a test with one row cannot see. The bounds are today's counts; a change that adds a
query per request shows here first.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import Product
from orders.models import RiskRules
from tests.builders import product_build, stock_put, warehouse_build
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, details_and_review_key

pytestmark = pytest.mark.django_db


def _count(client, method: str, url: str, data=None, *, status=(200, 302)) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in status, response.content.decode()[:2000]
    return len(queries)


def _more_products(shop, n: int) -> list:
    products = []
    for i in range(n):
        product = product_build(sku=f"EXTRA-{i}", name=f"Extra {i}", price=Decimal("5.00"), tax_class=shop.standard)
        stock_put(product=product, warehouse=shop.main if i % 2 else shop.second, quantity=50)
        products.append(product)
    return products


def _each_checkout_page(client, products, email: str = GUEST_DETAILS["email"]) -> dict[str, int]:
    """Fill a guest cart with `products`, then count every request of the checkout."""
    for product in products:
        add_to_cart(client, product)
    counts = {
        # One more of the last product, to a cart of 1 or 5 lines in a session that exists.
        "add to cart": _count(
            client, "post", reverse("storefront:cart_add"), {"product": products[-1].pk, "quantity": 1}
        ),
        "cart": _count(client, "get", reverse("storefront:cart")),
        "details GET": _count(client, "get", reverse("storefront:checkout")),
        "details POST": _count(client, "post", reverse("storefront:checkout"), {**GUEST_DETAILS, "email": email}),
        "review GET": _count(client, "get", reverse("storefront:checkout_review")),
    }
    key = details_and_review_key(client, {**GUEST_DETAILS, "email": email})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("storefront:checkout_place"), {"idempotency_key": key})
    assert response.status_code == 302 and "/orders/" in response["Location"], response
    counts["place POST"] = len(queries)
    return counts


def test_each_checkout_request_runs_as_many_queries_for_one_line_as_for_five(shop, client):
    # Given two guests, one with one line in the cart and one with five
    extra = _more_products(shop, 4)
    one_line = _each_checkout_page(client, [shop.chair])
    five_lines = _each_checkout_page(type(client)(), [shop.book, *extra])

    # Then each page before placing costs the same, within today's counts (a session read included)
    for page in ("add to cart", "cart", "details GET", "details POST", "review GET"):
        assert five_lines[page] == one_line[page], (page, one_line, five_lines)
    # Adding reads the session and the product with its stock, and saves the session (its write
    # in a transaction of its own, a savepoint pair inside the test's): 5, 4 with Redis. A guest's
    # cart lives in the session and takes no transaction (7 while cart_add opened one).
    assert one_line["add to cart"] <= 5
    assert one_line["cart"] <= 4  # + the zones of the method the shipping estimate uses
    # The delivery step reads the methods with their zones and weight bands (delivery rules): 3 queries.
    assert one_line["details GET"] <= 7
    # The POST and the review read the cart's lines once and price them only with the chosen method
    # (whose zones the details form read), never with the estimate's cheapest method as well.
    assert one_line["details POST"] <= 7
    assert one_line["review GET"] <= 4


def test_placing_an_order_runs_as_many_queries_for_one_line_as_for_five(shop, client):
    # Given the risk rules exist (the first checkout would otherwise create them) and two guests
    # with different addresses (one guest's repeat order would be read for the duplicate rule)
    RiskRules.current()
    extra = _more_products(shop, 4)
    one_line = _each_checkout_page(client, [shop.chair], email="one@example.com")
    five_lines = _each_checkout_page(type(client)(), [shop.book, *extra], email="five@example.com")

    assert five_lines["place POST"] == one_line["place POST"], (one_line, five_lines)
    # Placement's 17, the session, the key looked up once before placing, the cart read once, the
    # guest's customer record (found or made inside the order's transaction: no BEGIN and COMMIT of
    # its own, and nothing left of it when the order is refused), and the "order received" e-mail
    # claimed after commit. The stored
    # details are re-checked against the delivery rules (the method, its zones). Placement reads
    # the active webhook subscriptions once (webhooks.outbox). The cart's lines are read once and
    # that reading is the one placement takes, unpriced: no shipping estimate is worked out for a
    # page nobody sees. 29 with the session in the database (PostgreSQL or SQLite), 28 with Redis
    # in front of it (31 and 30 while the guest's record had a transaction of its own).
    assert one_line["place POST"] <= 29, one_line


def _catalogue_queries(client, url=None) -> int:
    return _count(client, "get", url or reverse("storefront:catalogue"), status=(200,))


def test_the_catalogue_runs_as_many_queries_for_1000_products_as_for_10(shop, client):
    # Given a catalogue of about 10 products
    _more_products(shop, 3)
    assert Product.objects.filter(is_active=True).count() == 10
    small = _catalogue_queries(client)
    small_filtered = _catalogue_queries(client, reverse("storefront:catalogue") + "?q=extra&sort=price")

    # When it grows to 1,000 products (some in stock in both warehouses)
    Product.objects.bulk_create(
        Product(sku=f"BULK-{i}", name=f"Bulk {i}", slug=f"bulk-{i}", price=Decimal("3.00"), tax_class=shop.standard)
        for i in range(1000 - Product.objects.count())
    )
    for product in Product.objects.filter(sku__startswith="BULK-")[:5]:
        stock_put(product=product, warehouse=shop.main, quantity=3)
        stock_put(product=product, warehouse=shop.second, quantity=3)
    big = _catalogue_queries(client)
    big_page_40 = _catalogue_queries(client, reverse("storefront:catalogue") + "?page=40")

    # Then every page of it costs the same few queries
    assert big == small == big_page_40 <= 3, (small, big, big_page_40)
    assert _catalogue_queries(client, reverse("storefront:catalogue") + "?q=extra&sort=price") == small_filtered


def test_a_product_page_runs_the_same_queries_with_ratings_and_stock_in_many_warehouses(shop, client):
    # Given a product in one warehouse, and one in three warehouses
    single = _count(client, "get", reverse("storefront:product", args=[shop.chair.slug]), status=(200,))
    third = warehouse_build(code="UTR", name="Utrecht", priority=3)
    for warehouse in (shop.main, shop.second, third):
        stock_put(product=shop.book, warehouse=warehouse, quantity=4)

    # Then its page costs the same, and with a guest session no more than a session read more
    many = _count(client, "get", reverse("storefront:product", args=[shop.book.slug]), status=(200,))
    assert many == single <= 1, (single, many)
    add_to_cart(client, shop.chair)
    assert _count(client, "get", reverse("storefront:product", args=[shop.book.slug]), status=(200,)) <= 2
