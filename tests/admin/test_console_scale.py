"""The console's large lists: searches that indexes serve, counts that never read a whole table, date
filters instead of a date drill-down, and pages past a count. bench/admin_scale.py measures them at a
million orders; these tests say what a user sees, and (on PostgreSQL) that each index can serve its query.
"""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin import AllValuesFieldListFilter
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.models import Feedback, FeedbackRequest, ProductRating
from inventory.models import StockMovement
from inventory.services import stock_receive
from invoicing.models import (
    BankStatement,
    BankStatementEntry,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    Payment,
    Refund,
    StoreCreditEntry,
)
from orders.models import (
    Customer,
    EmailNotification,
    Order,
    OrderCheck,
    OrderEvent,
    OrderLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
)
from orders_site.core import admin as console
from orders_site.core.admin import LargeTableAdminMixin, LargeTablePaginator, SearchField, search_condition
from tests.builders import customer_build, feedback_given

from .journeys import place, place_held_for_address

pytestmark = pytest.mark.django_db

LARGE_MODELS = [
    Order,
    OrderLine,
    OrderCheck,
    OrderEvent,
    EmailNotification,
    Shipment,
    ShipmentLine,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Refund,
    StoreCreditEntry,
    InvoiceReminder,
    BankStatement,
    BankStatementEntry,
    ReturnRequest,
    StockMovement,
    Feedback,
    FeedbackRequest,
    ProductRating,
]

ORDERS = reverse("admin:orders_order_changelist")


def listed(response) -> list:
    assert response.status_code == 200, response.status_code
    return list(response.context["cl"].result_list)


def numbers(response) -> list[str]:
    return [order.number for order in listed(response)]


@pytest.fixture
def world(catalogue):
    """A completed order with feedback, a held order and a plain one: rows in every large list."""
    order = place(catalogue, lines=[(catalogue.chair, 1), (catalogue.book, 1)], state="completed")
    feedback_given(order, rating=2, comment="The box was damaged")
    place_held_for_address(catalogue)
    place(catalogue)
    return order


# -- the rules every large list follows ------------------------------------------------------------------


@pytest.mark.parametrize("model", LARGE_MODELS, ids=lambda model: model._meta.label)
def test_every_large_list_follows_the_console_rules(world, model):
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = User.objects.create_superuser("rules", "rules@example.com", None)

    changelist = model_admin.get_changelist_instance(request)

    assert isinstance(model_admin, LargeTableAdminMixin)
    assert model_admin.date_hierarchy is None, "a date drill-down reads the whole table for its dates"
    assert all(isinstance(field, SearchField) for field in model_admin.search_fields)
    assert not [spec for spec in changelist.filter_specs if isinstance(spec, AllValuesFieldListFilter)], (
        "a free-text field as a filter lists its values with SELECT DISTINCT over every row"
    )
    assert isinstance(changelist.paginator, LargeTablePaginator)


@pytest.mark.parametrize(
    "model", [m for m in LARGE_MODELS if admin.site._registry[m].list_filter], ids=lambda model: model._meta.label
)
def test_every_filter_choice_of_a_large_list_opens(world, admin_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    changelist = admin_client.get(url).context["cl"]
    choices = [choice["query_string"] for spec in changelist.filter_specs for choice in spec.choices(changelist)]

    opened = {query: admin_client.get(url + query).status_code for query in choices}

    assert choices
    assert set(opened.values()) == {200}, opened


def test_a_filter_value_outside_the_known_choices_lists_nothing(world, admin_client):
    feedback = admin_client.get(reverse("admin:feedback_feedback_changelist"), {"overall_rating": "7"})
    payments = admin_client.get(reverse("admin:invoicing_payment_changelist"), {"method": "bitcoin"})
    bank_transfers = admin_client.get(reverse("admin:invoicing_payment_changelist"), {"method": "bank_transfer"})

    assert listed(feedback) == []
    assert listed(payments) == []
    assert listed(bank_transfers) == list(Payment.objects.filter(method="bank_transfer").order_by("-created_at"))


def test_a_search_field_that_would_scan_the_table_is_refused():
    with pytest.raises(ImproperlyConfigured, match="not a SearchField"):
        search_condition(Order, ["email"], "anna")
    with pytest.raises(ImproperlyConfigured, match="read every related row"):
        search_condition(Order, [console.contains("customer__full_name")], "anna")


# -- finding an order --------------------------------------------------------------------------------------


def test_an_order_is_found_by_its_number_or_by_how_its_number_begins(catalogue, admin_client):
    orders = [place(catalogue) for _ in range(3)]
    first = orders[0].number

    exact = admin_client.get(ORDERS, {"q": f"  {first} "})
    beginning = admin_client.get(ORDERS, {"q": first[:-1]})
    elsewhere = admin_client.get(ORDERS, {"q": first[1:]})

    assert numbers(exact) == [first]
    assert set(numbers(beginning)) >= {first}
    assert set(numbers(beginning)) <= {o.number for o in Order.objects.filter(number__startswith=first[:-1])}
    assert numbers(elsewhere) == []  # the middle of a number is not how it begins


def test_an_order_is_found_by_the_email_in_any_case_or_by_how_it_begins(catalogue, admin_client):
    anna = customer_build(email="Anna.Jansen@Example.com")
    order = place(catalogue, customer=anna)
    place(catalogue, customer=customer_build(email="piet@example.com"))

    assert numbers(admin_client.get(ORDERS, {"q": "anna.jansen@example.COM"})) == [order.number]
    assert numbers(admin_client.get(ORDERS, {"q": "ANNA.JAN"})) == [order.number]
    assert numbers(admin_client.get(ORDERS, {"q": "jansen"})) == []


def test_an_order_is_found_by_the_customers_current_email_too(catalogue, admin_client):
    customer = customer_build(email="old@example.com")
    order = place(catalogue, customer=customer)
    Customer.objects.filter(pk=customer.pk).update(email="new@example.com")  # the customer changed it

    assert numbers(admin_client.get(ORDERS, {"q": "new@example.com"})) == [order.number]
    assert numbers(admin_client.get(ORDERS, {"q": "old@example.com"})) == [order.number]


def test_the_order_list_filters_by_when_it_was_placed(catalogue, admin_client):
    today = place(catalogue)
    last_year = place(catalogue)
    Order.objects.filter(pk=last_year.pk).update(placed_at=timezone.now() - timedelta(days=400))
    changelist = admin_client.get(ORDERS).context["cl"]
    placed = next(spec for spec in changelist.filter_specs if spec.title == "placed at")
    choices = {choice["display"]: choice["query_string"] for choice in placed.choices(changelist)}

    assert numbers(admin_client.get(ORDERS + choices["Today"])) == [today.number]
    assert set(numbers(admin_client.get(ORDERS + choices["Any date"]))) == {today.number, last_year.number}


def test_the_on_hold_queue_lists_orders_by_hold_reason(catalogue, admin_client):
    held = place_held_for_address(catalogue)
    place(catalogue)

    assert numbers(admin_client.get(ORDERS, {"hold_reason": "customer"})) == [held.number]


# -- finding the rest ---------------------------------------------------------------------------------------


def test_shipments_invoices_and_payments_are_found_by_their_numbers(catalogue, admin_client):
    order = place(catalogue, state="completed")
    invoice = order.invoices.get()
    shipment = order.shipments.get()

    def found(url_name, term):
        return listed(admin_client.get(reverse(url_name), {"q": term}))

    assert found("admin:orders_shipment_changelist", shipment.tracking_number) == [shipment]
    assert found("admin:orders_shipment_changelist", order.number) == [shipment]
    assert found("admin:invoicing_invoice_changelist", invoice.number.lower()) == [invoice]
    assert found("admin:invoicing_invoice_changelist", order.email.upper()) == [invoice]
    assert found("admin:invoicing_payment_changelist", invoice.number) == list(invoice.payments.all())
    assert found("admin:orders_emailnotification_changelist", order.email.upper()) == list(
        EmailNotification.objects.filter(order=order).order_by("-pk")
    )
    assert found("admin:orders_orderevent_changelist", order.number) == list(
        order.events.order_by("-created_at", "-pk")
    )


def test_the_ledger_is_found_by_sku_in_any_case_or_by_reference(catalogue, admin_client):
    receipt = stock_receive(product=catalogue.lamp, warehouse=catalogue.main, quantity=3, reference="PO-778899")
    url = reverse("admin:inventory_stockmovement_changelist")

    by_sku = listed(admin_client.get(url, {"q": "lamp-"}))
    by_reference = listed(admin_client.get(url, {"q": "PO-7788"}))

    assert receipt in by_sku
    assert {movement.stock_level.product for movement in by_sku} == {catalogue.lamp}
    assert by_reference == [receipt]


def test_customers_are_found_by_email_name_or_company_beginning(admin_client):
    anna = customer_build(email="anna@example.com", full_name="Anna de Vries", company="Vries Interieur")
    customer_build(email="piet@example.com", full_name="Piet Bakker")
    url = reverse("admin:orders_customer_changelist")

    for term in ("ANNA@", "anna de", "vries int"):
        assert listed(admin_client.get(url, {"q": term})) == [anna], term


def test_feedback_is_found_by_words_in_the_comment(world, admin_client):
    url = reverse("admin:feedback_feedback_changelist")

    assert [f.comment for f in listed(admin_client.get(url, {"q": "DAMAGED"}))] == ["The box was damaged"]
    assert listed(admin_client.get(url, {"q": world.number})) == [world.feedback_request.feedback]


def test_a_search_across_a_relation_looks_at_the_newest_related_rows_only(catalogue, admin_client, monkeypatch):
    orders = [place(catalogue) for _ in range(3)]
    monkeypatch.setattr(console, "RELATED_MATCHES_MAX", 2)
    prefix = orders[0].number[:3]

    events = listed(admin_client.get(reverse("admin:orders_orderevent_changelist"), {"q": prefix}))

    assert {event.order for event in events} == set(orders[1:])


def test_each_listed_order_has_a_selection_box_for_the_bulk_actions(catalogue, admin_client):
    held = [place_held_for_address(catalogue) for _ in range(2)]

    page = admin_client.get(ORDERS).text
    rechecked = admin_client.post(
        ORDERS, {"action": "recheck_selected", "_selected_action": [o.pk for o in held]}, follow=True
    )

    for order in held:
        assert (
            f'<input type="checkbox" name="_selected_action" value="{order.pk}" class="action-select" '
            f'aria-label="Select this object for an action - {order.number}">'
        ) in page
    assert "Re-checked 2 orders" in rechecked.text


# -- counting and paging -------------------------------------------------------------------------------------


def test_a_small_list_is_counted_exactly(catalogue, admin_client):
    for _ in range(3):
        place(catalogue)

    page = admin_client.get(ORDERS).text

    assert "3 orders" in page
    assert "about 3" not in page and "more than" not in page


def test_a_filtered_count_stops_at_its_cap_and_pages_past_it_are_served(catalogue, admin_client, monkeypatch):
    orders = [place(catalogue) for _ in range(4)]
    monkeypatch.setattr(LargeTablePaginator, "COUNT_UP_TO", 2)
    monkeypatch.setattr(admin.site._registry[Order], "list_per_page", 1)
    newest_first = [o.number for o in reversed(orders)]

    first = admin_client.get(ORDERS, {"channel__exact": "web"})
    fourth = admin_client.get(ORDERS, {"channel__exact": "web", "p": 4})
    past_the_end = admin_client.get(ORDERS, {"channel__exact": "web", "p": 5})

    assert "more than 2 orders" in first.text
    assert numbers(first) == newest_first[:1]
    assert numbers(fourth) == newest_first[3:]
    assert numbers(past_the_end) == []


def test_each_page_shows_its_own_orders_newest_first(catalogue, admin_client, monkeypatch):
    orders = [place(catalogue) for _ in range(5)]
    monkeypatch.setattr(admin.site._registry[Order], "list_per_page", 2)
    newest_first = [o.number for o in reversed(orders)]

    pages = [numbers(admin_client.get(ORDERS, {"p": p})) for p in (1, 2, 3)]

    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:]]


@pytest.mark.postgres
def test_the_whole_table_is_not_counted_but_estimated(require_postgres, catalogue, admin_client, monkeypatch):
    for _ in range(3):
        place(catalogue)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
    monkeypatch.setattr(LargeTablePaginator, "ESTIMATE_FROM", 1)

    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(ORDERS).text

    assert "about 3 orders" in page
    assert not [q["sql"] for q in queries if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "orders_order"')]


# -- the indexes (PostgreSQL) ----------------------------------------------------------------------------------


def _plan(queryset, set_aside=()) -> str:
    """The plan PostgreSQL picks when it must use an index if one can serve the query at all. A query
    that is not a page (no LIMIT) is planned without the model's default ordering: the question is
    whether the index finds the rows. `set_aside` indexes are dropped for the plan (and restored by
    the rollback): on a table of a few rows the list's plain ordering index with a filter costs the
    same as the filter's own index, and the planner may pick either."""
    if not queryset.query.is_sliced:
        queryset = queryset.order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        for name in set_aside:
            cursor.execute(f'DROP INDEX "{name}"')
        plan = queryset.explain()
        transaction.set_rollback(True)
        return plan


INDEXED = [
    ("order number prefix", lambda: Order.objects.filter(number__startswith="1001"), "orders_order_number_"),
    ("order e-mail, any case", lambda: Order.objects.filter(email__istartswith="anna."), "order_email_upper_idx"),
    ("order list", lambda: Order.objects.order_by("-placed_at", "-pk")[:100], "order_placed_idx"),
    (
        "order list by status",
        lambda: Order.objects.filter(status="on_hold").order_by("-placed_at", "-pk")[:100],
        "order_status_placed_idx",
    ),
    (
        "order list by channel",
        lambda: Order.objects.filter(channel="phone").order_by("-placed_at", "-pk")[:100],
        "order_channel_placed_idx",
    ),
    (
        "order list by payment method",
        lambda: Order.objects.filter(payment_method="card").order_by("-placed_at", "-pk")[:100],
        "order_payment_placed_idx",
    ),
    (
        "order list by payment standing",
        lambda: Order.objects.filter(payment_standing="overdue").order_by("-placed_at", "-pk")[:100],
        "order_standing_placed_idx",
    ),
    ("refund list", lambda: Refund.objects.order_by("-created_at", "-id")[:100], "refund_created_idx"),
    ("bank credits", lambda: BankStatementEntry.objects.order_by("-booked_on", "-id")[:100], "bank_entry_booked_idx"),
    (
        "bank credits to match",
        lambda: BankStatementEntry.objects.filter(status="unmatched").order_by("booked_on", "id")[:100],
        "bank_entry_status_idx",
    ),
    (
        "bank statements",
        lambda: BankStatement.objects.order_by("-imported_at", "-id")[:100],
        "bank_statement_imported_idx",
    ),
    (
        "payment reminders",
        lambda: InvoiceReminder.objects.order_by("-sent_at", "-id")[:100],
        "invoice_reminder_sent_idx",
    ),
    (
        "payment reminders of a level",
        lambda: InvoiceReminder.objects.filter(level_id=1).order_by("-sent_at", "-id")[:100],
        "invoice_reminder_level_idx",
    ),
    ("refunds failed", lambda: Refund.objects.filter(status="failed").order_by("created_at", "id")[:100], "refund_"),
    (
        "bank transfers to send",
        lambda: Refund.objects.filter(status="pending", method="bank_transfer").order_by("created_at", "id")[:100],
        "refund_",
    ),
    (
        "store credit ledger",
        lambda: StoreCreditEntry.objects.order_by("-created_at", "-id")[:100],
        "store_credit_entry_created_idx",
    ),
    ("return list", lambda: ReturnRequest.objects.order_by("-created_at", "-id")[:100], "return_created_idx"),
    (
        "returns queue",
        lambda: ReturnRequest.objects.filter(status="requested").order_by("created_at", "id")[:100],
        "return_status_created_idx",
    ),
    (
        "held orders by reason",
        lambda: OrderCheck.objects.filter(result="failed", name="customer").values("order_id"),
        "ordercheck_failed_idx",
    ),
    ("customer e-mail", lambda: Customer.objects.filter(email__istartswith="anna"), "customer_email_upper_idx"),
    ("customer name", lambda: Customer.objects.filter(full_name__istartswith="anna"), "customer_name_upper_idx"),
    ("customer list", lambda: Customer.objects.order_by("full_name", "pk")[:100], "customer_name_idx"),
    (
        "shipments by carrier",
        lambda: Shipment.objects.filter(carrier="GLS"),
        "shipment_carrier_idx",
    ),
    (
        "invoice billing name",
        lambda: Invoice.objects.filter(billing_name__istartswith="de vries"),
        "invoice_billing_upper_idx",
    ),
    ("payment reference", lambda: Payment.objects.filter(reference__istartswith="rf1"), "payment_reference_upper_idx"),
    (
        "gateway reference",
        lambda: Payment.objects.filter(gateway_reference__startswith="ch_"),
        "payment_gateway_ref_idx",
    ),
    (
        "outbox recipient",
        lambda: EmailNotification.objects.filter(recipient__istartswith="anna"),
        "email_recipient_upper_idx",
    ),
    (
        "ledger by kind",
        lambda: StockMovement.objects.filter(kind="write_off").order_by("-created_at", "-pk")[:100],
        "movement_kind_created_idx",
    ),
    ("ledger reference", lambda: StockMovement.objects.filter(reference__startswith="PO-"), "reference"),
    (
        "events by object",
        lambda: OrderEvent.objects.filter(object_type="shipment", object_id=7),
        "orderevent_object_idx",
    ),
]


# A page in the list's order, with the other indexes that could give that order (plus a filter, or
# plus an incremental sort on the table's few rows) out of the way. Django names its column indexes
# from a hash of table and column, the same in every database.
SET_ASIDE = {
    "order_placed_idx": ["orders_order_placed_at_c2de8920"],
    "order_status_placed_idx": ["order_placed_idx", "orders_order_placed_at_c2de8920"],
    "order_channel_placed_idx": ["order_placed_idx", "orders_order_placed_at_c2de8920"],
    "order_payment_placed_idx": ["order_placed_idx", "orders_order_placed_at_c2de8920"],
    "order_standing_placed_idx": ["order_placed_idx", "orders_order_placed_at_c2de8920"],
    "movement_kind_created_idx": ["inventory_stockmovement_created_at_05b478ed"],
}


@pytest.mark.postgres
@pytest.mark.parametrize(("query", "index"), [(q, i) for _, q, i in INDEXED], ids=[name for name, _, _ in INDEXED])
def test_each_console_query_can_use_its_index(require_postgres, query, index):
    plan = _plan(query(), set_aside=SET_ASIDE.get(index, ()))

    assert "Index" in plan and index in plan, plan


def test_case_insensitive_prefix_indexes_fit_the_database():
    """PostgreSQL gets UPPER(col) text_pattern_ops (prefix searches use it); SQLite a plain UPPER(col)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'order_email_upper_idx'")
            (definition,) = cursor.fetchone()
            assert "upper((email)::text) text_pattern_ops" in definition
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'order_email_upper_idx'")
            (definition,) = cursor.fetchone()
            assert 'UPPER("email")' in definition and "pattern_ops" not in definition
