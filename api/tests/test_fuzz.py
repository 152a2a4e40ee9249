"""Property-based fuzz of the API (hypothesis): whatever JSON an integration sends to any endpoint,
of the documented shape or not, the answer is a problem or a success, never a 500, and a refused
request leaves nothing behind."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.models import ApiKey
from lifecycle.order_import import COLUMN_NAMES
from orders.models import Order

pytestmark = pytest.mark.django_db

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["BOOK-1", "standard", "card", "bank_transfer", "NL", "", "0", "-1", "\x00", "9" * 30]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
ADDRESS = st.fixed_dictionaries(
    {
        "full_name": st.text(max_size=30),
        "line1": st.text(max_size=30),
        "postal_code": st.text(max_size=12),
        "city": st.text(max_size=20),
        "country": st.text(max_size=3),
    }  # fmt: skip
)
# Orders shaped as the document says, with values anywhere in their types' ranges.
ORDER_LIKE = st.fixed_dictionaries(
    {
        "customer": st.one_of(
            st.fixed_dictionaries({"email": st.emails() | st.text(max_size=20), "full_name": st.text(max_size=30)}),
            JSON,
        ),
        "lines": st.lists(
            st.fixed_dictionaries(
                {
                    "sku": st.sampled_from(["BOOK-1", "LAMP-1", "CHAIR-1", "ASSEMBLY", "NOPE"]) | st.text(max_size=10),
                    "quantity": st.integers(min_value=-5, max_value=10**12) | JSON,
                }  # fmt: skip
            ),
            max_size=4,
        ),
        "delivery_method": st.sampled_from(["standard", "nope", ""]),
        "payment_method": st.sampled_from(["bank_transfer", "card", "on_invoice", "cash_on_delivery", "bitcoin"]),
        "billing_address": ADDRESS | JSON,
        "shipping_address": ADDRESS | st.none(),
        "requested_delivery_date": st.one_of(st.none(), st.dates().map(str), st.text(max_size=12)),
        "discount_code": st.text(max_size=45),
    }
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture
def client_with_every_scope(api_as, shop):
    return api_as(*ApiKey.Scope.values)


def test_orders_of_the_documented_shape_never_make_a_500(client_with_every_scope):
    @FUZZ
    @given(body=ORDER_LIKE)
    def post(body):
        before = Order.objects.count()
        response = client_with_every_scope.post(reverse("api:orders"), body, format="json")
        assert response.status_code in (201, 400, 422), (response.status_code, response.content[:400])
        if response.status_code != 201:
            assert response["Content-Type"] == "application/problem+json"
            assert Order.objects.count() == before

    post()


@pytest.mark.parametrize(
    "url",
    [
        reverse("api:orders"),
        reverse("api:customers"),
        reverse("api:order_cancel", args=["N1"]),
        reverse("api:shipment_dispatch", args=["S1"]),
        reverse("api:stock_receive"),
        reverse("api:stock_adjust"),
    ],
)
def test_any_json_to_a_post_endpoint_is_answered_without_a_500(client_with_every_scope, url):
    @FUZZ
    @given(body=JSON, key=st.none() | st.text(max_size=300))
    def post(body, key):
        headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key.encode("latin-1", "ignore").decode("latin-1")}
        response = client_with_every_scope.post(url, json.dumps(body), content_type="application/json", **headers)
        assert response.status_code < 500, (response.status_code, response.content[:400])

    post()


def test_any_query_string_to_a_list_is_answered_without_a_500(client_with_every_scope):
    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(["status", "channel", "placed_after", "placed_before", "email",
                                                    "page_size", "cursor", "order", "sku", "warehouse"]),
                                  st.text(max_size=30)))  # fmt: skip
    def get(params):
        for name in ("orders", "invoices", "customers", "stock_levels", "credit_notes"):
            response = client_with_every_scope.get(reverse(f"api:{name}"), params)
            assert response.status_code < 500, (name, params, response.content[:400])

    get()


CELLS = st.text(max_size=15) | st.sampled_from(
    [
        "CHAIR-1",
        "BOOK-1",
        "standard",
        "bank_transfer",
        "on_invoice",
        "NL",
        "de",
        "1",
        "0",
        "-3",
        "1e3",
        "2026-13-01",
        "2027-01-05",
        "a@b.nl",
        "MP-1",
        "MP-2",
        "",
        "\x00",
        ";",
        '"',
        "9" * 40,
    ]  # fmt: skip
)


def _csv_file(header: list[str], rows: list[list[str]], delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


def test_any_csv_file_to_the_import_is_answered_without_a_500(client_with_every_scope):
    @FUZZ
    @given(
        header=st.lists(st.sampled_from(COLUMN_NAMES) | st.text(max_size=8), max_size=30) | st.just(list(COLUMN_NAMES)),
        rows=st.lists(st.lists(CELLS, max_size=len(COLUMN_NAMES) + 2), max_size=6),
        delimiter=st.sampled_from([",", ";", "\t"]),
        raw=st.none() | st.binary(max_size=200),
    )
    def post(header, rows, delimiter, raw):
        content = raw if raw is not None else _csv_file(header, rows, delimiter)
        before = Order.objects.count()
        upload = SimpleUploadedFile("orders.csv", content, content_type="text/csv")
        response = client_with_every_scope.post(
            reverse("api:order_imports"), {"source": "Fuzz", "file": upload}, format="multipart"
        )
        assert response.status_code in (201, 202, 422), (response.status_code, response.content[:400])
        if response.status_code == 422:
            assert Order.objects.count() == before

    post()
