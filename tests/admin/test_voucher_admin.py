"""The vouchers' pages in the staff console: terms checked with clear messages, how often each was
used, and the uses themselves (read-only), in queries that do not grow with the rows."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Voucher, VoucherRedemption
from tests.builders import stock_put

from .journeys import place

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_voucher_changelist")
USES = reverse("admin:orders_voucherredemption_changelist")
ADD = reverse("admin:orders_voucher_add")
FORM = {
    "code": "spring",
    "is_active": "on",
    "kind": "percentage",
    "percent_off": "10",
    "amount_off": "0",
    "minimum_order": "0",
    "valid_from_0": "",
    "valid_from_1": "",
    "valid_until_0": "",
    "valid_until_1": "",
    "usage_limit": "",
    "per_customer_limit": "",
}


def page_queries(browser, url) -> tuple[int, int, str]:
    """(queries, rows shown, page) of one changelist."""
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    return len(captured), len(response.context["cl"].result_list), response.content.decode()


def errors_of(response) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["adminform"].form.errors.items()}


@pytest.fixture
def books(catalogue):
    stock_put(product=catalogue.book, warehouse=catalogue.second, quantity=100)
    return catalogue


def test_the_voucher_list_says_how_often_each_was_used_in_the_same_queries_for_1_row_as_for_15(books, staff_client):
    browser = staff_client("Managers")
    used = Voucher.objects.create(code="SPRING10", percent_off=Decimal("10"), usage_limit=10)
    for _ in range(3):
        place(books, discount_code="SPRING10")
    browser.get(CHANGELIST)  # warm up: the session and anything cached per process

    one = page_queries(browser, CHANGELIST)
    for number in range(14):
        Voucher.objects.create(code=f"FIXED{number}", kind=Voucher.Kind.FIXED_AMOUNT, amount_off=Decimal("5"))
    fifteen = page_queries(browser, CHANGELIST)

    assert (one[1], fifteen[1]) == (1, 15)
    assert one[0] == fifteen[0], f"{one[0]} queries for 1 voucher, {fifteen[0]} for 15"
    assert "used 3 of 10 times" in one[2]
    assert "used 0 times, no limit" in fifteen[2]
    assert used.terms_display in one[2]


def test_the_uses_list_runs_the_same_queries_for_1_row_as_for_15(books, staff_client):
    browser = staff_client("Customer service")
    Voucher.objects.create(code="SPRING10", percent_off=Decimal("10"))
    place(books, discount_code="SPRING10")
    browser.get(USES)

    one = page_queries(browser, USES)
    for _ in range(14):
        place(books, discount_code="SPRING10")
    fifteen = page_queries(browser, USES)

    assert (one[1], fifteen[1]) == (1, 15)
    assert one[0] == fifteen[0], f"{one[0]} queries for 1 use, {fifteen[0]} for 15"


def test_a_vouchers_page_lists_its_latest_uses_and_links_to_all_of_them(books, admin_client):
    spring = Voucher.objects.create(code="SPRING10", percent_off=Decimal("10"), usage_limit=5)
    Voucher.objects.create(code="OTHER", percent_off=Decimal("5"))
    orders = [place(books, discount_code="SPRING10") for _ in range(2)]
    other = place(books, discount_code="OTHER")

    page = admin_client.get(reverse("admin:orders_voucher_change", args=[spring.pk])).content.decode()
    uses = admin_client.get(USES, {"voucher__id__exact": spring.pk})

    assert "used 2 of 5 times" in page
    assert all(order.number in page for order in orders) and other.number not in page
    assert f"?voucher__id__exact={spring.pk}" in page
    assert {row.order for row in uses.context["cl"].result_list} == set(orders)


def test_the_uses_are_read_only(books, admin_client):
    Voucher.objects.create(code="SPRING10", percent_off=Decimal("10"))
    place(books, discount_code="SPRING10")
    use = VoucherRedemption.objects.get()

    response = admin_client.post(reverse("admin:orders_voucherredemption_change", args=[use.pk]), {"amount": "0"})

    assert response.status_code == 403
    assert admin_client.get(reverse("admin:orders_voucherredemption_add")).status_code == 403
    use.refresh_from_db()
    assert use.amount == Decimal("2.45")  # 10 % of the 24.50 book


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"percent_off": "0"}, "percent_off", "A percentage off must be more than 0 and at most 100."),
        ({"percent_off": "150"}, "percent_off", "A percentage off must be more than 0 and at most 100."),
        ({"kind": "fixed_amount", "amount_off": "0"}, "amount_off", "A fixed amount off must be more than 0."),
        ({"minimum_order": "-1"}, "minimum_order", "The minimum order value cannot be negative."),
        (
            {
                "valid_from_0": "10/05/2026",
                "valid_from_1": "09:00",
                "valid_until_0": "01/05/2026",
                "valid_until_1": "09:00",
            },
            "valid_until",
            "The end of the validity must come after its start.",
        ),
        (
            {"per_customer_limit": "0"},
            "per_customer_limit",
            "Allow at least one use per customer, or leave it empty for no limit.",
        ),
    ],
    ids=["percent-zero", "percent-over-100", "amount-zero", "minimum-negative", "dates-reversed", "per-customer-0"],
)
def test_terms_that_make_no_sense_are_refused_beside_their_field(admin_client, change, field, message):
    response = admin_client.post(ADD, {**FORM, **change})

    assert response.status_code == 200
    assert message in errors_of(response)[field]
    assert not Voucher.objects.exists()


def test_a_fixed_amount_voucher_is_added_with_its_scope(admin_client, catalogue):
    response = admin_client.post(
        ADD,
        {
            **FORM,
            "code": "books5",
            "kind": "fixed_amount",
            "percent_off": "12",
            "amount_off": "5.00",
            "minimum_order": "20",
            "products": [catalogue.book.pk],
            "usage_limit": "100",
            "per_customer_limit": "1",
        },
    )

    assert response.status_code == 302, errors_of(response)
    voucher = Voucher.objects.get()
    assert (voucher.code, voucher.kind, voucher.amount_off, voucher.percent_off) == (
        "BOOKS5",
        "fixed_amount",
        Decimal("5.00"),
        Decimal("0"),  # the percentage field does not count for a fixed amount
    )
    assert list(voucher.products.all()) == [catalogue.book]


def test_the_total_limit_cannot_go_below_the_uses_and_a_save_never_writes_back_an_old_count(books, admin_client):
    voucher = Voucher.objects.create(code="SPRING10", percent_off=Decimal("10"), usage_limit=10)
    place(books, discount_code="SPRING10")
    place(books, discount_code="SPRING10")
    url = reverse("admin:orders_voucher_change", args=[voucher.pk])
    form = {**FORM, "code": "SPRING10"}
    form.pop("percent_off")  # read-only once used
    form.pop("kind")

    too_low = admin_client.post(url, {**form, "usage_limit": "1"})
    assert "It has been used 2 times already; the limit cannot be lower than that." in errors_of(too_low)["usage_limit"]

    stale = Voucher.objects.get(pk=voucher.pk)  # read before the next use, saved after it
    place(books, discount_code="SPRING10")
    stale.usage_limit = 20
    stale.save()

    voucher.refresh_from_db()
    assert (voucher.usage_limit, voucher.times_used) == (20, 3)
    assert admin_client.post(url, {**form, "usage_limit": "3"}).status_code == 302


def test_customer_service_reads_vouchers_and_their_uses_but_changes_neither(books, staff_client):
    voucher = Voucher.objects.create(code="SPRING10", percent_off=Decimal("10"))
    place(books, discount_code="SPRING10")
    browser = staff_client("Customer service")

    assert browser.get(CHANGELIST).status_code == 200
    assert browser.get(USES).status_code == 200
    change = browser.post(reverse("admin:orders_voucher_change", args=[voucher.pk]), {**FORM, "percent_off": "50"})
    assert change.status_code == 403
    assert browser.get(ADD).status_code == 403


def _plan(queryset) -> str:
    """The plan PostgreSQL picks when it must use an index if one can serve the query."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        plan = queryset.explain()
        transaction.set_rollback(True)
        return plan


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "index"),
    [
        (lambda: Voucher.objects.filter(kind="fixed_amount").order_by("-pk")[:100], "voucher_kind_idx"),
        (lambda: Voucher.objects.filter(is_active=False).order_by("-pk")[:100], "voucher_active_idx"),
        (lambda: VoucherRedemption.objects.order_by("-created_at", "-pk")[:100], "redemption_created_idx"),
        (
            lambda: VoucherRedemption.objects.filter(voucher_id=7).order_by("-created_at", "-pk")[:100],
            "redemption_voucher_idx",
        ),
    ],
    ids=["vouchers by kind", "vouchers switched off", "uses", "uses of one voucher"],
)
def test_each_voucher_list_can_use_its_index(require_postgres, query, index):
    plan = _plan(query())

    assert "Index" in plan and index in plan, plan
