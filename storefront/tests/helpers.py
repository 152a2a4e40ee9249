"""The storefront's forms posted as a browser would: the cart, and the checkout from details to
placed. Only the storefront's tests use these; orders for them come from tests.builders."""

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


def review_key(client) -> str:
    response = client.get(reverse("storefront:checkout_review"))
    assert response.status_code == 200, response
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', response.content.decode()).group(1)


def checkout(client, details=None, **place_fields):
    """Post the details, open the review page, place the order. Returns the place response."""
    response = client.post(reverse("storefront:checkout"), details or GUEST_DETAILS)
    assert response.status_code == 302, response.content.decode()[:3000]
    key = review_key(client)
    return client.post(reverse("storefront:checkout_place"), {"idempotency_key": key, **place_fields})
