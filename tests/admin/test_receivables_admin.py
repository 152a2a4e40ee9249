"""The receivables page (totals per ageing bucket, customers most overdue first) and the customer
statement PDF in the console; the page's queries do not grow with the customers it lists."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from invoicing.models import Invoice
from tests.builders import customer_build, order_build
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db

RECEIVABLES = "admin:invoicing_receivables"


def overdue_for(catalogue, name: str, days: int) -> Invoice:
    invoice = order_build(state="invoiced", lines=[(catalogue.book, 1)], customer=customer_build(full_name=name))
    invoice = invoice.invoices.get()
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - timedelta(days=days))
    return invoice


def test_the_page_shows_the_ageing_and_links_each_customers_statement(catalogue, staff_client):
    late = overdue_for(catalogue, "Late Larry", 70)
    overdue_for(catalogue, "Prompt Petra", -3)
    browser = staff_client("Customer service")
    assert reverse(RECEIVABLES) in browser.get(reverse("admin:invoicing_invoice_changelist")).text

    page = browser.get(reverse(RECEIVABLES))

    assert [row["customer"].name for row in page.context["rows"]] == ["Late Larry", "Prompt Petra"]
    assert page.context["figures"].buckets["d61_90"] == late.total
    only_overdue = browser.get(reverse(RECEIVABLES), {"overdue": "1"})
    assert [row["customer"].name for row in only_overdue.context["rows"]] == ["Late Larry"]
    statement = browser.get(page.context["rows"][0]["statement_url"])
    assert statement["Content-Type"] == "application/pdf"
    assert late.number in pdf_text(statement.content) and "61-90 days overdue" in pdf_text(statement.content)
    customer_page = browser.get(reverse("admin:orders_customer_change", args=[late.order.customer_id])).text
    assert page.context["rows"][0]["statement_url"] in customer_page


def test_the_warehouse_does_not_see_receivables(catalogue, staff_client):
    assert staff_client("Warehouse").get(reverse(RECEIVABLES)).status_code == 403


def test_the_page_costs_the_same_for_two_customers_or_twelve(catalogue, staff_client):
    browser = staff_client("Managers")
    browser.get(reverse(RECEIVABLES))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(reverse(RECEIVABLES)).status_code == 200
        return len(captured)

    for n in range(2):
        overdue_for(catalogue, f"Customer {n}", 10 * n)
    few = queries()
    for n in range(2, 12):
        overdue_for(catalogue, f"Customer {n}", 10 * n)
    assert queries() == few
