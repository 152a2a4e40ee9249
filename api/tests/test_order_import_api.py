"""CSV order import through the API: a good file answers 201 with its orders; a bad one a 422
problem listing each row and column, having created nothing; the same file again creates nothing;
a large file answers 202 and its progress is read back; the template downloads."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.models import Order

pytestmark = pytest.mark.django_db

IMPORTS = reverse("api:order_imports")
ROW = {
    "email": "anna@example.com",
    "full_name": "Anna de Vries",
    "delivery_method": "standard",
    "payment_method": "bank_transfer",
    "ship_name": "Anna de Vries",
    "ship_line1": "Keizersgracht 1",
    "ship_postal_code": "1015 CJ",
    "ship_city": "Amsterdam",
    "ship_country": "NL",
}


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["order_reference", "sku", "quantity", *ROW])
    writer.writeheader()
    for reference, sku, quantity in rows:
        writer.writerow({"order_reference": reference, "sku": sku, "quantity": quantity, **ROW})
    return out.getvalue().encode()


def post(client, content: bytes, **headers):
    upload = SimpleUploadedFile("orders.csv", content, content_type="text/csv")
    return client.post(IMPORTS, {"source": "Marketplace", "file": upload}, format="multipart", **headers)


def test_a_good_file_answers_201_with_its_orders(api_as, shop):
    client = api_as("orders:write")

    response = post(client, csv_bytes([("MP-1", "CHAIR-1", 1), ("MP-1", "BOOK-1", 2), ("MP-2", "LAMP-1", 1)]))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["orders_done"], body["orders_skipped"]) == ("done", 2, 0)
    numbers = {item["reference"]: item["order"] for item in body["orders"]}
    assert set(numbers) == {"MP-1", "MP-2"}
    order = Order.objects.get(number=numbers["MP-1"])
    assert order.channel == "import" and order.lines.count() == 2
    placed = order.events.get(kind="order.place")
    assert placed.actor_label == "API: ERP"


def test_a_bad_file_is_a_422_naming_each_row_and_column_and_creates_nothing(api_as, shop):
    response = post(
        api_as("orders:write"), csv_bytes([("MP-1", "CHAIR-1", 1), ("MP-2", "NOPE", 1), ("MP-3", "BOOK-1", 0)])
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("import-refused")
    assert [(p["row"], p["column"]) for p in body["problems"]] == [(3, "sku"), (4, "quantity")]
    assert body["detail"].startswith("Row 3, sku:")
    assert not Order.objects.exists()


def test_the_same_file_again_creates_nothing_and_a_retried_key_gets_the_first_answer(api_as, shop):
    client = api_as("orders:write")
    content = csv_bytes([("MP-1", "CHAIR-1", 1)])
    first = post(client, content, HTTP_IDEMPOTENCY_KEY="import-1")

    replay = post(client, content, HTTP_IDEMPOTENCY_KEY="import-1")  # a new multipart boundary, same file
    again = post(client, content)

    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    assert again.status_code == 201 and (again.json()["orders_done"], again.json()["orders_skipped"]) == (0, 1)
    assert Order.objects.count() == 1
    other = post(client, csv_bytes([("MP-2", "CHAIR-1", 1)]), HTTP_IDEMPOTENCY_KEY="import-1")
    assert other.status_code == 422  # the same key with another file


def test_a_large_file_answers_202_and_its_progress_can_be_read(api_as, shop, settings):
    settings.ORDER_IMPORT_ROWS_IN_REQUEST = 1
    client = api_as("orders:write", "orders:read")

    response = post(client, csv_bytes([("MP-1", "CHAIR-1", 1), ("MP-2", "BOOK-1", 1)]))

    assert response.status_code == 202 and response.json()["status"] == "queued"
    detail = client.get(reverse("api:order_import", args=[response.json()["id"]])).json()
    assert (detail["orders_total"], detail["orders_done"]) == (2, 0)  # the worker runs after the commit


def test_missing_source_or_file_and_wrong_scope(api_as, shop):
    client = api_as("orders:write")
    response = client.post(IMPORTS, {"source": ""}, format="multipart")
    assert response.status_code == 422 and {"source", "file"} <= set(response.json()["errors"])
    assert post(api_as("orders:read"), csv_bytes([("MP-1", "CHAIR-1", 1)])).status_code == 403
    assert client.post(IMPORTS, {"source": "x"}, format="json").status_code == 415  # multipart only


def test_the_template_downloads(api_as):
    response = api_as("orders:read").get(reverse("api:order_import_template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith("order_reference,email,full_name")
