"""The warehouse's console: the queues per warehouse by promised dispatch date, the "Create pick
batch" action, the batch list and the pick list pages (HTML and PDF), with their permissions and
query counts that do not grow with rows."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, PickBatch, Shipment
from orders.services.picking import pick_batch_create
from orders_site.core.work_queues import work_queue_shown, work_queues
from tests.admin.journeys import place
from tests.builders import parcels_of, shipment_packed
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db

SHIPMENTS = reverse("admin:orders_shipment_changelist")
BATCHES = reverse("admin:orders_pickbatch_changelist")


def started(shelved, actor, lines, **placement):
    return place(shelved, lines=lines, state="in_fulfillment", actor=actor, **placement)


def queue(key):
    return work_queue_shown(next(q for q in work_queues() if q.key == key))


def test_the_to_pick_queue_counts_per_warehouse_and_each_link_lists_those_rows(shelved, staff_users, admin_client):
    warehouse = staff_users["Warehouse"]
    started(shelved, warehouse, [(shelved.chair, 1)])
    started(shelved, warehouse, [(shelved.chair, 1)])
    started(shelved, warehouse, [(shelved.book, 1)])
    # and one being picked already: in "to pack", not "to pick"
    pick_batch_create(shipments=parcels_of(started(shelved, warehouse, [(shelved.lamp, 1)])), actor=warehouse)

    to_pick, to_pack = queue("shipments.to_pick"), queue("shipments.to_pack")

    assert to_pick.count == 3
    assert [(part.title, part.count) for part in to_pick.parts] == [("AMS", 2), ("RTM", 1)]
    assert [(part.title, part.count) for part in to_pack.parts] == [("AMS", 1)]
    for shown in (to_pick, to_pack):
        for part in (shown, *shown.parts):
            response = admin_client.get(part.url)
            assert response.context["cl"].result_count == part.count, part.url


def test_the_queue_lists_the_oldest_promise_first_and_marks_the_overdue(shelved, staff_users, admin_client):
    warehouse = staff_users["Warehouse"]
    in_three_weeks = timezone.localdate() + timedelta(days=21)
    later = started(shelved, warehouse, [(shelved.chair, 1)], requested_delivery_date=in_three_weeks)
    sooner = started(shelved, warehouse, [(shelved.chair, 2)])
    late = started(shelved, warehouse, [(shelved.chair, 1)])
    # a parcel promised for last week (time passing, not a state)
    Shipment.objects.filter(order=late).update(dispatch_by=timezone.localdate() - timedelta(days=7))

    response = admin_client.get(SHIPMENTS + f"?status__exact=pending&warehouse__id__exact={shelved.main.pk}")

    listed = [s.order_id for s in response.context["cl"].result_list]
    assert listed == [late.pk, sooner.pk, later.pk]
    page = response.content.decode()
    assert page.count('class="overdue"') == 1
    assert re.search(r'field-lines_count">1</td><td class="field-units">2<', page)  # the two-chair order
    # the requested delivery date, its year only when it is not this year's
    shown = in_three_weeks.strftime("%-d %b" if in_three_weeks.year == timezone.localdate().year else "%-d %b %Y")
    assert f'<td class="field-requested_delivery">{shown}</td>' in page
    # the promise: three weeks less the delivery method's longest transit
    delivery_days = Order.objects.get(pk=later.pk).delivery_method.max_days
    assert parcels_of(later)[0].dispatch_by == in_three_weeks - timedelta(days=delivery_days)


def changelist_queries(browser, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    return len(captured), len(response.context["cl"].result_list)


def test_the_queue_list_costs_the_same_for_one_or_five_parcels(shelved, staff_users, staff_client):
    warehouse = staff_users["Warehouse"]
    browser = staff_client("Warehouse")
    url = SHIPMENTS + f"?status__exact=pending&warehouse__id__exact={shelved.main.pk}"
    browser.get(url)
    started(shelved, warehouse, [(shelved.chair, 1), (shelved.lamp, 1)])
    one = changelist_queries(browser, url)
    for _ in range(4):
        started(shelved, warehouse, [(shelved.chair, 1)])
    five = changelist_queries(browser, url)

    assert (one[1], five[1]) == (1, 5)
    assert one[0] == five[0], (one, five)


def select(browser, parcels):
    return browser.post(
        SHIPMENTS + "?status__exact=pending",
        {"action": "create_pick_batch", ACTION_CHECKBOX_NAME: [p.pk for p in parcels]},
    )


def test_the_warehouse_makes_a_batch_from_the_list_and_lands_on_its_pick_list(shelved, staff_users, staff_client):
    warehouse = staff_users["Warehouse"]
    parcels = [parcels_of(started(shelved, warehouse, [(shelved.chair, 1)]))[0] for _ in range(2)]
    browser = staff_client("Warehouse")

    response = select(browser, parcels)

    batch = PickBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:orders_pickbatch_pick_list", args=[batch.pk])
    assert set(Shipment.objects.filter(pk__in=[p.pk for p in parcels]).values_list("status", flat=True)) == {
        Shipment.Status.PICKING
    }
    page = browser.get(response.url)
    assert page.status_code == 200
    assert f"Pick batch {batch.number} made: 2 parcels now being picked." in page.content.decode()


def test_a_mixed_selection_is_refused_with_a_message_and_nothing_changes(shelved, staff_users, staff_client):
    warehouse = staff_users["Warehouse"]
    parcels = [
        parcels_of(started(shelved, warehouse, [(shelved.chair, 1)]))[0],
        parcels_of(started(shelved, warehouse, [(shelved.book, 1)]))[0],
    ]

    browser = staff_client("Warehouse")

    response = select(browser, parcels)

    assert not PickBatch.objects.exists()
    assert set(Shipment.objects.values_list("status", flat=True)) == {Shipment.Status.PENDING}
    assert response.status_code == 302  # back to the list, where the message waits
    page = browser.get(response.url)
    messages = [str(m) for m in page.context["messages"]]
    assert any("these parcels are in AMS, RTM" in m for m in messages), messages


def test_customer_service_cannot_batch_or_open_pick_lists(shelved, staff_users, staff_client):
    warehouse = staff_users["Warehouse"]
    order = started(shelved, warehouse, [(shelved.chair, 1)])
    batch = pick_batch_create(shipments=parcels_of(started(shelved, warehouse, [(shelved.chair, 1)])), actor=warehouse)
    browser = staff_client("Customer service")

    page = browser.get(SHIPMENTS)
    assert "create_pick_batch" not in page.content.decode()
    select(browser, parcels_of(order))
    assert PickBatch.objects.count() == 1
    assert parcels_of(order)[0].status == Shipment.Status.PENDING
    for url in (
        BATCHES,
        reverse("admin:orders_pickbatch_pick_list", args=[batch.pk]),
        reverse("admin:orders_pickbatch_pick_list_pdf", args=[batch.pk]),
        reverse("admin:orders_pickbatch_order_pick_list", args=[order.pk]),
    ):
        assert browser.get(url).status_code == 403, url


@pytest.mark.parametrize("group", ["Warehouse", "Managers"])
def test_the_batch_pages_and_pick_lists_open_for_who_picks(shelved, staff_users, staff_client, group):
    warehouse = staff_users["Warehouse"]
    order = started(shelved, warehouse, [(shelved.lamp, 7)])  # Amsterdam and Rotterdam
    batch = pick_batch_create(shipments=[parcels_of(order)[0]], actor=warehouse)
    browser = staff_client(group)

    assert batch.number in browser.get(BATCHES).content.decode()
    assert browser.get(reverse("admin:orders_pickbatch_change", args=[batch.pk])).status_code == 200
    assert browser.get(BATCHES + f"?q={batch.number}").status_code == 200
    page = browser.get(reverse("admin:orders_pickbatch_pick_list", args=[batch.pk])).content.decode()
    assert "Z-01" in page and 'type="checkbox"' in page and "pick-list.pdf" in page
    order_page = browser.get(reverse("admin:orders_pickbatch_order_pick_list", args=[order.pk])).content.decode()
    assert "Amsterdam (AMS)" in order_page and "Rotterdam (RTM)" in order_page
    pdf = browser.get(reverse("admin:orders_pickbatch_order_pick_list_pdf", args=[order.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert "Rotterdam (RTM)" in pdf_text(pdf.content)


def test_the_batch_list_and_the_pick_list_page_cost_the_same_for_one_or_five_parcels(
    shelved, staff_users, staff_client
):
    warehouse = staff_users["Warehouse"]
    browser = staff_client("Warehouse")
    browser.get(BATCHES)

    def costs(n):
        orders = [started(shelved, warehouse, [(shelved.chair, 1), (shelved.desk, 1)]) for _ in range(n)]
        batch = pick_batch_create(shipments=[parcels_of(o)[0] for o in orders], actor=warehouse)
        pick_list_url = reverse("admin:orders_pickbatch_pick_list", args=[batch.pk])
        with CaptureQueriesContext(connection) as page:
            assert browser.get(pick_list_url).status_code == 200
        with CaptureQueriesContext(connection) as batches:
            assert browser.get(BATCHES).status_code == 200
        return len(page), len(batches)

    assert costs(1) == costs(5)


@pytest.mark.postgres
@pytest.mark.parametrize("status", ["pending", "picking", "packed"])
def test_each_queue_list_is_read_through_its_index(require_postgres, shelved, staff_users, admin_client, status):
    warehouse = staff_users["Warehouse"]
    for _ in range(3):
        started(shelved, warehouse, [(shelved.chair, 1)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    for query in (f"?status__exact={status}", f"?status__exact={status}&warehouse__id__exact={shelved.main.pk}"):
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(SHIPMENTS + query).status_code == 200
        (listing,) = [q["sql"] for q in captured if 'ORDER BY "orders_shipment"."dispatch_by"' in q["sql"]]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {listing}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            transaction.set_rollback(True)
        # As test_console_home does: with a scan ruled out, an index on the shipments serves it
        assert "Seq Scan" not in plan, plan
        # (a plain or a bitmap index scan, whichever the planner picks for three rows; a bitmap
        # index scan names the index only, its heap scan the table)
        index_scan = r"Index (Only )?Scan using \S+ on orders_shipment\b|Bitmap Heap Scan on orders_shipment\b"
        assert re.search(index_scan, plan), plan


def test_the_batch_list_marks_a_packed_batch_done_and_says_why_not_otherwise(shelved, staff_users, staff_client):
    warehouse = staff_users["Warehouse"]
    (parcel,) = parcels_of(started(shelved, warehouse, [(shelved.chair, 1)]))
    batch = pick_batch_create(shipments=[parcel], actor=warehouse)
    browser = staff_client("Warehouse")

    def finish():
        response = browser.post(BATCHES, {"action": "finish_selected", ACTION_CHECKBOX_NAME: [batch.pk]}, follow=True)
        batch.refresh_from_db()
        return [str(m) for m in response.context["messages"]]

    assert finish() == [f"{batch.number}: Pack {parcel.number} first: the batch is done when every parcel is packed."]
    assert batch.state == PickBatch.State.OPEN
    shipment_packed(shipment=parcel, actor=warehouse)
    assert finish() == [f"{batch.number} is done."]
    assert batch.state == PickBatch.State.DONE
