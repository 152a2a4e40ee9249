from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import Product
from tests.builders import order_build, product_build, stock_put

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [p.name for p in response.context["products"]]


def test_catalogue_lists_active_products_with_price_and_honest_availability(client, shop):
    shop.book.is_active = False
    shop.book.save(update_fields=["is_active"])

    response = client.get(reverse("storefront:catalogue"))

    assert response.status_code == 200
    assert "Woodworking book" not in names(response)
    page = response.content.decode()
    # Prices shown with tax (PRICES_INCLUDE_TAX_DISPLAY): 149.00 x 1.21 = 180.29.
    assert "180.29" in page
    labels = {p.name: p.availability.label for p in response.context["products"]}
    assert labels["Oak chair"] == "In stock"
    assert labels["Birch stool"] == "Only 2 left"
    assert labels["Walnut desk"] == "Available on back-order, ships in about 21 days"
    assert labels["Sold-out vase"] == "Unavailable"
    assert labels["Assembly service"].startswith("Available")


def test_allocated_stock_is_not_offered_again(client, shop, customer):
    order_build(customer=customer, lines=[(shop.stool, 1)])

    response = client.get(reverse("storefront:product", args=[shop.stool.slug]))

    assert response.context["product"].availability.label == "Only 1 left"


def test_search_by_name_and_sku(client, shop):
    assert names(client.get(reverse("storefront:catalogue"), {"q": "lamp"})) == ["Desk lamp"]
    assert names(client.get(reverse("storefront:catalogue"), {"q": "chair-1"})) == ["Oak chair"]
    response = client.get(reverse("storefront:catalogue"), {"q": "nothing like it"})
    assert names(response) == []
    assert "No products match" in response.content.decode()


def test_category_filter_and_sorting(client, shop):
    assert names(client.get(reverse("storefront:catalogue"), {"category": "lighting"})) == ["Desk lamp"]
    by_price = names(client.get(reverse("storefront:catalogue"), {"sort": "price"}))
    assert by_price[0] == "Sold-out vase" and by_price[-1] == "Walnut desk"
    assert names(client.get(reverse("storefront:catalogue"), {"sort": "-price"}))[0] == "Walnut desk"
    # An unknown sort or category is ignored, not an error.
    assert client.get(reverse("storefront:catalogue"), {"sort": "evil", "category": "x"}).status_code == 200


def test_pagination_keeps_the_filters(client, shop):
    for n in range(20):
        product_build(name=f"Lamp shade {n:02d}", tax_class=shop.standard, category=shop.lighting)

    first = client.get(reverse("storefront:catalogue"), {"category": "lighting"})
    second = client.get(reverse("storefront:catalogue"), {"category": "lighting", "page": 2})

    assert len(first.context["products"]) == 12
    assert "category=lighting&amp;page=2" in first.content.decode()
    assert len(second.context["products"]) == 9
    assert client.get(reverse("storefront:catalogue"), {"page": 99}).status_code == 200


def test_product_page(client, shop):
    response = client.get(reverse("storefront:product", args=[shop.chair.slug]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Oak chair" in page and "CHAIR-1" in page and "In stock" in page
    assert "180.29" in page and "149.00 before VAT" in page
    assert 'action="/cart/add/"' in page


def test_product_page_of_an_inactive_product_is_404(client, shop):
    Product.objects.filter(pk=shop.chair.pk).update(is_active=False)
    assert client.get(reverse("storefront:product", args=[shop.chair.slug])).status_code == 404


def test_prices_without_tax_when_configured(client, shop, settings):
    settings.PRICES_INCLUDE_TAX_DISPLAY = False
    page = client.get(reverse("storefront:product", args=[shop.chair.slug])).content.decode()
    assert "149.00" in page and "180.29" not in page


def test_names_are_escaped(client, shop):
    product_build(name="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>", tax_class=shop.standard)
    response = client.get(reverse("storefront:catalogue"))
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    slug = Product.objects.get(name__startswith="<script>").slug
    detail = client.get(reverse("storefront:product", args=[slug])).content.decode()
    assert "<img src=x" not in detail


def _add_products(shop, category, count: int) -> None:
    for n in range(count):
        product = product_build(name=f"Extra {category.slug} {n}", tax_class=shop.standard, category=category)
        stock_put(product=product, warehouse=shop.main, quantity=3)


def _catalogue_queries(client, category) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("storefront:catalogue"), {"category": category.slug, "sort": "price"})
    assert response.status_code == 200
    return len(queries), len(response.context["products"])


def test_catalogue_query_count_does_not_grow_with_products(client, shop):
    from inventory.models import Category

    extra = Category.objects.create(name="Extra", slug="extra")
    _add_products(shop, extra, 4)
    at_n, shown = _catalogue_queries(client, extra)
    assert shown == 4
    _add_products(shop, extra, 8)
    at_3n, shown = _catalogue_queries(client, extra)
    assert shown == 12
    assert at_n == at_3n
    assert at_n <= 6


def test_product_page_rating(client, shop, customer):
    from feedback.models import Feedback, FeedbackRequest, ProductRating

    order = order_build(customer=customer, lines=[(shop.chair, 1)])
    feedback = Feedback.objects.create(request=FeedbackRequest.objects.create(order=order), overall_rating=5)
    ProductRating.objects.create(feedback=feedback, product=shop.chair, rating=4)

    page = client.get(reverse("storefront:product", args=[shop.chair.slug])).content.decode()

    assert "Rated 4.0 out of 5 by 1 customer" in page
    assert (
        Decimal("4")
        == client.get(reverse("storefront:product", args=[shop.chair.slug])).context["product"].rating_average
    )
