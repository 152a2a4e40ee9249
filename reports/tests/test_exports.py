"""Exports of the console's lists: what the list shows (its filters, its search, the date range),
read back from the CSV and the XLSX and compared with the database; money exact, moments in the
shop's time zone, formulas neutralised; big exports through the worker with progress, a link by
e-mail and an expiry; managers only."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from orders.models import Order
from reports.models import ExportJob
from reports.services import export_jobs_expire
from tests.builders import CUSTOMER_SERVICE, customer_build, order_advance, order_build, staff_member

pytestmark = pytest.mark.django_db

ORDERS = reverse("admin:orders_order_changelist")


def export_url(key: str) -> str:
    return reverse("admin:reports_export", args=[key])


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # a byte-order mark, so spreadsheets read UTF-8
    return list(csv.reader(io.StringIO(body[1:])))


def xlsx_rows(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def orders(catalogue):
    """Three orders: two verified, one cancelled."""
    made = [order_build(lines=[(catalogue.book, n + 1)], state="verified") for n in range(3)]
    order_advance(order=made[2], state="cancelled", actor=staff_member(CUSTOMER_SERVICE))
    return [Order.objects.get(pk=order.pk) for order in made]


def test_the_order_list_exports_what_it_shows_as_csv(orders, browser_as):
    response = browser_as("Managers").get(export_url("orders"), {"format": "csv", "status__exact": "cancelled"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header[:3] == ["Order", "Placed", "Status"]
    cancelled = orders[2]
    assert [row[0] for row in rows] == [cancelled.number]
    row = dict(zip(header, rows[0], strict=True))
    assert row["Status"] == "Cancelled"  # the label, not the stored code
    assert row["Placed"] == f"{timezone.localtime(cancelled.placed_at):%Y-%m-%d %H:%M:%S}"  # shop time
    assert (row["Tax"], row["Total"]) == (str(cancelled.tax_total), str(cancelled.total))  # exact decimals


def test_the_same_list_as_xlsx_reads_back_equal_to_the_database(orders, browser_as):
    response = browser_as("Managers").get(export_url("orders"), {"format": "xlsx", "q": orders[0].number})

    assert response.status_code == 200
    header, *rows = xlsx_rows(b"".join(response.streaming_content))
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Order"] == orders[0].number
    assert Decimal(str(row["Total"])) == orders[0].total
    assert Decimal(str(row["Goods before discount"])) == orders[0].subtotal
    assert row["Placed"] == timezone.localtime(orders[0].placed_at).replace(tzinfo=None, microsecond=0)


def test_order_lines_of_a_date_range_only(orders, browser_as):
    Order.objects.filter(pk=orders[0].pk).update(placed_at=timezone.now() - timedelta(days=40))
    today = timezone.localdate()

    response = browser_as("Managers").get(
        export_url("order_lines"),
        {"format": "csv", "first_day": (today - timedelta(days=7)).isoformat(), "last_day": today.isoformat()},
    )

    header, *rows = csv_rows(response)
    assert sorted(row[0] for row in rows) == sorted(order.number for order in orders[1:])
    quantity = {row[0]: row[header.index("Quantity")] for row in rows}
    assert quantity[orders[1].number] == "2"


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised(catalogue, browser_as):
    customer = customer_build(full_name='=HYPERLINK("http://evil.example","Click")')
    order = order_build(lines=[(catalogue.book, 1)], state="verified", customer=customer)
    browser = browser_as("Managers")

    header, *rows = csv_rows(browser.get(export_url("orders"), {"format": "csv", "q": order.number}))
    assert rows[0][header.index("Customer")] == "'" + customer.full_name

    response = browser.get(export_url("orders"), {"format": "xlsx", "q": order.number})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cell = sheet.cell(row=2, column=header.index("Customer") + 1)
    assert (cell.value, cell.data_type) == (customer.full_name, "s")  # text, not a formula


def test_stock_levels_export_with_what_is_available(catalogue, browser_as):
    header, *rows = csv_rows(browser_as("Managers").get(export_url("stock_levels"), {"format": "csv"}))

    available = {(row[0], row[2]): row[header.index("Available")] for row in rows}
    assert available[("CHAIR-1", "AMS")] == "10"
    assert available[("BOOK-1", "RTM")] == "20"


def test_only_managers_export_and_see_the_export_links(orders, browser_as):
    assert browser_as("Customer service").get(export_url("orders"), {"format": "csv"}).status_code == 403
    assert browser_as("Warehouse").get(export_url("stock_levels"), {"format": "csv"}).status_code == 403
    assert 'data-testid="export-csv"' not in browser_as("Customer service").get(ORDERS).content.decode()
    page = browser_as("Managers").get(ORDERS, {"status__exact": "cancelled"}).content.decode()
    assert f'href="{export_url("orders")}?status__exact=cancelled&amp;format=csv"' in page


def test_a_wrong_format_or_filter_is_told_not_a_500(orders, browser_as):
    browser = browser_as("Managers")

    response = browser.get(export_url("orders"), {"format": "pdf"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Export as CSV or XLSX."]
    response = browser.get(export_url("orders"), {"format": "csv", "placed_at__gte": "not a date"}, follow=True)
    assert response.status_code == 200
    response = browser.get(export_url("orders"), {"format": "csv", "first_day": "2026-13-45"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "“2026-13-45” is not a date (YYYY-MM-DD); nothing was exported."
    ]
    assert browser.get(export_url("nothing"), {"format": "csv"}).status_code == 404


def test_a_big_export_runs_in_the_worker_with_progress_a_link_by_email_and_an_expiry(
    orders, browser_as, staff_users, settings, django_capture_on_commit_callbacks
):
    settings.REPORTS_EXPORT_ROWS_IN_REQUEST = 2
    manager = staff_users["Managers"]
    manager.email = "manager@example.com"
    manager.save()
    browser = browser_as("Managers")

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.get(export_url("orders"), {"format": "xlsx"})

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:reports_exportjob_change", args=[job.pk])
    assert (job.status, job.rows_done, job.rows_total, job.percent) == ("done", 3, 3, 100)
    page = browser.get(response["Location"]).content.decode()
    assert "3 of 3 rows" in page
    assert 'http-equiv="refresh"' not in page  # done: the page no longer refreshes itself
    download = browser.get(reverse("admin:reports_exportjob_download", args=[job.pk]))
    header, *rows = xlsx_rows(b"".join(download.streaming_content))
    assert sorted(row[0] for row in rows) == sorted(order.number for order in orders)
    (message,) = [m for m in mail.outbox if m.to == ["manager@example.com"]]
    assert reverse("admin:reports_exportjob_change", args=[job.pk]) in message.body

    assert export_jobs_expire(now=job.expires_at + timedelta(seconds=1)) == 1
    job.refresh_from_db()
    assert (job.status, job.file.name) == ("expired", "")
    assert browser.get(reverse("admin:reports_exportjob_download", args=[job.pk])).status_code == 404


def test_a_running_job_page_refreshes_itself_and_shows_its_progress(browser_as, staff_users):
    job = ExportJob.objects.create(
        kind="orders", file_format="csv", status="running", rows_total=1000, rows_done=250,
        requested_by=staff_users["Managers"],
    )  # fmt: skip

    page = browser_as("Managers").get(reverse("admin:reports_exportjob_change", args=[job.pk])).content.decode()

    assert '<meta http-equiv="refresh" content="3">' in page
    assert "250 of 1000 rows" in page
    assert 'value="25"' in page
