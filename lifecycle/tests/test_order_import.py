"""CSV order import: a good file places its orders through the checkout (catalogue prices, the same
checks and events); a file with bad rows creates nothing and names each row and column; the same
file twice creates nothing the second time; a large file goes to the worker with its progress."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from lifecycle.order_import import (
    COLUMN_NAMES,
    order_import_create,
    order_import_template,
    order_imports_requeue_stale,
)
from orders.models import ExternalOrderReference, Order, OrderEvent, OrderImport, ShippingZone
from tests.builders import delivery_method_build, staff_member

pytestmark = pytest.mark.django_db

ADDRESS = {
    "ship_name": "Anna de Vries",
    "ship_line1": "Keizersgracht 1",
    "ship_postal_code": "1015 CJ",
    "ship_city": "Amsterdam",
    "ship_country": "NL",
}


def row(reference: str, sku: str, quantity: int | str = 1, **cells) -> dict:
    return {
        "order_reference": reference,
        "email": f"{reference.lower()}@example.com",
        "full_name": "Anna de Vries",
        "sku": sku,
        "quantity": str(quantity),
        "delivery_method": "standard",
        "payment_method": "bank_transfer",
        **ADDRESS,
        **cells,
    }


def csv_file(rows: list[dict], *, delimiter: str = ",", columns=None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or COLUMN_NAMES, delimiter=delimiter, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(content: bytes, *, source: str = "Marketplace") -> OrderImport:
    return order_import_create(
        source=source, file_name="orders.csv", content=content, placed_via="Import", created_by=staff_member("Managers")
    )


@pytest.fixture
def shop(catalogue):
    delivery_method_build(code="standard")
    return catalogue


def test_a_good_file_places_its_orders_through_the_checkout(shop):
    content = csv_file([row("MP-1", "CHAIR-1", 2), row("MP-1", "BOOK-1", 1), row("MP-2", "LAMP-1", 1)])

    job = upload(content)

    assert (job.status, job.rows_total, job.orders_total, job.orders_done) == ("done", 3, 2, 2)
    first = ExternalOrderReference.objects.get(source="Marketplace", reference="MP-1").order
    assert first.channel == Order.Channel.IMPORT and first.status == Order.Status.VERIFIED
    assert sorted(first.lines.values_list("sku", "quantity", "unit_price")) == [
        ("BOOK-1", 1, shop.book.price),
        ("CHAIR-1", 2, shop.chair.price),
    ]
    assert first.email == "mp-1@example.com" and first.shipping_address.city == "Amsterdam"
    assert first.billing_address.line1 == "Keizersgracht 1"  # blank billing columns: the delivery address
    placed = first.events.get(kind=OrderEvent.Kind.ORDER_PLACE)
    assert placed.actor == job.created_by
    assert sorted(job.references.values_list("reference", flat=True)) == ["MP-1", "MP-2"]


def test_a_file_with_two_bad_rows_creates_nothing_and_names_both(shop):
    content = csv_file(
        [
            row("MP-1", "CHAIR-1"),
            row("MP-2", "NO-SUCH-SKU"),
            row("MP-3", "BOOK-1"),
            row("MP-4", "LAMP-1", quantity="two"),
        ]
    )

    job = upload(content)

    assert job.status == OrderImport.Status.REFUSED
    assert [(p["row"], p["column"]) for p in job.problems] == [(3, "sku"), (5, "quantity")]
    assert "NO-SUCH-SKU" in job.problems[0]["message"] and "“two”" in job.problems[1]["message"]
    assert not Order.objects.exists() and not ExternalOrderReference.objects.exists()


def test_the_same_file_twice_creates_nothing_the_second_time(shop):
    content = csv_file([row("MP-1", "CHAIR-1"), row("MP-2", "BOOK-1")])
    upload(content)

    again = upload(content)

    assert (again.status, again.orders_total, again.orders_done, again.orders_skipped) == ("done", 0, 0, 2)
    assert Order.objects.count() == 2
    # a later file repeating those rows adds only its new order; another source may reuse the numbers
    assert upload(csv_file([row("MP-1", "CHAIR-1"), row("MP-3", "BOOK-1")])).orders_done == 1
    assert upload(content, source="Wholesale").orders_done == 2


def test_rows_of_one_order_must_agree_on_the_order(shop):
    content = csv_file([row("MP-1", "CHAIR-1"), row("MP-1", "BOOK-1", email="other@example.com")])

    job = upload(content)

    assert [(p["row"], p["column"]) for p in job.problems] == [(3, "email")]
    assert "Differs from row 2" in job.problems[0]["message"]


def test_what_placement_would_refuse_is_found_before_anything_is_made(shop):
    ShippingZone.objects.create(name="Benelux", countries=["NL", "BE", "LU"])
    local = delivery_method_build(code="local", name="Local courier")
    local.zones.set(ShippingZone.objects.all())
    content = csv_file(
        [
            row("MP-1", "CHAIR-1", delivery_method="local"),
            row("MP-2", "CHAIR-1", delivery_method="local", ship_country="DE"),
            row("MP-3", "CHAIR-1", payment_method="on_invoice"),
            row("MP-4", "CHAIR-1", payment_method="card", ship_country="XX", ship_city=""),
        ]
    )

    job = upload(content)

    assert [(p["row"], p["column"]) for p in job.problems] == [
        (3, "delivery_method"),
        (4, "payment_method"),
        (5, "payment_method"),
        (5, "ship_city"),
        (5, "ship_country"),
    ]
    assert "Local courier does not deliver this order to DE" in job.problems[0]["message"]
    assert not Order.objects.exists()


def test_a_header_without_the_needed_columns_is_refused_at_row_one(shop):
    columns = [name for name in COLUMN_NAMES if name != "sku"] + ["colour"]
    job = upload(csv_file([row("MP-1", "CHAIR-1")], columns=columns))

    assert sorted((p["row"], p["column"]) for p in job.problems) == [(1, "colour"), (1, "sku")]


def test_a_spreadsheet_saved_with_semicolons_reads_the_same(shop):
    job = upload(csv_file([row("MP-1", "CHAIR-1", 2)], delimiter=";"))

    assert (job.status, job.orders_done) == ("done", 1)


def test_the_template_names_every_column_and_is_itself_a_valid_file(shop):
    template = order_import_template()

    header = next(csv.reader(io.StringIO(template)))
    assert tuple(header) == COLUMN_NAMES
    job = upload(template.encode())
    assert (job.status, job.orders_done) == ("done", 1)
    assert sorted(Order.objects.get().lines.values_list("sku", flat=True)) == ["CHAIR-1", "LAMP-1"]


def test_a_large_file_is_queued_for_the_worker_which_places_it_in_batches(
    shop, settings, django_capture_on_commit_callbacks
):
    settings.ORDER_IMPORT_ROWS_IN_REQUEST = 3
    settings.ORDER_IMPORT_BATCH = 2
    content = csv_file([row(f"MP-{n}", "BOOK-1") for n in range(5)])

    with django_capture_on_commit_callbacks(execute=True):  # the worker's task runs after the commit
        job = upload(content)
        assert job.status == OrderImport.Status.QUEUED and not Order.objects.exists()

    job.refresh_from_db()
    assert (job.status, job.orders_total, job.orders_done) == ("done", 5, 5)
    assert Order.objects.filter(channel=Order.Channel.IMPORT).count() == 5


def test_a_file_that_is_not_csv_text_is_refused_with_one_clear_problem(shop):
    job = upload(csv_file([row("MP-1", "CHAIR-1")]).decode().encode("utf-16"))

    assert job.status == OrderImport.Status.REFUSED
    assert [p["message"] for p in job.problems] == [
        "This is not a CSV text file (it holds NUL characters): save it as “CSV UTF-8”."
    ]


def test_an_import_whose_worker_died_is_resumed_by_the_beat_without_placing_twice(
    shop, settings, django_capture_on_commit_callbacks
):
    settings.ORDER_IMPORT_ROWS_IN_REQUEST = 1
    job = upload(csv_file([row("MP-1", "CHAIR-1"), row("MP-2", "BOOK-1")]))  # queued; its task never ran
    assert job.status == OrderImport.Status.QUEUED
    assert order_imports_requeue_stale() == 0  # not overdue yet
    OrderImport.objects.filter(pk=job.pk).update(
        status=OrderImport.Status.RUNNING, touched_at=timezone.now() - timedelta(minutes=20)
    )  # a worker took it and died

    with django_capture_on_commit_callbacks(execute=True):
        assert order_imports_requeue_stale() == 1

    job.refresh_from_db()
    assert (job.status, job.orders_done) == ("done", 2)
    assert Order.objects.count() == 2
