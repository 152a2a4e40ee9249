"""The orders API: keys and scopes (401/403), orders placed through the same placement and checks
as the shop with the key's name on the timeline, bad input as 422 problems with field errors,
cursor pagination, cancellation, and Idempotency-Key replays."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from api.keys import api_key_revoke
from api.throttling import ApiKeyThrottle
from orders.models import Order, OrderEvent
from tests.builders import order_build

pytestmark = pytest.mark.django_db

ORDERS = reverse("api:orders")
ADDRESS = {"full_name": "Anna de Vries", "line1": "Keizersgracht 1", "postal_code": "1015 CJ", "city": "Amsterdam",
           "country": "NL"}  # fmt: skip


def new_order(**overrides) -> dict:
    body = {
        "customer": {"email": "anna@example.com", "full_name": "Anna de Vries"},
        "lines": [{"sku": "BOOK-1", "quantity": 2}],
        "delivery_method": "standard",
        "payment_method": "bank_transfer",
        "billing_address": ADDRESS,
        "shipping_address": ADDRESS,
    }
    return {**body, **overrides}


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def test_without_a_key_or_with_a_wrong_or_revoked_one_the_api_answers_401(api_as, client):
    assert is_problem(client.get(ORDERS), 401)["title"] == "Not authenticated"
    assert is_problem(client.get(ORDERS, HTTP_AUTHORIZATION="Bearer ok_nothing_here"), 401)
    assert is_problem(client.get(ORDERS, HTTP_AUTHORIZATION="Token abc"), 401)
    erp = api_as("orders:read")
    assert erp.get(ORDERS).status_code == 200
    api_key_revoke(key=erp.api_key)
    assert "revoked" in is_problem(erp.get(ORDERS), 401)["detail"]


def test_a_key_without_the_scope_gets_403(api_as, shop):
    reader = api_as("stock:read")

    assert "orders:read" in is_problem(reader.get(ORDERS), 403)["detail"]
    assert "orders:write" in is_problem(api_as("orders:read").post(ORDERS, new_order(), format="json"), 403)["detail"]
    assert not Order.objects.exists()


def test_an_order_placed_through_the_api_is_priced_checked_and_signed_with_the_key(api_as, shop):
    erp = api_as("orders:write", "orders:read", name="ERP")

    response = erp.post(ORDERS, new_order(total="0.01", status="paid"), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert (order.channel, order.status) == ("api", "verified")  # verified by the shop's checks
    assert body["total"] == str(order.total) != "0.01"  # priced from the catalogue, not the request
    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [("BOOK-1", 2)]
    placed = OrderEvent.objects.get(order=order, kind="order.place")
    assert placed.actor_label == "API: ERP"
    assert body["timeline"][0]["actor"] == "API: ERP"
    assert erp.get(reverse("api:order", args=[order.number])).json() == body


def test_bad_input_is_a_422_problem_naming_each_field(api_as, shop):
    erp = api_as("orders:write")

    body = is_problem(
        erp.post(ORDERS, new_order(lines=[{"sku": "BOOK-1", "quantity": 0}], billing_address={}), format="json"), 422
    )
    assert set(body["errors"]) >= {"lines.0.quantity", "billing_address.full_name", "billing_address.country"}
    assert (
        "sku"
        in is_problem(erp.post(ORDERS, new_order(lines=[{"sku": "NOPE", "quantity": 1}]), format="json"), 422)[
            "detail"
        ].lower()
    )
    assert (
        "delivery_method"
        in is_problem(erp.post(ORDERS, new_order(delivery_method="teleport"), format="json"), 422)["errors"]
    )
    assert is_problem(erp.post(ORDERS, "{not json", content_type="application/json"), 400)
    assert not Order.objects.exists()


def test_the_order_list_filters_and_pages_by_cursor(api_as, shop):
    made = [order_build(lines=[(shop.book, 1)], state="verified", channel=channel) for channel in ["web", "phone"] * 3]
    reader = api_as("orders:read")

    first = reader.get(ORDERS, {"page_size": 4}).json()
    second = reader.get(first["next"]).json()
    assert [o["number"] for o in first["results"] + second["results"]] == [o.number for o in reversed(made)]
    assert second["next"] is None
    phone = reader.get(ORDERS, {"channel": "phone"}).json()["results"]
    assert {o["channel"] for o in phone} == {"phone"} and len(phone) == 3
    assert "status" in is_problem(reader.get(ORDERS, {"status": "lost"}), 422)["errors"]


def test_cancelling_through_the_api_goes_through_cancellation(api_as, shop):
    order = order_build(lines=[(shop.book, 1)], state="verified")
    erp = api_as("orders:write")

    response = erp.post(reverse("api:order_cancel", args=[order.number]), {"reason": "Out of stock at the supplier"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    event = OrderEvent.objects.get(order=order, kind="order.cancel")
    assert event.note == "Out of stock at the supplier (API: ERP)"
    again = erp.post(reverse("api:order_cancel", args=[order.number]), {"reason": "again"})
    assert is_problem(again, 422)
    assert is_problem(erp.post(reverse("api:order_cancel", args=["NOPE"]), {"reason": "x"}), 404)


def test_the_same_idempotency_key_returns_the_first_answer_and_another_body_is_refused(api_as, shop):
    erp = api_as("orders:write")

    first = erp.post(ORDERS, new_order(), format="json", HTTP_IDEMPOTENCY_KEY="order-77")
    again = erp.post(ORDERS, new_order(), format="json", HTTP_IDEMPOTENCY_KEY="order-77")
    other = erp.post(ORDERS, new_order(lines=[{"sku": "BOOK-1", "quantity": 5}]), format="json",
                     HTTP_IDEMPOTENCY_KEY="order-77")  # fmt: skip

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert "Idempotency-Key" in is_problem(other, 422)["errors"]
    # keys are per API key: another integration's "order-77" is its own
    assert (
        api_as("orders:write", name="Shop")
        .post(ORDERS, new_order(), format="json", HTTP_IDEMPOTENCY_KEY="order-77")
        .status_code
        == 201
    )
    assert Order.objects.count() == 2


def test_products_and_stock_levels_read_with_what_is_available(api_as, shop):
    stock = api_as("stock:read")

    products = {p["sku"]: p for p in stock.get(reverse("api:products")).json()["results"]}
    levels = stock.get(reverse("api:stock_levels"), {"sku": "LAMP-1"}).json()["results"]

    assert products["CHAIR-1"]["available"] == 10
    assert products["LAMP-1"]["available"] == 10
    assert sorted((level["warehouse"], level["available"]) for level in levels) == [("AMS", 5), ("RTM", 5)]


def test_each_key_is_throttled_on_its_own_with_a_429_problem(api_as, monkeypatch):
    cache.clear()
    monkeypatch.setattr(ApiKeyThrottle, "THROTTLE_RATES", {"api_key": "3/min"})
    busy, other = api_as("orders:read", name="Busy"), api_as("orders:read", name="Other")

    answers = [busy.get(ORDERS).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    throttled = busy.get(ORDERS)
    assert is_problem(throttled, 429) and int(throttled["Retry-After"]) > 0
    assert other.get(ORDERS).status_code == 200  # another key counts on its own
