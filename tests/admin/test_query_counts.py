"""Changelists run the same number of queries for 3 rows as for 15 (CONVENTIONS rule 13)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecycle.settlement import payment_record
from tests.builders import feedback_given, stock_put

from .journeys import place, place_held_for_address

pytestmark = pytest.mark.django_db


@pytest.fixture
def plenty_of_books(catalogue):
    stock_put(product=catalogue.book, warehouse=catalogue.second, quantity=100)
    return catalogue


def partly_paid(catalogue, staff_users):
    """A delivered order whose invoice got 1.00 of its total."""
    invoice = place(catalogue, state="invoiced", actor=staff_users["Warehouse"]).invoices.get()
    payment_record(
        invoice=invoice, amount=Decimal("1.00"), method="bank_transfer", actor=staff_users["Customer service"]
    )


def queries_for(browser, url) -> tuple[int, int]:
    """(queries, rows shown) for one changelist page."""
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    return len(captured), len(response.context["cl"].result_list)


def grows(browser, url, add_rows) -> tuple[tuple[int, int], tuple[int, int]]:
    """The page's (queries, rows) with 3 rows, then with 15."""
    browser.get(url)  # warm up: the session and anything cached per process
    add_rows(3)
    small = queries_for(browser, url)
    add_rows(12)
    large = queries_for(browser, url)
    return small, large


def assert_flat(small, large):
    (small_queries, small_rows), (large_queries, large_rows) = small, large
    assert (small_rows, large_rows) == (3, 15)
    assert small_queries == large_queries, f"{small_queries} queries for 3 rows, {large_queries} for 15"


@pytest.mark.parametrize("group", ["Customer service", "Warehouse"])
def test_order_changelist(plenty_of_books, staff_client, group):
    def add_orders(n):
        for i in range(n):
            # Held and verified orders mixed: the hold reasons column reads checks
            (place_held_for_address if i % 2 else place)(plenty_of_books)

    assert_flat(*grows(staff_client(group), reverse("admin:orders_order_changelist"), add_orders))


def test_on_hold_queue(plenty_of_books, staff_client):
    def add_held(n):
        for _ in range(n):
            place_held_for_address(plenty_of_books)

    url = reverse("admin:orders_order_changelist") + "?hold_reason=customer"
    assert_flat(*grows(staff_client("Customer service"), url, add_held))


def test_shipment_changelist(plenty_of_books, staff_client, staff_users):
    def add_shipments(n):
        for _ in range(n):
            place(plenty_of_books, state="packed", actor=staff_users["Warehouse"])

    assert_flat(*grows(staff_client("Warehouse"), reverse("admin:orders_shipment_changelist"), add_shipments))


def test_invoice_changelist(plenty_of_books, staff_client, staff_users):
    def add_invoices(n):
        for _ in range(n):
            partly_paid(plenty_of_books, staff_users)

    assert_flat(*grows(staff_client("Customer service"), reverse("admin:invoicing_invoice_changelist"), add_invoices))


def test_payment_changelist(plenty_of_books, staff_client, staff_users):
    def add_payments(n):
        for _ in range(n):
            partly_paid(plenty_of_books, staff_users)

    assert_flat(*grows(staff_client("Customer service"), reverse("admin:invoicing_payment_changelist"), add_payments))


def test_feedback_changelist(plenty_of_books, staff_client, staff_users):
    def add_feedback(n):
        for i in range(n):
            order = place(plenty_of_books, state="completed")
            feedback_given(order, rating=1 + i % 5, comment="ok")

    assert_flat(*grows(staff_client("Customer service"), reverse("admin:feedback_feedback_changelist"), add_feedback))


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:orders_orderevent_changelist",
        "admin:orders_emailnotification_changelist",
        "admin:orders_orderline_changelist",
        "admin:orders_ordercheck_changelist",
    ],
)
def test_other_order_record_changelists(plenty_of_books, admin_client, url_name):
    # Rows per order differ per list; compare one order's worth against five orders' worth.
    browser = admin_client
    url = reverse(url_name)
    browser.get(url)
    place(plenty_of_books)
    small_queries, small_rows = queries_for(browser, url)
    for _ in range(4):
        place(plenty_of_books)
    large_queries, large_rows = queries_for(browser, url)

    assert large_rows > small_rows
    assert small_queries == large_queries
