"""Content-Security-Policy and Permissions-Policy on every kind of page (issue 8, item 6)."""

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict_policies(response, url):
    policy = directives(response)
    assert policy, f"{url}: no Content-Security-Policy"
    assert policy["default-src"] == ["'self'"], url
    assert policy["script-src"] == ["'self'"], f"{url}: {policy['script-src']}"
    assert "'unsafe-inline'" not in policy["style-src"], url
    assert policy["object-src"] == ["'none'"], url
    assert policy["frame-ancestors"] == ["'none'"], url
    assert policy["base-uri"] == ["'self'"], url
    assert policy["form-action"] == ["'self'"], url
    permissions = response.headers.get("Permissions-Policy", "")
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in permissions, f"{url}: {feature} not denied in {permissions!r}"


def test_storefront_pages_carry_the_policies(client, catalogue, shopper, shopper_order, delivery_method):
    # Given a shopper with an order and something in the cart
    client.force_login(shopper.user)
    client.post(reverse("storefront:cart_add"), {"product": catalogue.chair.pk, "quantity": 1})
    pages = [
        reverse("storefront:catalogue"),
        reverse("storefront:product", args=[catalogue.chair.slug]),
        reverse("storefront:cart"),
        reverse("storefront:checkout"),
        reverse("storefront:order_detail", args=[shopper_order.number]),
        reverse("storefront:account"),
        reverse("storefront:order_lookup"),
    ]
    for url in pages:
        # When the page is opened
        response = client.get(url)
        # Then it is the page itself, with both policies
        assert response.status_code == 200, url
        assert_strict_policies(response, url)


def test_sign_in_pages_carry_the_policies(client):
    for url in (reverse("login"), reverse("storefront:sign_up"), reverse("admin:login")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_policies(response, url)


def test_admin_pages_carry_the_policies(admin_client, shopper_order):
    pages = [
        reverse("admin:index"),
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_order_change", args=[shopper_order.pk]),
        reverse("admin:inventory_product_changelist"),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_strict_policies(response, url)


def test_admin_and_shop_pages_have_no_inline_scripts_or_styles(client, admin_client, catalogue, shopper_order):
    """The policy allows no inline code; a page that had some would break in the browser."""
    pages = [
        (client, reverse("storefront:catalogue")),
        (client, reverse("storefront:product", args=[catalogue.chair.slug])),
        (admin_client, reverse("admin:orders_order_changelist")),
        (admin_client, reverse("admin:orders_order_change", args=[shopper_order.pk])),
        (admin_client, reverse("admin:inventory_purchaseorder_add")),
        (admin_client, reverse("admin:inventory_stocklevel_replenishment")),
    ]
    for browser, url in pages:
        page = browser.get(url).content.decode()
        assert "<style" not in page, url
        assert " style=" not in page, url
        for script in page.split("<script")[1:]:
            opening, _, rest = script.partition(">")
            assert "src=" in opening and rest.lstrip().startswith("</script>"), f"{url}: inline script {script[:80]}"


def test_no_admin_turns_off_both_action_bars():
    """Django's change_list.html puts an inline <style> on the page when a ModelAdmin has neither
    actions_on_top nor actions_on_bottom; the policy would block it."""
    offenders = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not model_admin.actions_on_top and not model_admin.actions_on_bottom
    ]
    assert offenders == []
