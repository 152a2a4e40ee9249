"""A guest's way through the shop over HTTP, as a browser posts it (URL names only, no views)."""

import re

from django.urls import reverse

GUEST_DETAILS = {
    "email": "guest@example.com",
    "ship_full_name": "Gerda Gast",
    "ship_line1": "Keizersgracht 10",
    "ship_postal_code": "1015 CJ",
    "ship_city": "Amsterdam",
    "ship_country": "NL",
    "billing_same": "on",
    "delivery_method": "standard",
    "payment_method": "bank_transfer",
}


def add_to_cart(client, product, quantity: int = 1):
    return client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": quantity})


def details_and_review_key(client, details=None) -> str:
    """Post the checkout details, open the review page, and return its one-time key."""
    response = client.post(reverse("storefront:checkout"), details or GUEST_DETAILS)
    assert response.status_code == 302, response.content.decode()[:3000]
    review = client.get(reverse("storefront:checkout_review"))
    assert review.status_code == 200, review
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', review.content.decode()).group(1)


def place(client, key: str):
    return client.post(reverse("storefront:checkout_place"), {"idempotency_key": key})


def cart_product_ids(client) -> list[int]:
    """What the cart page lists, as the customer sees it."""
    response = client.get(reverse("storefront:cart"))
    assert response.status_code == 200
    return [line.product.pk for line in response.context["cart"].lines]
