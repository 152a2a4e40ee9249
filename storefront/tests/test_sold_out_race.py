"""Losing the race for the last units: refused like a sold-out cart, never a silent hold (issue 8, item 5).

The cart check reads availability without a lock; verification allocates under the stock lock.
A customer whose cart check passed while another order was taking the last units used to be
placed on hold (out of stock, not back-orderable), thanked and e-mailed "We received your
order", and never told why. These tests put the other order exactly in that window. (The real
race, with threads on PostgreSQL: tests/concurrency/test_sold_out_race.py.)
"""

from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from invoicing.gateways import TestGateway
from invoicing.models import Payment
from lifecycle.checkout import order_checkout
from orders.models import EmailNotification, Order, RiskRules
from orders.services.placement import InvalidOrder, LineRequest
from storefront.cart import SESSION_KEY, CartItem, SessionCartStore
from storefront.selectors import cart_lines_read, cart_problems
from storefront.services.cart import cart_add, cart_checkout
from storefront.views.checkout import KEY_SESSION_KEY
from tests.builders import address_data, customer_build, order_build
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, review_key

pytestmark = pytest.mark.django_db

PLACE = reverse("storefront:checkout_place")


@contextmanager
def taken_after_the_cart_check(*, items, product, quantity: int = 1, delivery_method):
    """Another customer's order for `product` is placed (through the real lifecycle checkout) after
    the cart check of the next checkout read the stock, and before that checkout allocates.

    A test has one database connection, so the other order cannot commit in the middle of this
    checkout's transaction; it is placed first instead, and the next checkout's cart check (the
    view's, which hands its reading to the service, or the service's when it is called alone)
    reads the cart as it was just before: what it reads, without a lock, in the real race. Later
    reads (after the refusal) see the stock as it is.
    """
    before = cart_lines_read(items=items)
    order_checkout(
        customer=customer_build(email="quicker@example.com"),
        lines=[LineRequest(product_id=product.pk, quantity=quantity)],
        channel=Order.Channel.WEB,
        delivery_method=delivery_method,
        payment_method="bank_transfer",
        billing_address=address_data(),
        shipping_address=address_data(),
    )
    assert cart_problems(before) == [] and cart_problems(cart_lines_read(items=items)), "the stock went in between"

    first_read = _first_read(before)  # the first read of the checkout, the view's or the service's
    with (
        mock.patch("storefront.views.checkout.cart_lines_read", side_effect=first_read),
        mock.patch("storefront.services.cart.cart_lines_read", side_effect=first_read),
    ):
        yield


def _first_read(before):
    calls = []

    def read(**kwargs):
        calls.append(kwargs)
        return before if len(calls) == 1 else cart_lines_read(**kwargs)

    return read


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_customer_who_loses_the_last_unit_is_refused_and_nothing_of_theirs_is_kept(
    shop, customer, mailoutbox, django_capture_on_commit_callbacks
):
    # Given one stool left, and a cart holding it
    order_build(lines=[(shop.stool, 1)])
    cart = SessionCartStore({})
    cart_add(cart=cart, product_id=shop.stool.pk, quantity=1)

    # When the cart shows it available, another order takes it, and then this customer places the cart
    with (
        mock.patch.object(TestGateway, "void", autospec=True, return_value=mock.Mock(ok=True)) as void,
        django_capture_on_commit_callbacks(execute=True),
        taken_after_the_cart_check(items=cart.items(), product=shop.stool, delivery_method=shop.standard_delivery),
        pytest.raises(InvalidOrder) as refused,
    ):
        cart_checkout(
            cart=cart,
            customer_find=lambda: customer,
            delivery_method=shop.standard_delivery,
            payment_method=Order.PaymentMethod.CARD,
            billing_address=address_data(),
            shipping_address=address_data(),
            idempotency_key="lost-the-race",
            card_token="4242 4242 4242 4242",
        )

    # Then the checkout is refused in the cart's own words, for the cart's lines
    assert refused.value.extra["field"] == "lines"
    assert refused.value.message == (
        "Sorry, the last ones sold while you were checking out, so nothing was ordered. Birch stool: It is sold out."
    )
    # and nothing of this customer's is kept: no order, no payment, no e-mail, the card hold released
    assert not Order.objects.filter(customer=customer).exists()
    assert not Order.objects.filter(status=Order.Status.ON_HOLD).exists()
    assert not Payment.objects.exists()
    assert not EmailNotification.objects.filter(recipient=customer.email).exists()
    assert [mail.to for mail in mailoutbox] == [["quicker@example.com"]]
    (call,) = void.call_args_list
    assert call.kwargs["gateway_reference"].startswith("test_")
    # while the quicker order stands, nothing is oversold, and the cart is kept as it was
    assert Order.objects.get(email="quicker@example.com").status == Order.Status.VERIFIED
    assert StockLevel.objects.get(product=shop.stool).allocated == 2
    assert cart.items() == [CartItem(product_id=shop.stool.pk, quantity=1)]


def test_losing_part_of_the_quantity_says_how_many_are_left(shop, customer):
    # Given a cart holding both stools in stock
    cart = SessionCartStore({})
    cart_add(cart=cart, product_id=shop.stool.pk, quantity=2)

    # When another order takes one of them after the cart check
    with (
        taken_after_the_cart_check(items=cart.items(), product=shop.stool, delivery_method=shop.standard_delivery),
        pytest.raises(InvalidOrder) as refused,
    ):
        cart_checkout(
            cart=cart,
            customer_find=lambda: customer,
            delivery_method=shop.standard_delivery,
            payment_method=Order.PaymentMethod.BANK_TRANSFER,
            billing_address=address_data(),
            shipping_address=address_data(),
            idempotency_key="one-too-many",
        )

    # Then nothing is placed, and the customer reads what the cart says now
    assert refused.value.message.endswith("Birch stool: Only 1 left; lower the quantity.")
    assert not Order.objects.filter(customer=customer).exists()
    assert StockLevel.objects.get(product=shop.stool).allocated == 1


def test_sold_out_is_the_answer_even_when_a_risk_rule_would_also_hold_the_order(shop, customer):
    # Given a risk rule that would hold this order for a person, and a cart with the last stools
    rules = RiskRules.current()
    rules.large_order_total, rules.first_order_total = Decimal("100.00"), 0
    rules.save()
    cart = SessionCartStore({})
    cart_add(cart=cart, product_id=shop.stool.pk, quantity=2)

    # When another order takes the stools after the cart check
    with (
        taken_after_the_cart_check(
            items=cart.items(), product=shop.stool, quantity=2, delivery_method=shop.standard_delivery
        ),
        pytest.raises(InvalidOrder) as refused,
    ):
        cart_checkout(
            cart=cart,
            customer_find=lambda: customer,
            delivery_method=shop.standard_delivery,
            payment_method=Order.PaymentMethod.BANK_TRANSFER,
            billing_address=address_data(),
            shipping_address=address_data(),
            idempotency_key="risky-and-too-late",
        )

    # Then no one could fill it, so the customer hears "sold out" rather than waiting on a hold
    assert refused.value.message.endswith("Birch stool: It is sold out.")
    assert not Order.objects.filter(customer=customer).exists()


def test_the_shopper_who_lost_the_race_is_shown_sold_out_beside_the_line_and_keeps_the_cart(client, shop):
    # Given a guest with the last two stools in the cart, on the review page
    add_to_cart(client, shop.stool, 2)
    client.post(reverse("storefront:checkout"), GUEST_DETAILS)
    key = review_key(client)
    items = SessionCartStore(client.session).items()

    # When someone else's order takes both stools as the guest presses "Place order"
    with taken_after_the_cart_check(
        items=items, product=shop.stool, quantity=2, delivery_method=shop.standard_delivery
    ):
        response = client.post(PLACE, {"idempotency_key": key})

    # Then the guest is back at the cart, told it sold out, in the message and beside the line
    assert response.status_code == 302 and response.url == reverse("storefront:cart")
    cart_page = client.get(response.url)
    page = cart_page.content.decode()
    (message,) = messages_of(cart_page)
    assert message.endswith("so nothing was ordered. Birch stool: It is sold out.")
    assert "We received your order" not in page
    (line,) = cart_page.context["cart"].lines
    assert (line.product, line.quantity, line.problem) == (shop.stool, 2, "It is sold out.")
    assert '<span class="field-error">It is sold out.</span>' in page
    # and nothing was ordered for the guest; the cart and the one-time key are kept
    assert not Order.objects.filter(email=GUEST_DETAILS["email"]).exists()
    assert client.session[SESSION_KEY] == {str(shop.stool.pk): {"quantity": 2, "notes": ""}}
    assert client.session[KEY_SESSION_KEY] == key, "placing again, once the cart is fixed, can use the same key"


def test_an_order_held_for_a_check_says_so_on_the_thank_you_page_and_in_the_email(
    client, shop, mailoutbox, django_capture_on_commit_callbacks
):
    # Given a risk rule that holds orders above 100 for a person to look at
    rules = RiskRules.current()
    rules.large_order_total, rules.first_order_total = Decimal("100.00"), 0
    rules.save()
    add_to_cart(client, shop.chair, 1)
    client.post(reverse("storefront:checkout"), GUEST_DETAILS)
    key = review_key(client)

    # When the guest places the order
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PLACE, {"idempotency_key": key})

    # Then it is placed on hold, and the customer is told it is being checked, not that it is confirmed
    order = Order.objects.get()
    assert order.status == Order.Status.ON_HOLD
    shown = client.get(response.url)
    page = shown.content.decode()
    (message,) = messages_of(shown)
    assert message.startswith(f"Thank you! We received your order {order.number}.")
    assert "On hold: we check some orders by hand before we prepare them" in page, "the status under the message"
    assert "We will be in touch if we need anything from you" in page
    assert "confirm" not in page.lower()
    (mail,) = mailoutbox
    assert mail.subject == f"We received your order {order.number}"
    assert "On hold: we check some orders by hand before we prepare them." in mail.body
    assert "confirm" not in mail.body.lower()
    assert "large order" not in page + mail.body, "the risk rule itself is not told to the customer"


def test_an_order_that_passed_its_checks_is_thanked_without_the_hold_note(
    client, shop, mailoutbox, django_capture_on_commit_callbacks
):
    add_to_cart(client, shop.chair, 1)
    client.post(reverse("storefront:checkout"), GUEST_DETAILS)
    key = review_key(client)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PLACE, {"idempotency_key": key})

    order = Order.objects.get()
    assert order.status == Order.Status.VERIFIED
    (thanks,) = messages_of(client.get(response.url))
    assert thanks.startswith(f"Thank you! We received your order {order.number}.")
    assert "on hold" not in thanks
    (mail,) = mailoutbox
    assert "by hand" not in mail.body
