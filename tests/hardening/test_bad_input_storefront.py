"""Hostile values in every storefront form: no 500, and what a field cannot hold saves nothing.

Each form is posted as a browser would, valid but for one field, which gets each hostile value in
turn (NUL, 10^12, -1, `abc`, 10,000 characters, RTL text and emoji, left out). First the values
the field must refuse, checking after each that nothing changed; then the values it may accept
(an Arabic street name is an address), checking only that the answer is not a 500.
"""

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from axes.utils import reset as axes_reset
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from feedback.selectors import feedback_link_for_request
from feedback.services import feedback_request_create
from orders.models import Address, CartLine, Customer, DeliveryMethod, Voucher
from orders.services.customers import address_save, customer_sign_up
from tests.admin.journeys import delivered, place
from tests.builders import address_data

from .hostile import ALWAYS_REFUSED, HOSTILE, MISSING, browser, describe, row_counts, with_value

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase 42"
NUMERIC = {"10^12", "int32+1", "minus-one"}

# Which hostile values a field must refuse, by the kind of field.
REFUSED_BY_KIND = {
    "text": set(ALWAYS_REFUSED),
    "required": {*ALWAYS_REFUSED, "missing"},
    "everything": set(HOSTILE),  # e-mail, number, choice, one-time key: none of these is one
    "optional-choice": set(HOSTILE) - {"missing"},
    # Django's validators: too short, all digits, missing. A 10,000-character or Arabic password is one.
    "password": {"nul", "nul-inside", "missing", "word", "minus-one", *NUMERIC},
    "card-number": set(HOSTILE) - {"10^12"},  # 13 digits is a card number (the test gateway takes it)
}


@dataclass
class Shop:
    catalogue: Any
    staff: dict
    user: User
    customer: Customer
    address: Address
    order: Any  # the customer's delivered order, with an invoice and a feedback request
    feedback_url: str
    guest_order: Any


@dataclass
class FormCase:
    """One storefront form: where it posts, what a browser posts, which kind each field is, and
    what must not change when a value is refused."""

    url: Any  # (shop) -> str
    valid: Any  # (shop) -> dict
    kinds: dict[str, str]
    signed_in: bool = True
    prepare: Any = None  # (shop, client) -> None, before posting
    state: Any = None  # (shop, client) -> comparable; row counts and this must not change
    paired: dict[str, str] = field(default_factory=dict)  # a field posted with the same value


@pytest.fixture
def shop(catalogue, staff_users):
    cache.clear()  # the guest look-up counts failures in the cache
    user = customer_sign_up(email="anna@example.com", password=PASSWORD, full_name="Anna de Vries")
    customer = Customer.objects.get(user=user)
    address = address_save(customer=customer, data=address_data())
    order = place(catalogue, customer=customer)
    delivered(order, staff_users["Warehouse"])
    order.refresh_from_db()
    feedback_request = feedback_request_create(order=order)
    return Shop(
        catalogue=catalogue,
        staff=staff_users,
        user=user,
        customer=customer,
        address=address,
        order=order,
        feedback_url=feedback_link_for_request(request_id=feedback_request.pk),
        guest_order=place(catalogue),
    )


def _customer(shop, client):
    shop.customer.refresh_from_db()
    shop.user.refresh_from_db()
    c = shop.customer
    return c.full_name, c.email, c.phone, shop.user.email, shop.user.password


def _address(shop, client):
    shop.address.refresh_from_db()
    return [getattr(shop.address, name) for name in ("full_name", "company", "line1", "postal_code", "city")]


def _cart(shop, client):
    lines = CartLine.objects.filter(cart__user=shop.user)
    return sorted(lines.values_list("product_id", "quantity", "customisation_notes"))


def _session(*keys):
    return lambda shop, client: {key: client.session.get(key) for key in keys}


def _signed_in(shop, client):
    return client.session.get("_auth_user_id")


def _outbox(shop, client):
    return len(mail.outbox)


def _fill_cart(shop, client):
    client.post(reverse("storefront:cart_add"), {"product": shop.catalogue.book.pk, "quantity": 1})


def _fill_cart_and_offer_a_voucher(shop, client):
    _fill_cart(shop, client)
    Voucher.objects.create(code="SPRING10", percent_off=10)


def _to_review(shop, client):
    _fill_cart(shop, client)
    client.post(reverse("storefront:checkout"), _checkout_details(shop) | {"payment_method": "card"})


def _review_key(client) -> str:
    page = client.get(reverse("storefront:checkout_review")).content.decode()
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)


def _checkout_details(shop) -> dict:
    return {
        "email": "gerda@example.com",
        "ship_full_name": "Gerda Gast",
        "ship_line1": "Keizersgracht 10",
        "ship_postal_code": "1015 CJ",
        "ship_city": "Amsterdam",
        "ship_country": "NL",
        "billing_same": "on",
        "delivery_method": DeliveryMethod.objects.get().code,
        "payment_method": "bank_transfer",
    }


ADDRESS_KINDS = {
    "full_name": "required",
    "company": "text",
    "line1": "required",
    "line2": "text",
    "postal_code": "required",
    "city": "required",
    "region": "text",
    "country": "everything",
    "phone": "text",
}
ADDRESS = {"full_name": "Anna de Vries", "line1": "Prinsengracht 263", "postal_code": "1016 GV", "city": "Amsterdam"}

FORMS = {
    "sign-up": FormCase(
        url=lambda shop: reverse("storefront:sign_up"),
        valid=lambda shop: {
            "full_name": "Nina",
            "email": "nina@example.com",
            "phone": "",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        kinds={"full_name": "required", "email": "everything", "phone": "text", "password1": "password"},
        paired={"password1": "password2"},
        signed_in=False,
    ),
    "sign-in": FormCase(
        url=lambda shop: reverse("login"),
        valid=lambda shop: {"username": "anna@example.com", "password": PASSWORD},
        kinds={"username": "everything", "password": "everything"},
        signed_in=False,
        state=_signed_in,
    ),
    "profile": FormCase(
        url=lambda shop: reverse("storefront:profile"),
        valid=lambda shop: {"full_name": "Anna de Vries", "email": "anna@example.com", "phone": "020 123 4567"},
        kinds={"full_name": "required", "email": "everything", "phone": "text"},
        state=_customer,
    ),
    "address-new": FormCase(
        url=lambda shop: reverse("storefront:address_new"),
        valid=lambda shop: {**ADDRESS, "country": "NL"},
        kinds=ADDRESS_KINDS,
    ),
    "address-edit": FormCase(
        url=lambda shop: reverse("storefront:address_edit", args=[shop.address.pk]),
        valid=lambda shop: {**ADDRESS, "city": "Utrecht", "country": "NL"},
        kinds=ADDRESS_KINDS,
        state=_address,
    ),
    "cart-add": FormCase(
        url=lambda shop: reverse("storefront:cart_add"),
        valid=lambda shop: {"product": shop.catalogue.book.pk, "quantity": 2, "notes": ""},
        kinds={"product": "everything", "quantity": "everything", "notes": "text"},
        state=_cart,
    ),
    "cart-update": FormCase(
        url=lambda shop: reverse("storefront:cart_update"),
        valid=lambda shop: {"product": shop.catalogue.book.pk, "quantity": 3},
        kinds={"product": "everything", "quantity": "everything"},
        prepare=_fill_cart,
        state=_cart,
    ),
    "cart-remove": FormCase(
        url=lambda shop: reverse("storefront:cart_remove"),
        valid=lambda shop: {"product": shop.catalogue.book.pk},
        kinds={"product": "everything"},
        prepare=_fill_cart,
        state=_cart,
    ),
    "cart-discount": FormCase(
        url=lambda shop: reverse("storefront:cart_discount"),
        valid=lambda shop: {"code": "SPRING10"},
        kinds={"code": "everything"},
        prepare=_fill_cart_and_offer_a_voucher,
        state=_session("cart_discount_code"),
    ),
    "checkout-details": FormCase(
        url=lambda shop: reverse("storefront:checkout"),
        valid=_checkout_details,
        kinds={
            "email": "everything",
            "ship_full_name": "required",
            "ship_line1": "required",
            "ship_postal_code": "required",
            "ship_city": "required",
            "ship_country": "everything",
            "delivery_method": "everything",
            "payment_method": "everything",
            "requested_delivery_date": "optional-choice",
            "delivery_instructions": "text",
            "discount_code": "optional-choice",  # no voucher exists
        },
        signed_in=False,
        prepare=_fill_cart,
        state=_session("checkout"),
    ),
    "checkout-place": FormCase(
        url=lambda shop: reverse("storefront:checkout_place"),
        valid=lambda shop: {"card_number": "4242 4242 4242 4242", "card_expiry": "12/39", "card_cvc": "123"},
        kinds={
            "idempotency_key": "everything",
            "card_number": "card-number",
            "card_expiry": "everything",
            "card_cvc": "everything",
        },
        signed_in=False,
        prepare=_to_review,
    ),
    "guest-lookup": FormCase(
        url=lambda shop: reverse("storefront:order_lookup"),
        valid=lambda shop: {"number": shop.guest_order.number, "email": shop.guest_order.email},
        kinds={"number": "everything", "email": "everything"},
        signed_in=False,
        state=_session("guest_orders"),
    ),
    "order-cancel": FormCase(
        url=lambda shop: reverse(
            "storefront:order_cancel",
            # state=None: the shopper's repeat order may be held as a probable duplicate; either way
            # it can still be cancelled, which is all this form needs.
            args=[place(shop.catalogue, customer=shop.customer, state=None).number],
        ),
        valid=lambda shop: {"reason": "ordered twice"},
        kinds={"reason": "text"},
    ),
    "feedback": FormCase(
        url=lambda shop: shop.feedback_url,
        valid=lambda shop: {"overall_rating": "4", "comment": ""},
        kinds={"overall_rating": "everything", f"product_{'{book}'}": "optional-choice", "comment": "text"},
    ),
    "password-reset": FormCase(
        url=lambda shop: reverse("password_reset"),
        valid=lambda shop: {"email": "anna@example.com"},
        kinds={"email": "everything"},
        signed_in=False,
        state=_outbox,
    ),
    "password-set": FormCase(
        url=lambda shop: reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(shop.user.pk)),
                "token": default_token_generator.make_token(shop.user),
            },
        ),
        valid=lambda shop: {"new_password1": "another passphrase 43", "new_password2": "another passphrase 43"},
        kinds={"new_password1": "password"},
        paired={"new_password1": "new_password2"},
        signed_in=False,
        state=_customer,
    ),
}


def _field_name(shop, name: str) -> str:
    return name.replace("{book}", str(shop.catalogue.book.pk))


@pytest.mark.parametrize("form", FORMS)
def test_storefront_forms_refuse_what_cannot_be_input_and_never_answer_500(shop, form):
    case = FORMS[form]
    client = browser(shop.user if case.signed_in else None)
    if case.prepare:
        case.prepare(shop, client)
    url = case.url(shop)
    if form == "password-set":
        url = client.get(url)["Location"]  # Django moves the token into the session first
    valid = case.valid(shop)
    if form == "checkout-place":
        valid["idempotency_key"] = _review_key(client)

    def post(name: str, value):
        data = with_value(valid, name, value)
        if name in case.paired:
            data = with_value(data, case.paired[name], value)
        return client.post(url, data)

    def snapshot():
        return row_counts(), case.state(shop, client) if case.state else None

    # when each field gets each value it must refuse, nothing changes
    before = snapshot()
    crashes, changed = {}, {}
    for name, kind in case.kinds.items():
        name = _field_name(shop, name)
        for value_name in sorted(REFUSED_BY_KIND[kind]):
            status = post(name, HOSTILE[value_name]).status_code
            if status >= 500:
                crashes[name, value_name] = status
            if snapshot() != before:
                changed[name, value_name] = True
                before = snapshot()
    assert (crashes, changed) == ({}, {})

    # and the form as a browser posts it is taken (so the refusals were the hostile values'),
    # once the throttles forget the failures above
    cache.clear()
    axes_reset()
    assert post("-", MISSING).status_code < 400
    assert snapshot() != before

    # and the values a field may take at worst save them
    for name, kind in case.kinds.items():
        name = _field_name(shop, name)
        for value_name in sorted(set(HOSTILE) - REFUSED_BY_KIND[kind]):
            assert post(name, HOSTILE[value_name]).status_code < 500, (name, describe(HOSTILE[value_name]))


def test_the_cart_refuses_quantities_out_of_range(shop):
    # given a signed-in customer with one book in the cart
    client = browser(shop.user)
    book = shop.catalogue.book.pk
    client.post(reverse("storefront:cart_add"), {"product": book, "quantity": 1})

    # when quantities out of range are posted to add and update
    answers = [
        client.post(reverse("storefront:cart_add"), {"product": book, "quantity": q}).status_code
        for q in (10**12, 2**31, 1000, 0, -1, "abc")
    ] + [
        client.post(reverse("storefront:cart_update"), {"product": book, "quantity": q}).status_code
        for q in (10**12, 2**31, 1000, -1, "abc")
    ]

    # then none is a 500 and the cart still holds one book
    assert all(status < 500 for status in answers), answers
    assert _cart(shop, client) == [(book, 1, "")]


@pytest.mark.parametrize("value", [HOSTILE[name] for name in HOSTILE if HOSTILE[name] is not MISSING][:4])
def test_a_refused_sign_up_creates_no_account(shop, value):
    before = User.objects.count()

    response = browser().post(
        reverse("storefront:sign_up"),
        {"full_name": "Nina", "email": value, "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code in (200, 400)
    assert User.objects.count() == before
