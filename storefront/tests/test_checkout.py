import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockLevel
from invoicing.models import Payment
from orders.models import Address, Customer, Order, Voucher
from orders.payment_reference import rf_reference
from storefront.cart import SESSION_KEY
from tests.builders import address_data, order_build, product_build
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, checkout, review_key

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("storefront:checkout")
REVIEW = reverse("storefront:checkout_review")
PLACE = reverse("storefront:checkout_place")


def test_checkout_needs_something_in_the_cart(client, shop):
    response = client.get(CHECKOUT)
    assert response.status_code == 302 and response.url == reverse("storefront:cart")


def test_guest_checks_out_with_post_redirect_get(client, shop, mailoutbox, django_capture_on_commit_callbacks):
    add_to_cart(client, shop.chair, 2)
    add_to_cart(client, shop.book, 1)

    form_page = client.get(CHECKOUT)
    assert form_page.status_code == 200
    details = client.post(CHECKOUT, GUEST_DETAILS)
    assert details.status_code == 302 and details.url == REVIEW
    review = client.get(REVIEW)
    assert review.status_code == 200
    page = review.content.decode()
    assert "Keizersgracht 10" in page and "Standard delivery" in page and "Bank transfer" in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        placed = client.post(PLACE, {"idempotency_key": key})

    order = Order.objects.get()
    assert placed.status_code == 302 and placed.url == reverse("storefront:order_detail", args=[order.number])
    assert order.customer.user is None and order.email == "guest@example.com"
    assert order.channel == Order.Channel.WEB and order.idempotency_key == key
    assert order.status == Order.Status.VERIFIED
    # 2 x 149.00 + 24.50 = 322.50; tax 62.58 + 2.21; shipping 4.95 + 1.04 tax.
    assert order.total == Decimal("393.28")
    assert order.payment_reference == rf_reference(order.number)
    assert [m.subject for m in mailoutbox] == [f"We received your order {order.number}"]
    # The guest sees the order (this browser placed it), and the cart is empty.
    shown = client.get(placed.url)
    assert shown.status_code == 200
    assert f"Thank you! We received your order {order.number}." in shown.content.decode()
    assert order.payment_reference in shown.content.decode().replace(" ", "")
    assert SESSION_KEY not in client.session
    assert client.get(REVIEW).status_code == 302  # nothing left to review


def test_errors_are_shown_beside_the_fields_with_a_summary_and_the_input_is_kept(client, shop):
    add_to_cart(client, shop.chair, 1)
    typed = {
        **GUEST_DETAILS,
        "email": "not-an-address",
        "ship_postal_code": "ABC",
        "ship_city": "",
        "ship_line2": "3rd floor",
    }

    response = client.post(CHECKOUT, typed)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert '<a href="#id_email">Enter an e-mail address like name@example.com.</a>' in page
    assert 'id="id_ship_postal_code_error"' in page and "for example 1016 GV" in page
    assert 'id="id_ship_city_error"' in page and "Enter the city." in page
    assert 'aria-invalid="true"' in page
    assert 'value="not-an-address"' in page and 'value="3rd floor"' in page and 'value="Keizersgracht 10"' in page
    assert not Order.objects.exists()
    assert client.session[SESSION_KEY], "the cart survives"


def test_pickup_needs_no_delivery_but_refuses_cash_on_delivery(client, shop, django_capture_on_commit_callbacks):
    add_to_cart(client, shop.lamp, 1)
    refused = client.post(
        CHECKOUT, {**GUEST_DETAILS, "delivery_method": "pickup", "payment_method": "cash_on_delivery"}
    )
    assert refused.status_code == 200
    assert "Cash on delivery is not possible when you pick up" in refused.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        placed = checkout(client, {**GUEST_DETAILS, "delivery_method": "pickup"})

    order = Order.objects.get()
    assert placed.status_code == 302
    assert order.shipping_address is None and order.billing_address.line1 == "Keizersgracht 10"
    assert order.shipping_total == 0


def test_separate_invoice_address(client, shop):
    add_to_cart(client, shop.lamp, 1)
    details = {**GUEST_DETAILS}
    details.pop("billing_same")
    missing = client.post(CHECKOUT, details)
    assert 'id="id_bill_line1_error"' in missing.content.decode()

    checkout(
        client,
        {
            **details,
            "bill_full_name": "Acme BV",
            "bill_line1": "Damrak 1",
            "bill_postal_code": "1012 LG",
            "bill_city": "Amsterdam",
            "bill_country": "NL",
        },
    )

    order = Order.objects.get()
    assert order.billing_address.line1 == "Damrak 1" and order.shipping_address.line1 == "Keizersgracht 10"


def test_requested_date_and_instructions(client, shop):
    add_to_cart(client, shop.lamp, 1)
    today = timezone.localdate()
    too_soon = client.post(
        CHECKOUT, {**GUEST_DETAILS, "delivery_method": "express", "requested_delivery_date": today.isoformat()}
    )
    assert 'id="id_requested_delivery_date_error"' in too_soon.content.decode()

    wanted = today + timedelta(days=5)
    checkout(
        client, {**GUEST_DETAILS, "requested_delivery_date": wanted.isoformat(), "delivery_instructions": "Ring twice"}
    )

    order = Order.objects.get()
    assert order.requested_delivery_date == wanted and order.delivery_instructions == "Ring twice"


def test_card_payment_is_authorised_through_the_test_gateway(client, shop):
    add_to_cart(client, shop.lamp, 1)
    response = checkout(
        client,
        {**GUEST_DETAILS, "payment_method": "card"},
        card_number="4242 4242 4242 4242",
        card_expiry="12/99",
        card_cvc="123",
    )

    order = Order.objects.get()
    assert response.status_code == 302
    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.AUTHORIZED and payment.amount == order.total


def test_a_returning_guest_whose_card_is_declined_keeps_the_name_on_record(client, shop):
    # Given a guest who ordered before as "Anna de Vries"
    add_to_cart(client, shop.lamp, 1)
    first = checkout(client, {**GUEST_DETAILS, "ship_full_name": "Anna de Vries"})
    assert first.status_code == 302
    (record,) = Customer.objects.filter(email=GUEST_DETAILS["email"])

    # When she checks out again under another name and the card is declined
    add_to_cart(client, shop.lamp, 1)
    client.post(CHECKOUT, {**GUEST_DETAILS, "ship_full_name": "A. Typo", "payment_method": "card"})
    key = review_key(client)
    card = {"card_number": "4000 0000 0000 0002", "card_expiry": "12/99", "card_cvc": "123"}
    declined = client.post(PLACE, {"idempotency_key": key, **card})

    # Then nothing was ordered and her record still has the name of her last order
    assert declined.status_code == 200 and Order.objects.count() == 1
    assert Customer.objects.filter(email=GUEST_DETAILS["email"]).get().full_name == record.full_name == "Anna de Vries"


def test_a_declined_card_is_shown_beside_the_card_number_and_nothing_is_kept(client, shop):
    add_to_cart(client, shop.lamp, 1)
    client.post(CHECKOUT, {**GUEST_DETAILS, "payment_method": "card"})
    key = review_key(client)
    levels_before = list(StockLevel.objects.values_list("pk", "allocated"))
    customers_before = list(Customer.objects.values_list("pk", "full_name"))

    response = client.post(
        PLACE, {"idempotency_key": key, "card_number": "4000 0000 0000 0002", "card_expiry": "12/99", "card_cvc": "123"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_card_number_error"' in page and "declined" in page
    assert 'value="4000 0000 0000 0002"' in page, "what was typed is kept"
    assert 'value="123"' not in page, "the security code is never echoed back"
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert list(StockLevel.objects.values_list("pk", "allocated")) == levels_before
    assert list(Customer.objects.values_list("pk", "full_name")) == customers_before, "no guest record is kept"
    assert client.session[SESSION_KEY], "the cart survives"
    # The customer corrects the card and places the order with the same key.
    ok = client.post(
        PLACE, {"idempotency_key": key, "card_number": "4242424242424242", "card_expiry": "12/99", "card_cvc": "123"}
    )
    assert ok.status_code == 302 and Order.objects.count() == 1


def test_same_key_posted_twice_makes_one_order_and_shows_it(client, shop):
    add_to_cart(client, shop.chair, 1)
    client.post(CHECKOUT, GUEST_DETAILS)
    key = review_key(client)

    first = client.post(PLACE, {"idempotency_key": key})
    second = client.post(PLACE, {"idempotency_key": key})  # double click, or Back and resubmit

    order = Order.objects.get()
    assert first.url == second.url == reverse("storefront:order_detail", args=[order.number])
    shown = client.get(second.url)
    assert shown.status_code == 200
    assert "was already placed" in shown.content.decode()
    assert StockLevel.objects.get(product=shop.chair).allocated == 1


def test_two_tabs_share_one_key(client, shop):
    add_to_cart(client, shop.chair, 1)
    client.post(CHECKOUT, GUEST_DETAILS)
    tab_one, tab_two = review_key(client), review_key(client)
    assert tab_one == tab_two

    client.post(PLACE, {"idempotency_key": tab_one})
    client.post(PLACE, {"idempotency_key": tab_two})

    assert Order.objects.count() == 1


def test_a_request_that_lost_the_race_shows_the_order_the_other_made(client, shop):
    """The second click arrives while the first is placing: its session still holds the cart and
    the key; order_place returns the order the first made."""
    add_to_cart(client, shop.chair, 1)
    client.post(CHECKOUT, GUEST_DETAILS)
    key = review_key(client)
    stale_session = dict(client.session.items())
    client.post(PLACE, {"idempotency_key": key})
    session = client.session
    for name, value in stale_session.items():  # as if this request had read the session before
        session[name] = value
    session.save()

    again = client.post(PLACE, {"idempotency_key": key})

    order = Order.objects.get()
    assert again.url == reverse("storefront:order_detail", args=[order.number])


def test_a_made_up_or_stale_key_places_nothing(client, shop):
    add_to_cart(client, shop.chair, 1)
    client.post(CHECKOUT, GUEST_DETAILS)
    review_key(client)

    response = client.post(PLACE, {"idempotency_key": "0" * 32})

    assert response.status_code == 302 and response.url == REVIEW
    assert not Order.objects.exists()


def test_posted_prices_and_totals_are_ignored(client, shop):
    add_to_cart(client, shop.chair, 1)
    client.post(CHECKOUT, {**GUEST_DETAILS, "total": "0.01", "price": "0.01", "unit_price": "1"})
    key = review_key(client)
    client.post(PLACE, {"idempotency_key": key, "total": "0.01", "status": "paid"})

    order = Order.objects.get()
    assert order.total == Decimal("186.28")  # 149.00 + 31.29 tax + 4.95 + 1.04 shipping
    assert order.status == Order.Status.VERIFIED


def test_discount_code_at_checkout(client, shop):
    add_to_cart(client, shop.chair, 1)
    wrong = client.post(CHECKOUT, {**GUEST_DETAILS, "discount_code": "NOPE"})
    assert 'id="id_discount_code_error"' in wrong.content.decode()

    checkout(client, {**GUEST_DETAILS, "discount_code": "welcome10"})

    order = Order.objects.get()
    assert order.discount_code == "WELCOME10" and order.discount_total == Decimal("14.90")


def test_a_voucher_withdrawn_between_the_steps_sends_the_customer_back_to_the_field(client, shop):
    add_to_cart(client, shop.chair, 1)
    client.post(CHECKOUT, {**GUEST_DETAILS, "discount_code": "WELCOME10"})
    key = review_key(client)
    Voucher.objects.update(is_active=False)

    response = client.post(PLACE, {"idempotency_key": key})

    assert response.status_code == 200
    assert 'id="id_discount_code_error"' in response.content.decode()
    assert not Order.objects.exists()


def test_stock_gone_between_the_steps_sends_the_customer_to_the_cart(client, shop, customer):
    add_to_cart(client, shop.stool, 2)
    client.post(CHECKOUT, GUEST_DETAILS)
    key = review_key(client)
    order_build(customer=customer, lines=[(shop.stool, 1)])  # someone else was quicker

    response = client.post(PLACE, {"idempotency_key": key})

    assert response.status_code == 302 and response.url == reverse("storefront:cart")
    assert Order.objects.count() == 1


def test_account_holder_uses_a_saved_address(anna_client, anna, shop):
    from orders.services.customers import address_save

    saved = address_save(customer=anna.customer, data=address_data(line1="Herengracht 5"))
    add_to_cart(anna_client, shop.lamp, 1)
    form_page = anna_client.get(CHECKOUT).content.decode()
    assert "Herengracht 5" in form_page and 'name="email"' not in form_page

    response = checkout(
        anna_client,
        {
            "address_choice": str(saved.pk),
            "billing_same": "on",
            "delivery_method": "standard",
            "payment_method": "bank_transfer",
        },
    )

    order = Order.objects.get()
    assert response.url == reverse("storefront:order_detail", args=[order.number])
    assert order.customer == anna.customer and order.email == "anna@example.com"
    assert order.shipping_address.line1 == "Herengracht 5" and order.shipping_address.pk != saved.pk


def test_account_holder_cannot_use_someone_elses_saved_address(anna_client, bert, shop):
    from orders.services.customers import address_save

    berts = address_save(customer=bert.customer, data=address_data(line1="Secret street 1"))
    add_to_cart(anna_client, shop.lamp, 1)

    response = anna_client.post(
        CHECKOUT,
        {
            "address_choice": str(berts.pk),
            "billing_same": "on",
            "delivery_method": "standard",
            "payment_method": "bank_transfer",
        },
    )

    assert response.status_code == 200
    assert 'id="id_ship_full_name_error"' in response.content.decode()


def test_a_new_address_can_be_saved_to_the_address_book(anna_client, anna, shop):
    add_to_cart(anna_client, shop.lamp, 1)
    details = {**GUEST_DETAILS, "save_address": "on"}
    details.pop("email")

    checkout(anna_client, details)

    assert list(Address.objects.filter(customer=anna.customer).values_list("line1", flat=True)) == ["Keizersgracht 10"]
    assert Order.objects.get().customer == anna.customer


def test_guests_with_the_same_address_share_one_customer_record(client, shop):
    add_to_cart(client, shop.lamp, 1)
    checkout(client)
    add_to_cart(client, shop.lamp, 1)
    checkout(client, {**GUEST_DETAILS, "email": "GUEST@example.com"})

    assert Order.objects.count() == 2
    assert Customer.objects.filter(user__isnull=True).count() == 1


def test_back_orderable_products_place_a_backordered_order(client, shop):
    poster = product_build(name="Poster", price=Decimal("15.00"), tax_class=shop.standard, is_backorderable=True)
    add_to_cart(client, poster, 1)
    checkout(client)
    assert Order.objects.get().status == Order.Status.BACKORDERED


def test_checkout_pages_need_csrf(shop):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("storefront:catalogue"))
    assert browser.post(CHECKOUT, GUEST_DETAILS).status_code == 403
    assert browser.post(PLACE, {"idempotency_key": "a" * 32}).status_code == 403
    assert browser.get(PLACE).status_code == 405
