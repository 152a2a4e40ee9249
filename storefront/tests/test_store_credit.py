"""Store credit in the shop: the account page shows the balance and its ledger, the review step
offers to pay with it, and the card is asked only for the rest."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Payment, StoreCreditAccount
from invoicing.services import store_credit_issue
from orders.models import Order
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, checkout_place, details_and_review_key

pytestmark = pytest.mark.django_db

ANNA_DETAILS = {**{k: v for k, v in GUEST_DETAILS.items() if k != "email"}, "payment_method": "card"}
CARD = {"card_number": "4242 4242 4242 4242", "card_expiry": "12/99", "card_cvc": "123"}


@pytest.fixture
def credit(anna, staff_users):
    def give(amount: str):
        return store_credit_issue(
            customer=anna.customer,
            amount=Decimal(amount),
            reason="Sorry for the late parcel",
            actor=staff_users["Managers"],
        )

    return give


def test_the_account_shows_the_balance_and_where_it_came_from(anna_client, credit):
    credit("12.50")

    page = anna_client.get(reverse("storefront:store_credit"))

    assert page.status_code == 200
    text = page.content.decode()
    assert "You have <strong>€\xa012.50</strong> to spend" in text
    assert "Sorry for the late parcel" in text


def test_store_credit_pays_first_and_the_card_only_the_rest(anna_client, anna, shop, credit):
    credit("5.00")
    add_to_cart(anna_client, shop.lamp, 1)
    key = details_and_review_key(anna_client, ANNA_DETAILS)
    review = anna_client.get(reverse("storefront:checkout_review")).content.decode()
    assert "Pay with my store credit (€\xa05.00 available)" in review
    assert "With your store credit: €\xa05.00 off" in review

    response = checkout_place(anna_client, key, use_store_credit="on", **CARD)

    order = Order.objects.get()
    assert response.url == reverse("storefront:order_detail", args=[order.number])
    payments = {p.method: (p.amount, p.status) for p in Payment.objects.filter(order=order)}
    assert payments == {
        "store_credit": (Decimal("5.00"), "authorized"),
        "card": (order.total - Decimal("5.00"), "authorized"),
    }
    assert StoreCreditAccount.objects.get(customer=anna.customer).balance == 0
    ledger = anna_client.get(reverse("storefront:store_credit")).content.decode()
    assert f'Spent on order <a href="{reverse("storefront:order_detail", args=[order.number])}">' in ledger


def test_credit_that_covers_the_total_needs_no_card(anna_client, anna, shop, credit):
    credit("500.00")
    add_to_cart(anna_client, shop.lamp, 1)
    key = details_and_review_key(anna_client, ANNA_DETAILS)
    assert (
        "nothing left to pay, so no card is needed"
        in anna_client.get(reverse("storefront:checkout_review")).content.decode()
    )

    checkout_place(anna_client, key, use_store_credit="on")

    order = Order.objects.get()
    assert list(Payment.objects.filter(order=order).values_list("method", "amount")) == [("store_credit", order.total)]
    assert StoreCreditAccount.objects.get(customer=anna.customer).balance == Decimal("500.00") - order.total


def test_without_the_tick_the_card_is_required_beside_its_field(anna_client, shop, credit):
    credit("5.00")
    add_to_cart(anna_client, shop.lamp, 1)
    key = details_and_review_key(anna_client, ANNA_DETAILS)

    response = checkout_place(anna_client, key)

    assert response.status_code == 200
    assert response.context["place_form"].errors["card_number"] == ["Enter your card number."]
    assert not Order.objects.exists()


def test_credit_short_of_the_total_with_no_card_is_refused_beside_the_card(anna_client, anna, shop, credit):
    credit("1.00")
    add_to_cart(anna_client, shop.lamp, 1)
    key = details_and_review_key(anna_client, ANNA_DETAILS)

    response = checkout_place(anna_client, key, use_store_credit="on")

    assert response.status_code == 200
    assert response.context["place_form"].errors["card_number"]
    assert not Order.objects.exists()
    assert StoreCreditAccount.objects.get(customer=anna.customer).balance == Decimal("1.00")  # nothing half-spent


def test_guests_and_customers_without_credit_see_no_option(anna_client, shop):
    add_to_cart(anna_client, shop.lamp, 1)
    details_and_review_key(anna_client, ANNA_DETAILS)

    assert "use_store_credit" not in anna_client.get(reverse("storefront:checkout_review")).content.decode()


def test_cancelling_an_order_paid_with_store_credit_gives_the_credit_back(anna_client, anna, shop, credit):
    credit("5.00")
    add_to_cart(anna_client, shop.lamp, 1)
    key = details_and_review_key(anna_client, ANNA_DETAILS)
    checkout_place(anna_client, key, use_store_credit="on", **CARD)
    order = Order.objects.get()

    anna_client.post(reverse("storefront:order_cancel", args=[order.number]), {"reason": "Ordered twice"})

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert {p.method: p.status for p in Payment.objects.filter(order=order)} == {
        "store_credit": "voided",
        "card": "voided",
    }
    account = StoreCreditAccount.objects.get(customer=anna.customer)
    assert account.balance == Decimal("5.00")
    assert account.entries.first().kind == "returned"
    assert "Given back: order" in anna_client.get(reverse("storefront:store_credit")).content.decode()
