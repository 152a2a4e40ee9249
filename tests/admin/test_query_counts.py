"""Changelists run the same number of queries for 3 rows as for 15 (CONVENTIONS rule 13)."""

import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.services import stock_receive
from invoicing.services import refund_create, store_credit_issue
from invoicing.services.reminders import reminders_send_due
from lifecycle.bank_statements import bank_statement_import
from lifecycle.credit_notes import credit_note_issue
from lifecycle.settlement import payment_record
from orders.models import Order
from tests.builders import customer_build, feedback_given, order_edited, reminder_levels_build, stock_put

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
    return invoice


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


def test_credit_note_changelist(plenty_of_books, staff_client, staff_users):
    def add_credit_notes(n):
        for _ in range(n):
            invoice = partly_paid(plenty_of_books, staff_users)
            credit_note_issue(invoice=invoice, amount=Decimal("1.00"), reason="Goodwill", actor=staff_users["Managers"])

    assert_flat(
        *grows(staff_client("Customer service"), reverse("admin:invoicing_creditnote_changelist"), add_credit_notes)
    )


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


def test_order_version_changelist(plenty_of_books, admin_client, staff_users):
    def add_versions(n):
        for _ in range(n):
            order = place(plenty_of_books, lines=[(plenty_of_books.book, 1)])
            order_edited(order, lines=[(plenty_of_books.book, 2)], actor=staff_users["Customer service"])

    assert_flat(*grows(admin_client, reverse("admin:orders_orderversion_changelist"), add_versions))


# -- the large lists searched, filtered and paged (bench/admin_scale.py times them at a million orders) --


def test_stock_movement_changelist(catalogue, admin_client):
    def add_receipts(n):
        for _ in range(n):
            stock_receive(product=catalogue.lamp, warehouse=catalogue.main, quantity=1, reference="PO-FLAT")

    url = reverse("admin:inventory_stockmovement_changelist") + "?q=PO-FLAT"
    assert_flat(*grows(admin_client, url, add_receipts))


def test_customer_changelist(staff_client):
    def add_customers(n):
        for _ in range(n):
            customer_build()

    assert_flat(*grows(staff_client("Customer service"), reverse("admin:orders_customer_changelist"), add_customers))


@pytest.mark.parametrize(
    "query",
    [
        {"q": "flat-"},  # e-mail prefix: the orders' own e-mail and their customers' e-mail
        {"channel__exact": "phone"},
        {"placed_at__gte": "2000-01-01 00:00:00+00:00"},
    ],
    ids=["search", "filter", "date-filter"],
)
def test_order_changelist_searched_or_filtered(plenty_of_books, staff_client, query):
    def add_orders(n):
        for _ in range(n):
            customer = customer_build(email=f"flat-{uuid.uuid4().hex[:8]}@example.com")
            place(plenty_of_books, customer=customer, channel="phone")

    url = reverse("admin:orders_order_changelist") + "?" + urlencode(query)
    assert_flat(*grows(staff_client("Customer service"), url, add_orders))


def test_a_later_page_of_the_order_list_costs_the_same_as_the_first(plenty_of_books, admin_client, monkeypatch):
    monkeypatch.setattr(admin.site._registry[Order], "list_per_page", 2)
    url = reverse("admin:orders_order_changelist")
    for _ in range(6):
        place(plenty_of_books)
    admin_client.get(url)

    first_queries, first_rows = queries_for(admin_client, url)
    third_queries, third_rows = queries_for(admin_client, url + "?p=3")

    assert (first_rows, third_rows) == (2, 2)
    assert first_queries == third_queries


def overpaid_by_transfer(catalogue, staff_users, extra=Decimal("2.00")):
    """A delivered order whose invoice was paid `extra` too much by bank transfer."""
    invoice = place(catalogue, state="invoiced", actor=staff_users["Warehouse"]).invoices.get()
    payment_record(
        invoice=invoice, amount=invoice.total + extra, method="bank_transfer", actor=staff_users["Customer service"]
    )
    return invoice.order


@pytest.mark.parametrize("query", ["", "?queue=transfer", "?status=pending", "?method=bank_transfer"])
def test_refund_changelist(plenty_of_books, staff_client, staff_users, query):
    def add_refunds(n):
        for _ in range(n):
            refund_create(
                order=overpaid_by_transfer(plenty_of_books, staff_users),
                amount=Decimal("2.00"),
                method="bank_transfer",
                reason="Paid twice",
                iban="NL91ABNA0417164300",
                account_holder="Anna",
                actor=staff_users["Customer service"],
            )

    url = reverse("admin:invoicing_refund_changelist") + query
    assert_flat(*grows(staff_client("Customer service"), url, add_refunds))


@pytest.mark.parametrize(
    "url_name", ["admin:invoicing_storecreditaccount_changelist", "admin:invoicing_storecreditentry_changelist"]
)
def test_store_credit_changelists(staff_client, staff_users, url_name):
    def add_credit(n):
        for _ in range(n):
            store_credit_issue(
                customer=customer_build(), amount=Decimal("5.00"), reason="Sorry", actor=staff_users["Managers"]
            )

    assert_flat(*grows(staff_client("Customer service"), reverse(url_name), add_credit))


@pytest.mark.parametrize("query", ["", "?level__id__exact=1"])
def test_payment_reminder_changelist(plenty_of_books, staff_client, staff_users, query):
    first = reminder_levels_build()[0]

    def add_reminders(n):
        for _ in range(n):
            invoice = place(plenty_of_books, state="invoiced", actor=staff_users["Warehouse"]).invoices.get()
            reminders_send_due(today=invoice.due_date + timedelta(days=first.days_after_due))

    url = reverse("admin:invoicing_invoicereminder_changelist") + query.replace("=1", f"={first.pk}")
    assert_flat(*grows(staff_client("Customer service"), url, add_reminders))


@pytest.mark.parametrize(
    "url",
    [
        "admin:invoicing_bankstatemententry_changelist",
        "admin:invoicing_bankstatemententry_changelist?status__exact=unmatched",
        "admin:invoicing_bankstatement_changelist",
    ],
)
def test_bank_statement_changelists(plenty_of_books, staff_client, staff_users, url):
    name, _, query = url.partition("?")

    def add_statements(n):
        for _ in range(n):
            invoice = place(plenty_of_books, state="invoiced", actor=staff_users["Warehouse"]).invoices.get()
            bank_statement_import(  # each a statement of one credit, matched when it names the order
                name="bank.csv",
                content=(
                    "date,amount,currency,counterparty,iban,remittance\n"
                    f"2026-12-01,1.00,EUR,Anna,,{invoice.order.payment_reference if 'unmatched' not in query else '?'}"
                    f" {uuid.uuid4().hex}\n"
                ).encode(),
                actor=staff_users["Customer service"],
            )

    assert_flat(
        *grows(staff_client("Customer service"), reverse(name) + ("?" + query if query else ""), add_statements)
    )
