"""Addresses that cannot be right: order numbers that cannot be order numbers, NUL bytes in a
query string or cookie, a `next` that is not a path, object ids the admin cannot read.

PostgreSQL refuses NUL in text (DataError), so run these there too:
DATABASE_URL=postgres://... pytest tests/hardening/
"""

from urllib.parse import quote

import pytest
from django.urls import reverse

from orders.models import Customer, Order
from orders.services.customers import customer_sign_up
from tests.admin.journeys import delivered, place

from .hostile import browser, row_counts

pytestmark = pytest.mark.django_db

NOT_ORDER_NUMBERS = ["\x00", "1000\x0001", "abc def", "100001;--", "x" * 21, "x" * 10_000, "١٠٠٠٠١", "🎉", "%", "a/b"]
ORDER_PAGES = ["order_detail", "order_cancel", "order_feedback_start", "invoice_download"]


@pytest.fixture
def delivered_order(catalogue, staff_users):
    """A signed-in customer's delivered order: it has an invoice and may be rated."""
    user = customer_sign_up(email="anna@example.com", password="a long passphrase 42", full_name="Anna de Vries")
    order = place(catalogue, customer=Customer.objects.get(user=user))
    invoice = delivered(order, staff_users["Warehouse"])
    order.refresh_from_db()
    return order, invoice, user


def order_url_with_number(order, invoice, page: str, number: str) -> str:
    """The page's URL for this order, with its number swapped for `number` (reverse() would refuse)."""
    args = [order.number, invoice.number] if page == "invoice_download" else [order.number]
    return reverse(f"storefront:{page}", args=args).replace(f"/{order.number}/", f"/{quote(number, safe='/')}/", 1)


@pytest.mark.parametrize("page", ORDER_PAGES)
@pytest.mark.parametrize("signed_in", [True, False], ids=["customer", "guest"])
def test_an_order_number_that_cannot_be_one_is_not_found_before_any_query(delivered_order, page, signed_in):
    # given a customer's order (and, for the guest, nobody signed in)
    order, invoice, user = delivered_order
    client = browser(user if signed_in else None)
    before = row_counts()

    # when the number in the address cannot be an order number
    answers = {
        (number[:12], method): getattr(client, method)(order_url_with_number(order, invoice, page, number)).status_code
        for number in NOT_ORDER_NUMBERS
        for method in ("get", "post")
    }

    # then every answer is a 404, and nothing changed
    assert {key: status for key, status in answers.items() if status != 404} == {}
    assert row_counts() == before


def test_the_order_pages_still_open_with_a_real_number(delivered_order):
    order, invoice, user = delivered_order
    client = browser(user)

    assert client.get(reverse("storefront:order_detail", args=[order.number])).status_code == 200
    assert client.get(reverse("storefront:invoice_download", args=[order.number, invoice.number])).status_code == 200
    assert reverse("storefront:order_detail", args=["PLACED-DEMO"]) == "/orders/PLACED-DEMO/"  # seed_demo's


@pytest.mark.parametrize(
    "number, email, status",
    [
        ("\x00", "anna@example.com", 400),
        ("100001", "\x00", 400),
        ("1\x00", "a\x00@example.com", 400),
        ("x" * 10_000, "y" * 10_000, 200),
        ("\u202e١٠٠٠٠١ 🎉", "🎉@example.com", 200),
    ],
    ids=["nul-number", "nul-email", "nul-both", "10k-chars", "rtl-emoji"],
)
def test_guest_lookup_refuses_nul_and_nonsense_without_a_500(delivered_order, number, email, status):
    guest = browser()

    response = guest.post(reverse("storefront:order_lookup"), {"number": number, "email": email})

    assert response.status_code == status
    if status == 200:
        assert response.context["form"].errors
    assert "guest_orders" not in guest.session


@pytest.mark.parametrize(
    "path, params",
    [
        ("storefront:order_lookup", {"number": "\x00"}),
        ("storefront:catalogue", {"q": "\x00"}),
        ("storefront:catalogue", {"page": "1\x00"}),
        ("storefront:catalogue", {"\x00": "1"}),
        ("admin:orders_order_changelist", {"q": "\x00"}),
        ("admin:orders_order_changelist", {"status": "\x00"}),
        ("admin:orders_order_changelist", {"hold_reason": "\x00"}),
        ("admin:orders_order_changelist", {"status__exact": "x\x00"}),
        ("admin:invoicing_invoice_changelist", {"status": "\x00"}),
        ("admin:inventory_purchaseorder_changelist", {"status": "\x00"}),
    ],
)
def test_a_nul_byte_in_the_query_string_is_a_bad_request(admin_client, path, params):
    admin_client.raise_request_exception = False

    response = admin_client.get(reverse(path), params)

    assert response.status_code == 400


def test_a_nul_byte_in_a_form_or_a_cookie_is_a_bad_request(delivered_order, catalogue):
    order, _, user = delivered_order
    client = browser(user)
    before = row_counts()

    posted = client.post(reverse("storefront:cart_add"), {"product": catalogue.chair.pk, "quantity": "1\x00"})
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    with_cookie = client.get(reverse("storefront:catalogue"))

    assert (posted.status_code, with_cookie.status_code) == (400, 400)
    assert row_counts() == before


def test_a_nul_byte_in_an_admin_object_id_is_a_bad_request(admin_client):
    admin_client.raise_request_exception = False

    response = admin_client.get(reverse("admin:core_sequence_change", args=["invoice\x00"]))

    assert response.status_code == 400


@pytest.mark.parametrize("target", ["abc", "-1", str(10**12), "javascript:alert(1)", "//evil.example/", "\u202e🎉"])
def test_next_that_is_not_a_path_on_this_site_goes_to_the_default(catalogue, target):
    shopper = browser()

    added = shopper.post(reverse("storefront:cart_add"), {"product": catalogue.chair.pk, "quantity": 1, "next": target})
    refused = shopper.post(reverse("storefront:cart_add"), {"product": "abc", "quantity": 1, "next": target})
    signed_up = shopper.post(
        reverse("storefront:sign_up") + f"?next={quote(target)}",
        {
            "full_name": "Nina",
            "email": "nina@example.com",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )

    assert (added.status_code, added.url) == (302, reverse("storefront:cart"))
    assert (refused.status_code, refused.url) == (302, reverse("storefront:cart"))
    assert (signed_up.status_code, signed_up.url) == (302, reverse("storefront:account"))


@pytest.mark.parametrize("object_id", ["abc", str(10**30), "-1", "x" * 10_000])
def test_admin_pages_of_one_object_answer_not_found_for_an_id_that_cannot_be_one(
    admin_client, delivered_order, object_id
):
    admin_client.raise_request_exception = False
    order, invoice, _ = delivered_order
    before = row_counts()
    pages = [
        ("post", reverse("admin:inventory_purchaseorder_transition", args=[object_id, "send"])),
        ("get", reverse("admin:inventory_purchaseorder_receive", args=[object_id])),
        ("post", reverse("admin:inventory_purchaseorder_receive", args=[object_id])),
        ("post", reverse("admin:orders_order_staff_action", args=[object_id, "cancel"])),
        ("get", reverse("admin:invoicing_invoice_pdf", args=[object_id])),
        ("get", reverse("admin:orders_order_change", args=[object_id])),
    ]

    answers = {url[:60]: getattr(admin_client, method)(url).status_code for method, url in pages}

    assert {url: status for url, status in answers.items() if status not in (302, 404)} == {}
    assert row_counts() == before
    assert Order.objects.get(pk=order.pk).status == order.status
