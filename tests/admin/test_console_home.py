"""The console's home (issue 10, item 1): the person's work queues, each a count that opens the list
of exactly those rows, shown per staff group, counted in one indexed query each."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.models import Feedback, FeedbackRequest
from invoicing.models import AmountOwedBack, BankStatement, BankStatementEntry, Invoice, Payment, Refund
from invoicing.services import refund_create
from invoicing.services.owed_back import amount_owed_back_record
from lifecycle.bank_statements import bank_statement_import
from lifecycle.credit_notes import credit_note_issue
from lifecycle.returns import return_request_receive
from lifecycle.settlement import payment_record
from orders.models import Order, OrderCheck, OrderLine, ReturnRequest, Shipment, ShipmentLine, WorkItem
from orders.selectors import HOLD_REASONS
from orders.services.fulfillment import shipment_fail_delivery, shipment_return_to_sender, shipment_start_picking
from orders.services.return_requests import return_request_authorise, return_request_create
from orders.services.returns import shipment_receive_back, shipment_return_decide
from orders_site.core.work_queues import work_queue_shown, work_queues
from tests.builders import (
    address_data,
    feedback_given,
    order_row,
    parcels_of,
    product_build,
    stock_put,
)

from .journeys import place, place_held_for_address, place_held_for_stock

pytestmark = pytest.mark.django_db

HOME = reverse("admin:index")

CUSTOMER_SERVICE_QUEUES = [
    "orders.to_verify",
    "orders.on_hold",
    "orders.backordered",
    "feedback.follow_up",
    "shipments.returned_undecided",
    "invoicing.owed_back",
    "invoicing.refunds_failed",
    "returns.requested",
    "returns.received",
]
WAREHOUSE_QUEUES = [
    "orders.to_fulfil",
    "shipments.to_pick",
    "work_items.open",
    "shipments.to_pack",
    "shipments.waiting_for_work",
    "shipments.to_ship",
    "shipments.delivery_failed",
    "returns.authorised",
]
ACCOUNTS_QUEUES = [
    "invoices.open",
    "invoices.overdue",
    "invoicing.refunds_to_transfer",
    "invoicing.bank_credits_to_match",
]


def shown(response) -> dict[str, object]:
    """The queues the home shows, by key."""
    assert response.status_code == 200
    return {queue.key: queue for heading in response.context["work_queue_headings"] for queue in heading.queues}


def headings(response) -> list[tuple[str, list[str]]]:
    return [(h.title, [q.key for q in h.queues]) for h in response.context["work_queue_headings"]]


def listed_count(browser, url) -> int:
    """How many rows the list behind a link says it holds (an exact count: the list is filtered)."""
    response = browser.get(url)
    assert response.status_code == 200, url
    changelist = response.context["cl"]
    assert changelist.paginator.count_kind == "exact", url
    return changelist.result_count


def overdue(invoice: Invoice) -> Invoice:
    """Three weeks later: the invoice's 14 days to pay ran out a week ago (time passing, not a state)."""
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - timedelta(days=7))
    return invoice


@pytest.fixture
def busy_shop(catalogue, staff_users, django_capture_on_commit_callbacks):
    """Work waiting in every queue, reached through the services, in these numbers."""
    warehouse = staff_users["Warehouse"]
    stock_put(product=catalogue.book, warehouse=catalogue.second, quantity=100)
    desk = product_build(sku="DESK-1", name="Walnut desk", price=Decimal("20.00"), is_backorderable=True)

    order_row(status=Order.Status.PLACED)  # checks not run (placement crashed half-way, say)
    place_held_for_address(catalogue)
    place_held_for_address(catalogue)
    place_held_for_stock(catalogue)
    # held for two reasons at once: counted under both, once in the total
    place(catalogue, state="on_hold", lines=[(catalogue.chair, 11)], shipping_address=address_data(postal_code="12"))
    place(catalogue, state="backordered", lines=[(desk, 1)])
    place(catalogue)
    place(catalogue)
    # two parcels, Amsterdam and Rotterdam, both to pick; then one of another order being picked
    place(catalogue, lines=[(catalogue.lamp, 7)], state="in_fulfillment", actor=warehouse)
    picking = place(catalogue, state="in_fulfillment", actor=warehouse)
    shipment_start_picking(shipment=parcels_of(picking)[0], actor=warehouse)
    # being picked, and waiting for its work item (the book's gift inscription)
    inscribed = place(
        catalogue, lines=[(catalogue.book, 1, "Inscribe: for Anna")], state="in_fulfillment", actor=warehouse
    )
    shipment_start_picking(shipment=parcels_of(inscribed)[0], actor=warehouse)
    place(catalogue, state="packed", actor=warehouse)
    failed = place(catalogue, state="shipped", actor=warehouse)
    shipment_fail_delivery(shipment=parcels_of(failed)[0], actor=warehouse, note="Nobody home")
    # returned to sender: one waiting for customer service's decision, one decided already
    for decided in (False, True):
        returned = parcels_of(place(catalogue, state="shipped", actor=warehouse))[0]
        returned = shipment_fail_delivery(shipment=returned, actor=warehouse)
        returned = shipment_receive_back(shipment=shipment_return_to_sender(shipment=returned, actor=warehouse))
        if decided:
            shipment_return_decide(shipment=returned, decision="refund_due", actor=staff_users["Customer service"])
    place(catalogue, state="invoiced", actor=warehouse)
    partly = place(catalogue, state="invoiced", actor=warehouse).invoices.get()
    payment_record(
        invoice=partly, amount=Decimal("1.00"), method="bank_transfer", actor=staff_users["Customer service"]
    )
    overdue(place(catalogue, state="invoiced", actor=warehouse).invoices.get())
    feedback_given(place(catalogue, state="completed"), rating=1, comment="Arrived broken")
    feedback_given(place(catalogue, state="completed"), rating=5, comment="Lovely")
    # an edit made a paid-by-card order cheaper: owed back once; another row was settled already
    cheaper = place(catalogue, payment_method="card")
    amount_owed_back_record(order=cheaper, amount=Decimal("5.00"), order_version=1, reason="Version 1: one less")
    settled = amount_owed_back_record(order=cheaper, amount=Decimal("2.00"), order_version=2, reason="Version 2")
    AmountOwedBack.objects.filter(pk=settled.pk).update(settled_at=timezone.now())
    # a refund the card issuer declined (what it was for is still owed back), and an over-payment
    # to pay back by bank transfer
    service = staff_users["Customer service"]
    declined = place(catalogue, state="completed", payment_method="card", card_token="4000000000000051")
    invoice = declined.invoices.get()
    credit = credit_note_issue(invoice=invoice, units={invoice.lines.get().pk: 1}, reason="Damaged", actor=service)
    with django_capture_on_commit_callbacks(execute=True):
        refund_create(order=declined, amount=credit.total, method="card", reason="Damaged", actor=service)
    overpaid = place(catalogue, state="invoiced", actor=warehouse).invoices.get()
    payment_record(invoice=overpaid, amount=overpaid.total + 5, method="bank_transfer", actor=service)
    refund_create(
        order=overpaid.order,
        amount=Decimal("5.00"),
        method="bank_transfer",
        reason="Paid twice",
        iban="NL91ABNA0417164300",
        account_holder="Anna",
        actor=service,
    )
    # returns: one asked for, one authorised and on its way, one received and to refund
    for steps in range(3):
        delivered = place(catalogue, state="completed")
        request = return_request_create(
            order=delivered, units={delivered.lines.get().pk: 1}, reason="damaged", actor=service, for_customer=True
        )
        if steps >= 1:
            request = return_request_authorise(return_request=request, actor=service)
        if steps >= 2:
            return_request_receive(return_request=request, received={request.lines.get().pk: (1, 0)}, actor=warehouse)
    # a bank statement with a credit no invoice was found for
    bank_statement_import(
        name="bank.csv",
        content=b"date,amount,currency,counterparty,iban,remittance\n2026-12-01,12.34,EUR,Aunt Mary,,Birthday\n",
        actor=service,
    )
    return catalogue


EXPECTED = {
    "orders.to_verify": 1,
    "orders.on_hold": 4,
    "orders.backordered": 1,
    "feedback.follow_up": 1,
    "orders.to_fulfil": 3,  # two, and the card order that is owed money back
    "shipments.to_pick": 2,
    "shipments.to_pack": 2,
    "work_items.open": 1,
    "shipments.waiting_for_work": 1,
    "shipments.to_ship": 1,
    "shipments.delivery_failed": 1,
    "shipments.returned_undecided": 1,
    "invoices.open": 3,
    "invoices.overdue": 1,
    "invoicing.owed_back": 2,  # the edit's, and the declined refund's credit note
    "invoicing.refunds_failed": 1,
    "invoicing.refunds_to_transfer": 1,
    "invoicing.bank_credits_to_match": 1,
    "returns.requested": 1,
    "returns.authorised": 1,
    "returns.received": 1,
}


def test_each_queue_counts_its_work_and_its_link_lists_the_same_rows(busy_shop, admin_client):
    # When a manager opens the console's home
    queues = shown(admin_client.get(HOME))

    # Then every queue shows how much waits in it
    assert {key: queue.count for key, queue in queues.items()} == EXPECTED
    # And the on-hold queue says why: an order held for two reasons counts under both (eleven chairs
    # are also a first order above the risk rules' 500)
    on_hold = {part.title: part.count for part in queues["orders.on_hold"].parts}
    assert on_hold == {HOLD_REASONS["customer"]: 3, HOLD_REASONS["stock"]: 2, HOLD_REASONS["risk"]: 2}
    # And each link opens a list of exactly as many rows
    for key, queue in queues.items():
        assert listed_count(admin_client, queue.url) == queue.count, key
        for part in queue.parts:
            assert listed_count(admin_client, part.url) == part.count, (key, part.title)


def test_the_links_open_the_lists_a_person_expects(busy_shop, admin_client):
    queues = shown(admin_client.get(HOME))

    assert queues["orders.on_hold"].url == reverse("admin:orders_order_changelist") + "?status__exact=on_hold"
    assert queues["shipments.to_pick"].url == reverse("admin:orders_shipment_changelist") + "?status__exact=pending"
    assert queues["invoices.overdue"].url == reverse("admin:invoicing_invoice_changelist") + "?payment=overdue"
    assert queues["feedback.follow_up"].url == reverse("admin:feedback_feedback_changelist") + "?follow_up=open"
    customer_part = next(p for p in queues["orders.on_hold"].parts if p.title == HOLD_REASONS["customer"])
    assert customer_part.url.endswith("?status__exact=on_hold&hold_reason=customer")


def test_the_page_shows_the_counts_as_links_and_the_models_below(busy_shop, admin_client):
    page = admin_client.get(HOME).text

    to_pick = page.split('data-queue="shipments.to_pick"')[1].split("</li>")[0]
    assert 'href="/admin/orders/shipment/?status__exact=pending"' in to_pick
    assert 'data-count="2"' in to_pick and "To pick" in to_pick
    # the list of models stays, below the queues
    assert page.index('class="work-queues"') < page.index("All records") < page.index('class="app-orders module')


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("Warehouse", [("Warehouse", WAREHOUSE_QUEUES)]),
        # Customer service records payments too (orders_site/core/staff_groups.py), so it sees the accounts
        (
            "Customer service",
            [("Customer service", CUSTOMER_SERVICE_QUEUES), ("Accounts", ACCOUNTS_QUEUES)],
        ),
        (
            "Managers",
            [
                ("Customer service", CUSTOMER_SERVICE_QUEUES),
                ("Warehouse", WAREHOUSE_QUEUES),
                ("Accounts", ACCOUNTS_QUEUES),
            ],
        ),
    ],
)
def test_each_group_sees_its_own_queues(busy_shop, staff_client, group, expected):
    assert headings(staff_client(group).get(HOME)) == expected


def test_a_superuser_sees_every_queue(busy_shop, admin_client):
    assert [key for _, keys in headings(admin_client.get(HOME)) for key in keys] == [
        *CUSTOMER_SERVICE_QUEUES,
        *WAREHOUSE_QUEUES,
        *ACCOUNTS_QUEUES,
    ]


def test_staff_without_any_queue_get_the_models_only(db, client):
    response = staff_without_queues(client).get(HOME)

    assert response.context["work_queue_headings"] == []
    assert 'class="work-queues"' not in response.text
    assert "Products" in response.text


def test_the_hold_reasons_are_the_names_of_the_verification_checks(catalogue):
    # Every check writes one result per run, passed or not: an order placed shows every check's name
    order = place(catalogue)

    assert set(order.checks.values_list("name", flat=True)) == set(HOLD_REASONS)


# -- cost: one query a queue, flat in the rows, each answered by an index ---------------------------------


def rows_in_every_queue(n: int, warehouse) -> None:
    """n bare rows in each queue (a test of counting alone: the rows' states are all that matters)."""
    for status in (Order.Status.PLACED, Order.Status.BACKORDERED, Order.Status.VERIFIED):
        for _ in range(n):
            order_row(status=status)
    held = [order_row(status=Order.Status.ON_HOLD) for _ in range(n)]
    OrderCheck.objects.bulk_create(
        OrderCheck(order=order, name="customer", result=OrderCheck.Result.FAILED, detail="postal code")
        for order in held
    )
    some = held[0]
    Shipment.objects.bulk_create(
        Shipment(order=some, number=f"{status}-{n}-{i}", warehouse=warehouse, status=status)
        for status in (
            Shipment.Status.PENDING,
            Shipment.Status.PICKING,
            Shipment.Status.PACKED,
            Shipment.Status.DELIVERY_FAILED,
            Shipment.Status.RETURNED_TO_SENDER,
        )
        for i in range(n)
    )
    # a work item open on each parcel being picked
    line = OrderLine.objects.create(
        order=some,
        sku="ENGRAVE",
        name="Engraving",
        kind="service",
        quantity=1,
        unit_price=10,
        tax_rate=0,
        net_amount=10,
        tax_amount=0,
        line_total=10,
    )
    for shipment in Shipment.objects.filter(order=some, status=Shipment.Status.PICKING, lines__isnull=True):
        WorkItem.objects.create(
            order=some,
            order_line=line,
            shipment_line=ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=1),
            kind="Engraving",
        )
    Invoice.objects.bulk_create(
        Invoice(
            order=order,
            number=f"INV-{n}-{order.pk}",
            status=Invoice.Status.ISSUED,
            due_date=timezone.localdate() - timedelta(days=1),
            currency="EUR",
            billing_name="Anna",
            billing_address="Amsterdam",
            subtotal=10,
            discount_total=0,
            shipping_total=0,
            tax_total=0,
            total=10,
        )
        for order in held
    )
    AmountOwedBack.objects.bulk_create(
        AmountOwedBack(order=order, amount=1, order_version=1, reason="cheaper after an edit") for order in held
    )
    payments = Payment.objects.bulk_create(
        Payment(order=order, method="card", amount=10, status=Payment.Status.CAPTURED) for order in held
    )
    Refund.objects.bulk_create(
        Refund(
            order=payment.order,
            payment=payment,
            method=method,
            amount=1,
            status=status,
            reason="returned",
            idempotency_key=f"{method}-{n}-{payment.pk}",
            iban="NL91ABNA0417164300" if method == "bank_transfer" else "",
        )
        for payment in payments
        for method, status in (("card", "failed"), ("bank_transfer", "pending"))
    )
    ReturnRequest.objects.bulk_create(
        ReturnRequest(order=order, number=f"RMA-{n}-{order.pk}-{status}", status=status, reason="damaged")
        for order in held
        for status in ("requested", "authorised", "received")
    )
    for order in held:
        request = FeedbackRequest.objects.create(order=order)
        Feedback.objects.create(request=request, overall_rating=1, needs_follow_up=True)
    statement = BankStatement.objects.create(statement_id=f"S-{n}", source="csv", file_name="bank.csv")
    BankStatementEntry.objects.bulk_create(
        BankStatementEntry(
            statement=statement, entry_ref=f"S-{n}/{i}", booked_on=timezone.localdate(), amount=1, currency="EUR"
        )
        for i in range(n)
    )


def home_queries(browser) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(HOME).status_code == 200
    return [query["sql"] for query in captured]


def test_the_home_costs_the_same_with_one_or_fifty_rows_in_each_queue(catalogue, admin_client):
    admin_client.get(HOME)  # warm up: the session and anything cached per process
    rows_in_every_queue(1, catalogue.main)
    one = home_queries(admin_client)
    rows_in_every_queue(49, catalogue.main)
    fifty = home_queries(admin_client)

    assert len(one) == len(fifty), f"{len(one)} queries with 1 row a queue, {len(fifty)} with 50"
    assert {queue.count for queue in shown(admin_client.get(HOME)).values()} == {50}


def staff_without_queues(client):
    """A signed-in member of staff who may only look at products: the home without any queue."""
    from django.contrib.auth.models import Permission, User

    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(clerk)
    return client


@pytest.mark.parametrize("group", ["Warehouse", "Customer service", "Managers"])
def test_each_visible_queue_costs_one_query(catalogue, staff_client, client, group):
    rows_in_every_queue(2, catalogue.main)
    clerk = staff_without_queues(client)
    clerk.get(HOME)
    without_queues = len(home_queries(clerk))  # session, user, permissions, "recent actions"
    browser = staff_client(group)
    browser.get(HOME)

    queues = shown(browser.get(HOME))
    queries = home_queries(browser)

    assert len(queries) == without_queues + len(queues), queries
    for queue in work_queues():
        with CaptureQueriesContext(connection) as counting:
            work_queue_shown(queue)
        assert len(counting) == 1, (queue.key, [q["sql"] for q in counting])


@pytest.mark.postgres
def test_every_queue_is_counted_through_an_index(require_postgres, catalogue):
    rows_in_every_queue(2, catalogue.main)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    for queue in work_queues():
        with CaptureQueriesContext(connection) as captured:
            work_queue_shown(queue)
        (sql,) = [query["sql"] for query in captured]
        with transaction.atomic(), connection.cursor() as cursor:
            # As at a million rows: the planner must read through an index where one can serve.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            transaction.set_rollback(True)

        assert "Seq Scan" not in plan, f"{queue.key}:\n{plan}"
        assert "Index" in plan, f"{queue.key}:\n{plan}"
