from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import CartLine
from orders.pricing import PriceInput, price_order
from storefront.cart import SESSION_KEY
from tests.builders import product_build, stock_put
from tests.storefront_forms import add_to_cart

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def cart_quantities(client) -> dict[str, int]:
    response = client.get(reverse("storefront:cart"))
    return {line.product.sku: line.quantity for line in response.context["cart"].lines}


def test_guest_adds_to_cart_and_is_redirected(client, shop):
    response = add_to_cart(client, shop.chair, 2)

    assert response.status_code == 302 and response.url == reverse("storefront:cart")
    assert client.session[SESSION_KEY] == {str(shop.chair.pk): {"quantity": 2, "notes": ""}}
    page = client.get(response.url)
    assert "Added Oak chair." in messages_of(page)
    assert cart_quantities(client) == {"CHAIR-1": 2}


def test_add_goes_back_to_a_safe_next_page_only(client, shop):
    catalogue_url = reverse("storefront:catalogue") + "?q=lamp"
    assert (
        client.post(reverse("storefront:cart_add"), {"product": shop.lamp.pk, "quantity": 1, "next": catalogue_url}).url
        == catalogue_url
    )
    evil = client.post(
        reverse("storefront:cart_add"), {"product": shop.lamp.pk, "quantity": 1, "next": "https://evil.example/"}
    )
    assert evil.url == reverse("storefront:cart")


def test_asking_for_more_than_is_left_puts_in_what_is_left(client, shop):
    response = add_to_cart(client, shop.stool, 5)

    assert "Only 2 of Birch stool left; your cart now holds 2." in messages_of(client.get(response.url))
    assert cart_quantities(client) == {"STOOL-1": 2}


def test_sold_out_products_are_refused(client, shop):
    response = add_to_cart(client, shop.sold_out, 1)

    assert "Sorry, Sold-out vase is sold out." in messages_of(client.get(response.url))
    assert cart_quantities(client) == {}


def test_back_orderable_products_can_be_ordered_beyond_stock_with_a_warning(client, shop):
    response = add_to_cart(client, shop.desk, 2)

    assert "ships in about 21 days" in messages_of(client.get(response.url))[0]
    assert cart_quantities(client) == {"DESK-1": 2}
    page = client.get(reverse("storefront:cart")).content.decode()
    assert "ships in about 21 days" in page


def test_invalid_quantity_on_the_product_page_shows_the_error_beside_the_field(client, shop):
    response = client.post(reverse("storefront:cart_add"), {"product": shop.chair.pk, "quantity": 0})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_quantity_error"' in page and "Choose at least 1." in page
    assert "There is a problem" in page
    assert cart_quantities(client) == {}


def test_change_quantity_and_remove(client, shop):
    add_to_cart(client, shop.chair, 1)
    add_to_cart(client, shop.lamp, 1)

    assert client.post(reverse("storefront:cart_update"), {"product": shop.chair.pk, "quantity": 3}).status_code == 302
    assert cart_quantities(client) == {"CHAIR-1": 3, "LAMP-1": 1}
    client.post(reverse("storefront:cart_update"), {"product": shop.chair.pk, "quantity": 50})
    assert cart_quantities(client) == {"CHAIR-1": 10, "LAMP-1": 1}  # all the chairs there are
    client.post(reverse("storefront:cart_remove"), {"product": shop.lamp.pk})
    assert cart_quantities(client) == {"CHAIR-1": 10}
    client.post(reverse("storefront:cart_update"), {"product": shop.chair.pk, "quantity": 0})
    assert cart_quantities(client) == {}


def test_cart_totals_are_those_of_price_order_with_estimated_shipping(client, shop):
    add_to_cart(client, shop.chair, 2)
    add_to_cart(client, shop.book, 1)

    cart = client.get(reverse("storefront:cart")).context["cart"]

    expected = price_order(
        lines=[
            PriceInput(unit_price=Decimal("149.00"), tax_rate=Decimal("0.21"), quantity=2),
            PriceInput(unit_price=Decimal("24.50"), tax_rate=Decimal("0.09"), quantity=1),
        ],
        shipping_fee=Decimal("4.95"),
        shipping_tax_rate=Decimal("0.21"),
    )
    assert cart.priced.total == expected.total
    assert cart.shipping_is_estimate and cart.delivery_method == shop.standard_delivery


def test_discount_code_applies_and_a_wrong_one_is_shown_beside_the_field(client, shop):
    add_to_cart(client, shop.chair, 1)

    wrong = client.post(reverse("storefront:cart_discount"), {"code": "NOPE"})
    assert wrong.status_code == 200
    assert 'id="id_code_error"' in wrong.content.decode()
    assert 'value="NOPE"' in wrong.content.decode(), "what was typed is kept"

    assert client.post(reverse("storefront:cart_discount"), {"code": "welcome10"}).status_code == 302
    cart = client.get(reverse("storefront:cart")).context["cart"]
    assert cart.voucher == shop.voucher
    assert cart.priced.discount_total == Decimal("14.90")

    client.post(reverse("storefront:cart_discount"), {"code": "", "remove": "1"})
    assert client.get(reverse("storefront:cart")).context["cart"].voucher is None


def test_signed_in_cart_is_kept_in_the_database(anna_client, anna, shop):
    add_to_cart(anna_client, shop.chair, 2)

    assert list(CartLine.objects.filter(cart__user=anna.user).values_list("product__sku", "quantity")) == [
        ("CHAIR-1", 2)
    ]
    other_device = Client()
    other_device.force_login(anna.user)
    assert cart_quantities(other_device) == {"CHAIR-1": 2}


def test_guest_cart_is_merged_at_sign_in(client, anna, shop):
    from storefront.cart import DatabaseCartStore
    from storefront.services.cart import cart_add

    cart_add(cart=DatabaseCartStore(anna.user), product_id=shop.chair.pk, quantity=1)
    add_to_cart(client, shop.chair, 2)
    add_to_cart(client, shop.lamp, 1)

    response = client.post(reverse("login"), {"username": "Anna@Example.com", "password": anna.password})

    assert response.status_code == 302
    assert cart_quantities(client) == {"CHAIR-1": 3, "LAMP-1": 1}
    assert SESSION_KEY not in client.session


def test_header_shows_the_number_of_items(client, shop):
    add_to_cart(client, shop.chair, 2)
    add_to_cart(client, shop.lamp, 1)
    page = client.get(reverse("storefront:catalogue")).content.decode()
    assert 'data-testid="cart-count">3<' in page


def test_cart_changes_need_post_and_csrf(shop):
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(reverse("storefront:cart_add"), {"product": shop.chair.pk}).status_code == 405
    assert browser.post(reverse("storefront:cart_add"), {"product": shop.chair.pk, "quantity": 1}).status_code == 403
    for name in ("cart_update", "cart_remove", "cart_discount"):
        assert browser.get(reverse(f"storefront:{name}")).status_code == 405


def test_a_product_withdrawn_after_it_was_added_blocks_checkout(client, shop):
    add_to_cart(client, shop.chair, 1)
    shop.chair.is_active = False
    shop.chair.save(update_fields=["is_active"])

    page = client.get(reverse("storefront:cart"))
    assert "no longer sold" in page.content.decode()
    assert client.get(reverse("storefront:checkout")).url == reverse("storefront:cart")


@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "account"])
def test_cart_query_count_does_not_grow_with_lines(client, shop, anna, signed_in):
    if signed_in:
        client.force_login(anna.user)
    for n in range(3):
        product = product_build(name=f"Cart item {n}", tax_class=shop.standard)
        stock_put(product=product, warehouse=shop.main, quantity=5)
        add_to_cart(client, product, 1)
    with CaptureQueriesContext(connection) as at_n:
        assert len(client.get(reverse("storefront:cart")).context["cart"].lines) == 3
    for n in range(6):
        product = product_build(name=f"More item {n}", tax_class=shop.standard)
        stock_put(product=product, warehouse=shop.main, quantity=5)
        add_to_cart(client, product, 1)
    with CaptureQueriesContext(connection) as at_3n:
        assert len(client.get(reverse("storefront:cart")).context["cart"].lines) == 9
    assert len(at_n) == len(at_3n)


def test_cart_lines_add_up_to_the_total_with_tax_rounded_per_line(client, shop):
    # Given a 6.50 product at 21 %: unit 7.87 with tax, but 3 of them are 19.50 + 4.10 tax = 23.60
    bulb = product_build(sku="BULB-1", name="LED bulb", price=Decimal("6.50"), tax_class=shop.standard)
    stock_put(product=bulb, warehouse=shop.main, quantity=50)

    client.post(reverse("storefront:cart_add"), {"product": bulb.pk, "quantity": 3})
    page = client.get(reverse("storefront:cart")).text

    # Then the line shows what the order will charge, not 3 x 7.87 = 23.61
    assert "23.60" in page
    assert "23.61" not in page
