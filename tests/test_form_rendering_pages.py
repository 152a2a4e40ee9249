"""Whole pages with forms are the same HTML with the fast widget renderer as with Django's templates.

The storefront's checkout (address fields, two country lists, delivery and payment choices), the
sign-up page, and the console's add and change pages (where most widgets are the admin's own, which
the fast renderer hands to the templates) are opened under each renderer and compared, the one-time
CSRF tokens aside.
"""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.builders import delivery_method_build, order_build
from tests.storefront_forms import add_to_cart

pytestmark = pytest.mark.django_db
TEMPLATES_RENDERER = "django.forms.renderers.DjangoTemplates"
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return CSRF.sub(r'\1…"', response.content.decode())


def _both(client, url: str) -> tuple[str, str]:
    _page(client, url)  # shows (and so clears) a message left by the step before
    fast = _page(client, url)
    with override_settings(FORM_RENDERER=TEMPLATES_RENDERER):
        templates = _page(client, url)
    return fast, templates


def test_the_checkout_and_sign_up_pages_are_unchanged(client, catalogue):
    # Given a guest with a product in the cart
    delivery_method_build()
    add_to_cart(client, catalogue.chair)
    for url in (reverse("storefront:checkout"), reverse("storefront:sign_up")):
        fast, templates = _both(client, url)
        # Then the page with the fast renderer is the page with the templates
        assert "<select" in fast or "<input" in fast
        assert fast == templates, url


def test_the_consoles_add_and_change_pages_are_unchanged(admin_client, catalogue):
    # Given an order and a product in the console
    delivery_method_build()
    order = order_build(lines=[(catalogue.chair, 1)])
    for url in (
        reverse("admin:inventory_product_add"),
        reverse("admin:inventory_product_change", args=[catalogue.chair.pk]),
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:orders_order_changelist"),
    ):
        fast, templates = _both(client=admin_client, url=url)
        # Then each page is the same under both renderers
        assert fast == templates, url
