"""The storefront's forms posted as a browser posts them (URL names only, no views): the cart, and
the checkout from details to review to placed. The storefront's tests and the root tests (hardening,
the whole lifecycle over HTTP) share these; orders made without the pages come from tests.builders."""

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


def cart_product_ids(client) -> list[int]:
    """What the cart page lists, as the customer sees it."""
    response = client.get(reverse("storefront:cart"))
    assert response.status_code == 200
    return [line.product.pk for line in response.context["cart"].lines]


def review_key(client) -> str:
    """Open the review page and return the one-time key its "Place order" form posts."""
    response = client.get(reverse("storefront:checkout_review"))
    assert response.status_code == 200, response
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', response.content.decode()).group(1)


def details_and_review_key(client, details=None) -> str:
    """Post the checkout details, open the review page, and return its one-time key."""
    response = client.post(reverse("storefront:checkout"), details or GUEST_DETAILS)
    assert response.status_code == 302, response.content.decode()[:3000]
    return review_key(client)


def checkout_place(client, key: str, **place_fields):
    """Press "Place order" on the review page that gave `key`."""
    return client.post(reverse("storefront:checkout_place"), {"idempotency_key": key, **place_fields})


def checkout(client, details=None, **place_fields):
    """Post the details, open the review page, place the order. Returns the place response."""
    return checkout_place(client, details_and_review_key(client, details), **place_fields)
