"""Helpers for the storefront view tests: accounts, orders walked through the real services, and
the checkout as a browser would post it."""

import re
from types import SimpleNamespace

from django.urls import reverse

from lifecycle.delivery import shipment_deliver
from orders.models import Customer, Order
from orders.services.customers import customer_sign_up
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
    shipment_pack,
    shipment_start_picking,
)
from orders.tests.factories import address_data, order_place_for_test


def account(email: str = "anna@example.com", password: str = "a long passphrase 42", name: str = "Anna de Vries"):
    user = customer_sign_up(email=email, password=password, full_name=name)
    return SimpleNamespace(user=user, customer=Customer.objects.get(user=user), email=email, password=password)


def place(customer, products_and_quantities, **kwargs) -> Order:
    return order_place_for_test(customer=customer, products_and_quantities=products_and_quantities, **kwargs)


def deliver(order: Order, *, actor) -> Order:
    """Fulfil, dispatch and deliver every parcel through the services; delivery issues the invoice."""
    order = order_fulfillment_start(order=order, actor=actor)
    for shipment in order.shipments.order_by("pk"):
        shipment = shipment_pack(shipment=shipment_start_picking(shipment=shipment, actor=actor), actor=actor)
        shipment = shipment_dispatch(
            shipment=shipment,
            carrier="PostNL",
            tracking_number=f"3S{shipment.pk:06d}",
            tracking_url=f"https://track.example/3S{shipment.pk:06d}",
            actor=actor,
        )
        shipment_deliver(shipment=shipment, actor=actor)
    order.refresh_from_db()
    return order


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


__all__ = ["address_data"]
