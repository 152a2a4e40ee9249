"""An order's life driven through the API (the packing table is the warehouse's, in the console):
placed, sent to the warehouse, dispatched with tracking, delivered, its invoice read and its PDF
downloaded; customers read and created; each endpoint refusing a key without its scope."""

import pytest
from django.urls import reverse

from orders.models import Order, OrderEvent, Shipment
from tests.builders import carrier_build, customer_build, shipment_packed
from tests.pdf_text import pdf_text

from .test_orders_api import is_problem, new_order

pytestmark = pytest.mark.django_db


def test_placed_fulfilled_dispatched_delivered_invoiced_and_the_pdf_through_the_api(api_as, shop):
    erp = api_as("orders:write", "orders:read", "shipments:write", "invoices:read", name="WMS")
    carrier = carrier_build()

    placed = erp.post(reverse("api:orders"), new_order(), HTTP_IDEMPOTENCY_KEY="o-1")
    assert placed.status_code == 201, placed.content
    number = placed.json()["number"]
    parcels = erp.post(reverse("api:order_fulfil", args=[number]), HTTP_IDEMPOTENCY_KEY="f-1").json()["shipments"]
    assert [parcel["status"] for parcel in parcels] == ["pending"]
    shipment_packed(shipment=Shipment.objects.get(number=parcels[0]["number"]))  # at the packing table

    dispatched = erp.post(
        reverse("api:shipment_dispatch", args=[parcels[0]["number"]]),
        {"carrier": carrier.code, "tracking_number": "3SAPI0001"},
        HTTP_IDEMPOTENCY_KEY="d-1",
    )
    assert dispatched.status_code == 200, dispatched.content
    assert (dispatched.json()["status"], dispatched.json()["tracking_number"]) == ("shipped", "3SAPI0001")
    assert "3SAPI0001" in dispatched.json()["tracking_url"]
    delivered = erp.post(reverse("api:shipment_deliver", args=[parcels[0]["number"]]), HTTP_IDEMPOTENCY_KEY="v-1")
    assert delivered.json()["status"] == "delivered"

    order = erp.get(reverse("api:order", args=[number])).json()
    assert order["status"] == "invoiced"
    (invoice,) = order["invoices"]
    read = erp.get(reverse("api:invoice", args=[invoice["number"]])).json()
    assert (read["order"], read["total"]) == (number, order["total"])
    assert [line["sku"] for line in read["lines"]] == ["BOOK-1"]
    pdf = erp.get(read["pdf"])
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert invoice["number"] in text and number in text
    assert erp.get(reverse("api:invoices"), {"order": number}).json()["results"][0]["number"] == invoice["number"]
    kinds = set(OrderEvent.objects.filter(order__number=number).values_list("kind", flat=True))
    assert {"order.place", "order.start_fulfillment", "shipment.dispatch", "order.deliver", "order.invoice"} <= kinds


def test_a_parcel_not_packed_yet_cannot_be_dispatched(api_as, shop):
    erp = api_as("orders:write", "shipments:write")
    number = erp.post(reverse("api:orders"), new_order()).json()["number"]
    parcel = erp.post(reverse("api:order_fulfil", args=[number])).json()["shipments"][0]["number"]

    refused = erp.post(reverse("api:shipment_dispatch", args=[parcel]), {"carrier": "PostNL", "tracking_number": "X1"})

    assert is_problem(refused, 422)
    assert Order.objects.get(number=number).status == "in_fulfillment"
    assert "tracking_number" in is_problem(erp.post(reverse("api:shipment_dispatch", args=[parcel]), {}), 422)["errors"]
    assert is_problem(erp.post(reverse("api:shipment_deliver", args=["NOPE-1"])), 404)


def test_customers_are_read_and_created(api_as):
    existing = customer_build(email="bob@example.com")
    crm = api_as("customers:read", "customers:write")

    made = crm.post(reverse("api:customers"), {"email": "Carla@Example.com", "full_name": "Carla Jansen"})
    twice = crm.post(reverse("api:customers"), {"email": "bob@example.com", "full_name": "Bob"})

    assert made.status_code == 201
    assert crm.get(reverse("api:customer", args=[made.json()["id"]])).json()["email"] == "carla@example.com"
    assert "email" in is_problem(twice, 422)["errors"]
    assert [c["id"] for c in crm.get(reverse("api:customers"), {"email": "BOB@example.com"}).json()["results"]] == [
        existing.pk
    ]
    assert "full_name" in is_problem(crm.post(reverse("api:customers"), {"email": "x@example.com"}), 422)["errors"]


@pytest.mark.parametrize(
    ("method", "url", "scope"),
    [
        ("post", reverse("api:order_fulfil", args=["X"]), "shipments:write"),
        ("post", reverse("api:shipment_dispatch", args=["X"]), "shipments:write"),
        ("post", reverse("api:shipment_deliver", args=["X"]), "shipments:write"),
        ("get", reverse("api:invoices"), "invoices:read"),
        ("get", reverse("api:invoice", args=["X"]), "invoices:read"),
        ("get", reverse("api:invoice_pdf", args=["X"]), "invoices:read"),
        ("get", reverse("api:credit_notes"), "invoices:read"),
        ("get", reverse("api:customers"), "customers:read"),
        ("post", reverse("api:customers"), "customers:write"),
        ("get", reverse("api:products"), "stock:read"),
        ("get", reverse("api:stock_levels"), "stock:read"),
        ("post", reverse("api:stock_receive"), "stock:write"),
        ("post", reverse("api:stock_adjust"), "stock:write"),
    ],
)
def test_every_endpoint_needs_its_scope(api_as, client, method, url, scope):
    assert is_problem(getattr(client, method)(url), 401)
    assert scope in is_problem(getattr(api_as("orders:read"), method)(url), 403)["detail"]


def test_head_is_checked_as_get_and_a_method_without_a_scope_is_refused(api_as, shop):
    stock_only = api_as("stock:read")

    assert stock_only.head(reverse("api:orders")).status_code == 403  # HEAD answers like GET: orders:read
    assert api_as("orders:read").head(reverse("api:orders")).status_code == 200
    everything = api_as("orders:read", "orders:write")
    assert everything.put(reverse("api:order", args=["X"]), {}).status_code in (403, 405)
