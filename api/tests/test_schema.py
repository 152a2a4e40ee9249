"""The OpenAPI document: generated without a warning, valid, served with its docs from this site,
and saying what the endpoints really return (every documented field, and no other)."""

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from tests.builders import order_advance, order_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(tmp_path) -> dict:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))  # raises on any warning
    return yaml.safe_load(out.read_text())


def properties(schema: dict, name: str) -> set[str]:
    return set(schema["components"]["schemas"][name]["properties"])


def test_the_documented_fields_are_the_fields_returned(schema, api_as, shop):
    order = order_advance(order=order_build(lines=[(shop.book, 1)], payment_method="card"), state="invoiced")
    client = api_as("orders:read", "stock:read", "invoices:read", "customers:read")

    detail = client.get(reverse("api:order", args=[order.number])).json()
    listed = client.get(reverse("api:orders")).json()
    product = client.get(reverse("api:products")).json()["results"][0]
    level = client.get(reverse("api:stock_levels")).json()["results"][0]

    assert set(detail) == properties(schema, "OrderDetail")
    assert set(detail["lines"][0]) == properties(schema, "OrderLine")
    assert set(detail["shipments"][0]) == properties(schema, "Shipment")
    assert set(detail["invoices"][0]) == properties(schema, "InvoiceBrief")
    assert set(detail["payments"][0]) == properties(schema, "PaymentBrief")
    assert set(detail["timeline"][0]) == properties(schema, "Event")
    assert set(listed) == properties(schema, "PaginatedOrderList")
    assert set(listed["results"][0]) == properties(schema, "Order")
    assert set(product) == properties(schema, "Product")
    assert set(level) == properties(schema, "StockLevel")
    invoice = client.get(reverse("api:invoices")).json()["results"][0]
    assert set(invoice) == properties(schema, "Invoice")
    assert set(invoice["lines"][0]) == properties(schema, "InvoiceLine")
    assert set(client.get(reverse("api:customers")).json()["results"][0]) == properties(schema, "Customer")
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


def test_the_document_and_its_docs_are_served_without_a_key_and_without_a_cdn(client):
    document = client.get(reverse("api:schema"))
    docs = client.get(reverse("api:docs")).content.decode()
    redoc = client.get(reverse("api:redoc")).content.decode()

    assert document.status_code == 200
    assert "openapi: 3" in document.content.decode()
    for page in (docs, redoc):
        assert "cdn" not in page.lower() and "//unpkg" not in page and "jsdelivr" not in page
        assert "/static/drf_spectacular_sidecar/" in page
    assert "<script>" not in docs  # its start-up script is a file (the CSP allows no inline script)
