"""What customers read beside the figures: countries by name, days counted right (issue 10, items 9 and 10)."""

import re

import pytest
from django.urls import reverse

from orders.services.customers import address_save
from tests.builders import address_data, order_build
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, details_and_review_key

pytestmark = pytest.mark.django_db


def _address_blocks(page: str) -> list[str]:
    return re.findall(r"<address>(.*?)</address>", page, re.S)


def test_the_order_page_names_the_countries_of_both_addresses(anna_client, anna, shop):
    order = order_build(
        customer=anna.customer,
        lines=[(shop.chair, 1)],
        shipping_address=address_data(country="BE", postal_code="1000", city="Brussel"),
        billing_address=address_data(country="BE", postal_code="1000", city="Brussel", company="Atelier Anna"),
    )

    page = anna_client.get(reverse("storefront:order_detail", args=[order.number])).content.decode()

    delivery, billing = _address_blocks(page)
    assert delivery.endswith("Belgium") and billing.endswith("Belgium") and "Atelier Anna" in billing
    assert "<br>BE" not in page


def test_the_review_page_and_the_address_book_name_the_country(anna_client, anna, shop):
    address_save(customer=anna.customer, data=address_data(country="DE", postal_code="10115", city="Berlin"))

    book = anna_client.get(reverse("storefront:address_book")).content.decode()
    assert _address_blocks(book)[0].endswith("Germany")

    add_to_cart(anna_client, shop.chair)
    checkout = anna_client.get(reverse("storefront:checkout")).content.decode()
    assert "Prinsengracht 263, 10115 Berlin, Germany" in checkout, "the saved address to choose"
    details_and_review_key(anna_client, {**GUEST_DETAILS, "address_choice": "new", "ship_country": "NL"})
    review = anna_client.get(reverse("storefront:checkout_review")).content.decode()
    assert all(block.endswith("Netherlands") for block in _address_blocks(review))


def test_a_postal_code_error_names_the_country(client, shop):
    add_to_cart(client, shop.chair)
    response = client.post(reverse("storefront:checkout"), {**GUEST_DETAILS, "ship_postal_code": "ABC"})

    assert "Enter a postal code as used in Netherlands, for example 1016 GV." in response.content.decode()


def test_delivery_methods_count_their_working_days(client, shop):
    add_to_cart(client, shop.chair)

    page = client.get(reverse("storefront:checkout")).content.decode()

    assert "€\u00a05.99, delivered in 1\u20133 working days" in page  # standard: 4.95 + 21 % VAT
    assert "delivered in 1 working day<" in page  # express
    assert "ready within 1 working day" in page  # pickup
    assert "(s)" not in page
