"""Back-orders: incoming stock goes to waiting orders oldest first; customers hear when and that it ships."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from inventory import services as stock
from inventory.models import StockLevel
from lifecycle.cancellation import order_cancel
from lifecycle.receiving import purchase_order_receive, stock_adjust, stock_backorders_fill, stock_receive, stock_return
from orders.models import EmailNotification, Order
from tests.builders import order_build, product_build, purchase_order_sent, warehouse_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db):
    """A back-orderable product with no stock, ten days to restock."""
    warehouse = warehouse_build(code="AMS", priority=1)
    product = product_build(sku="DESK", is_backorderable=True, restock_lead_days=10)
    StockLevel.objects.create(product=product, warehouse=warehouse)
    return product


def place(product, quantity):
    return order_build(state=None, lines=[(product, quantity)])


def status(order):
    order.refresh_from_db()
    return order.status


def test_a_short_back_orderable_order_waits_and_the_customer_is_told_the_date(
    desk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place(desk, 2)

    assert order.status == Order.Status.BACKORDERED
    expected = timezone.localdate() + timedelta(days=10)
    expected_text = date_format(expected, "j F" if expected.year == timezone.localdate().year else "j F Y")
    event = order.events.get(kind="order.backorder_expected")
    assert event.customer_visible and event.note == f"Expected to ship around {expected_text}"
    assert event.data == {"expected_date": expected.isoformat()}
    assert order.checks.get(name="stock").detail == "Back-ordered: DESK short by 2"
    mail = mailoutbox[-1]
    assert mail.subject == f"Part of your order {order.number} is on back-order"
    assert f"Expected to ship around {expected_text}." in mail.body


def test_the_expected_date_comes_from_an_open_purchase_order_when_there_is_one(desk):
    arriving = timezone.localdate() + timedelta(days=3)
    purchase_order_sent(warehouse=warehouse_build(code="AMS"), lines=[(desk, 5)], expected_on=arriving)

    order = place(desk, 1)

    assert order.events.get(kind="order.backorder_expected").data == {"expected_date": arriving.isoformat()}


def test_receipts_fill_back_orders_oldest_first(desk, ledger_matches_levels, django_capture_on_commit_callbacks):
    warehouse = warehouse_build(code="AMS")
    first, second, third = place(desk, 2), place(desk, 1), place(desk, 3)

    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(product=desk, warehouse=warehouse, quantity=2, reference="DN-1")
    assert [status(o) for o in (first, second, third)] == ["verified", "backordered", "backordered"]

    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(product=desk, warehouse=warehouse, quantity=3, reference="DN-2")
    assert [status(o) for o in (first, second, third)] == ["verified", "verified", "backordered"]
    partly = third.events.get(kind="stock.backorder_allocated")
    assert "still waiting" in partly.note and "Short: 1 x DESK" in partly.note

    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(product=desk, warehouse=warehouse, quantity=1, reference="DN-3")
    assert status(third) == "verified"

    verify = first.events.get(kind="order.verify")
    assert (verify.from_state, verify.to_state, verify.actor, verify.actor_label) == (
        "backordered", "verified", None, "back-order fill"
    )  # fmt: skip
    assert verify.note.startswith("Back-order complete. Stock allocated from one warehouse")
    assert verify.data["allocation"]["warehouses"] == {"AMS": {"DESK": 2}}
    ready = EmailNotification.objects.filter(kind=EmailNotification.Kind.BACKORDER_READY).order_by("pk")
    assert [n.order for n in ready] == [first, second, third]
    level = StockLevel.objects.get(product=desk)
    assert (level.on_hand, level.allocated) == (6, 6)
    ledger_matches_levels()


def test_the_back_order_ready_mail_says_it_will_ship(desk, mailoutbox, django_capture_on_commit_callbacks):
    order = place(desk, 1)
    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(product=desk, warehouse=warehouse_build(code="AMS"), quantity=1)

    mail = mailoutbox[-1]
    assert mail.subject == f"Everything for your order {order.number} is in stock"
    assert "will ship shortly" in mail.body and mail.to == [order.email]


def test_a_return_and_a_found_unit_also_go_to_back_orders_first(desk):
    warehouse = warehouse_build(code="AMS")
    first, second = place(desk, 1), place(desk, 1)

    stock_return(product=desk, warehouse=warehouse, quantity=1, reason="RMA")
    stock_adjust(stock_level=StockLevel.objects.get(product=desk), delta=1, reason="found in recount")

    assert [status(first), status(second)] == ["verified", "verified"]


def test_receiving_without_filling_leaves_back_orders_for_a_later_run(desk):
    warehouse = warehouse_build(code="AMS")
    order = place(desk, 1)
    stock.stock_receive(product=desk, warehouse=warehouse, quantity=1)  # inventory's: no fill
    assert status(order) == "backordered"

    result = stock_backorders_fill(product_ids=[desk.pk])

    assert result.completed == [order.number] and status(order) == "verified"


def test_stock_freed_by_a_cancellation_goes_to_waiting_back_orders(desk, django_capture_on_commit_callbacks):
    warehouse = warehouse_build(code="AMS")
    stock_receive(product=desk, warehouse=warehouse, quantity=2)
    holder = place(desk, 2)
    waiting = place(desk, 2)
    assert (holder.status, waiting.status) == ("verified", "backordered")

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=holder, reason="customer changed their mind")

    assert status(waiting) == "verified"
    assert StockLevel.objects.get(product=desk).allocated == 2


def test_a_purchase_order_receipt_completes_two_back_orders(
    desk, ledger_matches_levels, django_capture_on_commit_callbacks
):
    warehouse = warehouse_build(code="AMS")
    purchase_order = purchase_order_sent(warehouse=warehouse, lines=[(desk, 10)])
    first, second, third = place(desk, 1), place(desk, 2), place(desk, 4)
    line = purchase_order.lines.get()

    with django_capture_on_commit_callbacks(execute=True):
        result = purchase_order_receive(purchase_order=purchase_order, quantities={line.pk: 4})

    assert result.backorders_completed == [first.number, second.number]
    assert result.backorders_partly_filled == [third.number]
    assert [status(o) for o in (first, second, third)] == ["verified", "verified", "backordered"]
    purchase_order.refresh_from_db()
    assert purchase_order.status == "partially_received"
    event = purchase_order.events.get(kind="purchase_order.receive_partially")
    assert event.data["received"] == {"DESK": 4}
    assert event.data["backorders_completed"] == [first.number, second.number]
    assert list(
        StockLevel.objects.get(product=desk).movements.filter(kind="receipt").values_list("reference", flat=True)
    ) == [purchase_order.number]
    assert EmailNotification.objects.filter(kind=EmailNotification.Kind.BACKORDER_READY).count() == 2
    ledger_matches_levels()


def test_the_beat_sweep_fills_a_back_order_whose_fill_task_was_lost(desk, django_capture_on_commit_callbacks):
    # Given 2 desks received and promised to an order, and a later order back-ordered for 2
    stock_receive(product=desk, warehouse=desk.stock_levels.get().warehouse, quantity=2, reference="PO-1")
    first = place(desk, 2)
    waiting = place(desk, 2)
    assert (status(first), status(waiting)) == (Order.Status.VERIFIED, Order.Status.BACKORDERED)

    # When the first order is cancelled but the fill task never runs (lost with the broker)
    with django_capture_on_commit_callbacks(execute=False):
        order_cancel(order=first, reason="customer changed their mind")
    assert status(waiting) == Order.Status.BACKORDERED

    # Then the periodic sweep gives the freed desks to the waiting order, and a second run does nothing
    from lifecycle.tasks import stock_backorders_sweep

    assert stock_backorders_sweep() == 1
    assert status(waiting) == Order.Status.VERIFIED
    assert stock_backorders_sweep() == 0
