"""The API's lists cost the same queries for 2 rows as for 8 (each related row is read in one
query for the page, not once per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.builders import customer_build, order_advance, order_build, product_build, stock_put

pytestmark = pytest.mark.django_db


def queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), len(response.json()["results"])


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        (reverse("api:orders"), "orders:read"),
        (reverse("api:invoices"), "invoices:read"),
        (reverse("api:products"), "stock:read"),
        (reverse("api:stock_levels"), "stock:read"),
        (reverse("api:customers"), "customers:read"),
    ],
)
def test_a_list_runs_the_same_queries_for_few_rows_as_for_many(api_as, shop, url, scope):
    client = api_as(scope)

    def grow(n):
        for _ in range(n):
            order_advance(order=order_build(lines=[(shop.book, 1)]), state="invoiced")
            customer_build()
            stock_put(product=product_build(), warehouse=shop.main, quantity=3)

    grow(1)
    client.get(url)
    few = queries(client, url)
    grow(3)
    many = queries(client, url)

    assert few[1] < many[1]
    assert few[0] == many[0]
