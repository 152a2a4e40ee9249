"""Twenty identical API POSTs at once with one Idempotency-Key (issue 16, item 4), on PostgreSQL:
one order is made, and every request gets the same answer. Each request runs in its own thread on
its own connection; the idempotency record's unique index makes the later ones wait for the first
to commit, then read its answer."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.keys import api_key_create
from orders.models import Order
from tests.builders import delivery_method_build

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 20
ADDRESS = {"full_name": "Anna de Vries", "line1": "Keizersgracht 1", "postal_code": "1015 CJ", "city": "Amsterdam",
           "country": "NL"}  # fmt: skip


def test_twenty_identical_posts_at_once_make_one_order_and_get_one_answer(require_postgres, catalogue):
    delivery_method_build()
    _key, raw = api_key_create(name="ERP", scopes=["orders:write"])
    body = {
        "customer": {"email": "anna@example.com", "full_name": "Anna de Vries"},
        "lines": [{"sku": "BOOK-1", "quantity": 1}],
        "delivery_method": "standard",
        "payment_method": "bank_transfer",
        "billing_address": ADDRESS,
        "shipping_address": ADDRESS,
    }

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_IDEMPOTENCY_KEY="erp-order-1001")
        response = client.post(reverse("api:orders"), body, format="json")
        return response.status_code, response.json()

    outcomes = run_at_once(*[post] * RACERS)

    assert all(outcome.ok for outcome in outcomes), [outcome.error for outcome in outcomes if not outcome.ok]
    assert {status for status, _ in (outcome.value for outcome in outcomes)} == {201}
    numbers = {answer["number"] for _, answer in (outcome.value for outcome in outcomes)}
    assert len(numbers) == 1
    assert list(Order.objects.values_list("number", flat=True)) == list(numbers)
