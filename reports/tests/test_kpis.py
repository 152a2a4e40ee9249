"""Every figure of the dashboard against a small shop built by hand: orders placed through the real
services, their timelines then set to known moments in November 2026, and the expected values
worked out in the comments."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from inventory.models import StockLevel
from invoicing.models import Invoice
from invoicing.services import credit_note_issue
from lifecycle.cancellation import order_cancel
from orders.models import Order, OrderEvent, Shipment
from orders.services.verification.service import order_release
from reports.figures import ORDER_SETS, orders_in
from reports.kpis import dashboard
from reports.periods import Period
from tests.builders import (
    CUSTOMER_SERVICE,
    address_data,
    feedback_given,
    order_build,
    product_build,
    staff_member,
)

pytestmark = pytest.mark.django_db

Kind = OrderEvent.Kind
SHOP = ZoneInfo("Europe/Amsterdam")
NOVEMBER = Period(first_day=date(2026, 11, 1), last_day=date(2026, 11, 30))
TODAY = date(2026, 12, 1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHOP)


def timeline_set(order: Order, placed: datetime, offsets: dict | None = None) -> Order:
    """Move the order's placement to `placed` and each of its events to `placed` + the offset
    given for its kind, an event without one to the moment of the event before it (so the
    timeline keeps its order)."""
    offsets = offsets or {}
    Order.objects.filter(pk=order.pk).update(placed_at=placed)
    moment = placed
    for event in OrderEvent.objects.filter(order=order).order_by("created_at", "pk"):
        moment = placed + offsets[event.kind] if event.kind in offsets else moment
        OrderEvent.objects.filter(pk=event.pk).update(created_at=moment)
    return Order.objects.get(pk=order.pk)


def parcel_set(order: Order, *, dispatch_by: date, dispatched: datetime) -> None:
    """The parcel's promised day and its dispatch, as dispatch would have recorded them then."""
    Shipment.objects.filter(order=order).update(
        dispatch_by=dispatch_by,
        dispatched_at=dispatched,
        dispatched_late=dispatched.astimezone(SHOP).date() > dispatch_by,
    )


@pytest.fixture
def shop(catalogue):
    """Nine orders placed in November, one in October (the period before):

    A1..A4  one book each, delivered 1, 2, 3 and 5 days after placement; each parcel promised for
            the day after placement, A4's dispatched two days late; A1..A3 paid (completed), A4
            invoiced; A3 has a credit note (a damaged book). Feedback: A1 5 stars, A2 2 stars, A3
            asked and not answered.
    B1, B2  one book each, cancelled ("Customer changed their mind" both).
    C1, C2  held by the customer check (a non-Dutch postal code): C1 released 4 hours later,
            C2 still on hold.
    D1      a back-orderable desk with no stock: back-ordered.
    Z       one book, placed 20 October.
    """
    book = catalogue.book
    orders = {}
    cycles = {"A1": 1, "A2": 2, "A3": 3, "A4": 5}
    for n, (name, days) in enumerate(cycles.items()):
        state = "completed" if name != "A4" else "invoiced"
        order = order_build(lines=[(book, 1)], state=state, payment_method="card")
        placed = at(2 + n)
        shipped = (3 if name == "A4" else 1) * DAY
        orders[name] = timeline_set(
            order,
            placed,
            {
                Kind.ORDER_START_FULFILLMENT: 2 * HOUR,
                Kind.SHIPMENT_START_PICKING: 3 * HOUR,
                Kind.SHIPMENT_DISPATCH: shipped,
                Kind.ORDER_SHIP: shipped,
                Kind.SHIPMENT_DELIVER: days * DAY,
                Kind.ORDER_DELIVER: days * DAY,
                Kind.ORDER_INVOICE: days * DAY,
                Kind.INVOICE_ISSUE: days * DAY,
                Kind.PAYMENT_CAPTURE: days * DAY + HOUR,
                Kind.ORDER_PAY: days * DAY + HOUR,
                Kind.ORDER_COMPLETE: days * DAY + HOUR,
            },
        )
        late = name == "A4"
        parcel_set(order, dispatch_by=placed.date() + DAY, dispatched=placed + (3 * DAY if late else 20 * HOUR))
    invoice = Invoice.objects.get(order=orders["A3"])
    credit_note_issue(invoice=invoice, reason="The book arrived damaged", amount=Decimal("5.00"))
    feedback_given(orders["A1"], rating=5)
    feedback_given(orders["A2"], rating=2)
    for name, day in (("B1", 8), ("B2", 9)):
        order = order_build(lines=[(book, 1)], state="verified")
        order_cancel(order=order, actor=staff_member(CUSTOMER_SERVICE), reason="Customer changed their mind")
        orders[name] = timeline_set(order, at(day), {Kind.ORDER_CANCEL: HOUR})
    for name, day in (("C1", 10), ("C2", 11)):
        order = order_build(lines=[(book, 1)], state="on_hold", shipping_address=address_data(postal_code="12"))
        if name == "C1":
            order_release(order=order, actor=staff_member(CUSTOMER_SERVICE), note="Checked with the customer")
        orders[name] = timeline_set(order, at(day), {Kind.ORDER_VERIFY: 4 * HOUR})
    desk = product_build(sku="DESK-9", name="Standing desk", price=Decimal("300.00"), is_backorderable=True)
    StockLevel.objects.filter(product=desk).delete()
    orders["D1"] = timeline_set(order_build(lines=[(desk, 1)], state="backordered"), at(12))
    orders["Z"] = timeline_set(order_build(lines=[(book, 1)], state="verified"), at(20, month=10))
    return orders


def test_orders_revenue_and_the_period_before(shop):
    figures = dashboard(NOVEMBER, today=TODAY)

    # Nine placed; B1 and B2 cancelled: seven kept. Each kept order is one book at 24.50 (9 % tax:
    # 2.205 -> 2.21) and standard delivery 4.95 (21 %: 1.0395 -> 1.04), except D1, a 300.00 desk
    # at 21 % (63.00). Goods 6 x 24.50 + 300.00 = 447.00; delivery 7 x 4.95 = 34.65;
    # tax 6 x (2.21 + 1.04) + 63.00 + 1.04 = 83.54; total 447.00 + 34.65 + 83.54 = 565.19.
    assert figures.placed == 9
    assert figures.money.orders == 7
    assert (figures.money.net, figures.money.shipping, figures.money.tax) == (
        Decimal("447.00"),
        Decimal("34.65"),
        Decimal("83.54"),
    )
    assert figures.money.total == Decimal("565.19")
    # 565.19 / 7 = 80.7414... -> 80.74
    assert figures.money.average_order_value == Decimal("80.74")
    # October: Z alone, 24.50 + 4.95 + 2.21 + 1.04 = 32.70.
    assert (figures.previous_money.orders, figures.previous_money.total) == (1, Decimal("32.70"))
    per_day = {day.day: day for day in figures.per_day}
    assert len(per_day) == 30
    assert (per_day[date(2026, 11, 8)].orders, per_day[date(2026, 11, 8)].cancelled) == (1, 1)
    assert per_day[date(2026, 11, 8)].total == Decimal("0.00")
    assert per_day[date(2026, 11, 12)].total == Decimal("368.99")  # D1: 300 + 4.95 + 63.00 + 1.04


def test_cycle_time_median_and_90th_percentile_and_its_bands(shop):
    figures = dashboard(NOVEMBER, today=TODAY)

    # Delivered: A1..A4 in 1, 2, 3 and 5 days. Median: between the 2nd and 3rd, 2.5 days = 2 days
    # 12 hours. 90th percentile at rank 0.9 x (4 - 1) = 2.7: 3 days + 0.7 x (5 - 3) days = 4.4 days
    # = 4 days 9 hours 36 minutes.
    assert figures.cycle_delivered == 4
    assert figures.cycle_median == timedelta(days=2, hours=12)
    assert figures.cycle_p90 == timedelta(days=4, hours=9, minutes=36)
    assert figures.cycle_histogram == [
        ("under 1 day", 0),
        ("1-2 days", 1),
        ("2-3 days", 1),
        ("3-5 days", 1),
        ("5-8 days", 1),
        ("8 days or more", 0),
    ]


def test_time_in_each_stage_comes_from_the_timeline(shop):
    stays = {stage.status: stage for stage in dashboard(NOVEMBER, today=TODAY).stage_times}

    # In fulfilment: from fulfilment starting (2 hours after placement) to the order shipping:
    # A1..A3 after 1 day (22 hours), A4 after 3 days (70 hours): (3 x 22 + 70) / 4 = 34 hours.
    assert (stays["in_fulfillment"].stays, stays["in_fulfillment"].average) == (4, timedelta(hours=34))
    # On hold: C1 for 4 hours until released; C2 is still on hold (a stay not over is not counted).
    assert (stays["on_hold"].stays, stays["on_hold"].average) == (1, timedelta(hours=4))
    # Shipped: A1 delivered 0 days after shipping (1 - 1), A2 1 day, A3 2 days, A4 2 days (5 - 3):
    # 5 days / 4 = 1 day 6 hours.
    assert stays["shipped"].average == timedelta(days=1, hours=6)


def test_on_time_dispatch_and_perfect_orders(shop):
    figures = dashboard(NOVEMBER, today=TODAY)

    # Four parcels due (A1..A4, promised for the day after placement); A4's went two days late.
    assert (figures.on_time_dispatch.part, figures.on_time_dispatch.whole) == (3, 4)
    assert figures.on_time_dispatch.percent == Decimal("75.0")
    # Of the four delivered, A3 has a credit note and A4 was late: A1 and A2 are perfect.
    assert (figures.perfect.part, figures.perfect.whole, figures.perfect.percent) == (2, 4, Decimal("50.0"))
    orders = orders_in(NOVEMBER)
    numbers = {name: order.number for name, order in shop.items()}
    assert set(ORDER_SETS["perfect"].narrow(orders).values_list("number", flat=True)) == {numbers["A1"], numbers["A2"]}
    assert set(ORDER_SETS["not_perfect"].narrow(orders).values_list("number", flat=True)) == {
        numbers["A3"],
        numbers["A4"],
    }
    assert list(ORDER_SETS["late_dispatch"].narrow(orders).values_list("number", flat=True)) == [numbers["A4"]]


def test_back_order_cancellation_and_hold_rates_with_their_reasons(shop):
    figures = dashboard(NOVEMBER, today=TODAY)

    # Of nine placed: D1 back-ordered (1/9 = 11.1 %), B1 and B2 cancelled (2/9 = 22.2 %), C1 and C2
    # held (22.2 %) by the customer check; C1's hold was resolved in 4 hours, C2's is not yet.
    assert (figures.backordered.part, figures.backordered.percent) == (1, Decimal("11.1"))
    assert (figures.cancelled.part, figures.cancelled.percent) == (2, Decimal("22.2"))
    assert figures.cancel_reasons == [("Customer changed their mind", 2)]
    assert (figures.held.part, figures.held.percent) == (2, Decimal("22.2"))
    assert figures.hold_reasons == [("customer", 2)]
    assert (figures.hold_resolution_median, figures.holds_resolved) == (timedelta(hours=4), 1)


def test_satisfaction_top_products_stock_and_receivables(shop, catalogue):
    figures = dashboard(NOVEMBER, today=TODAY)

    # A1 rated 5, A2 rated 2 (low), A3 asked and silent: average 3.50, low 1 of 2, answered 2 of 3.
    assert figures.rating_average == Decimal("3.50")
    assert (figures.low_ratings.part, figures.low_ratings.whole) == (1, 2)
    assert (figures.feedback_response.part, figures.feedback_response.whole) == (2, 3)
    assert figures.feedback_response.percent == Decimal("66.7")
    # The desk: 300.00 once; the book: 24.50 on each of the six kept orders that have one = 147.00.
    assert [(row["sku"], row["revenue"], row["units"]) for row in figures.top_by_revenue] == [
        ("DESK-9", Decimal("300.00"), 1),
        ("BOOK-1", Decimal("147.00"), 6),
    ]
    assert figures.top_by_returns == []
    # Now: the desk has no stock level (not counted); the catalogue's lamps and chairs are plentiful.
    # Books: 20 in RTM, less the ones allocated or sent, none at or below a reorder point of 0.
    assert (figures.stock_out, figures.stock_low) == (0, 0)
    StockLevel.objects.filter(product=catalogue.lamp, warehouse=catalogue.main).update(reorder_point=5)
    StockLevel.objects.filter(product=catalogue.chair).update(on_hand=0)
    figures = dashboard(NOVEMBER, today=TODAY)
    assert (figures.stock_out, figures.stock_low) == (1, 1)
    # Receivables: A4's invoice alone is open (its card authorised, not captured yet): 24.50 + 2.21
    # + 4.95 + 1.04 = 32.70, due 14 days after it was issued, so not due yet on 1 December.
    assert figures.ageing == {
        "not_due": Decimal("32.70"),
        "d0_30": Decimal("0.00"),
        "d31_60": Decimal("0.00"),
        "d61_90": Decimal("0.00"),
        "d90_plus": Decimal("0.00"),
    }


def test_the_pipeline_now_counts_every_open_order_with_the_oldest_in_each_stage(shop):
    stages = {stage.status: stage for stage in dashboard(NOVEMBER, today=TODAY).pipeline}

    # Now, whenever placed: C1 (released) and Z (placed in October) verified, C2 on hold, D1
    # back-ordered, A4 invoiced; A1..A3 are completed and B1, B2 cancelled, so not in the pipeline.
    assert {status: stage.orders for status, stage in stages.items() if stage.orders} == {
        "verified": 2,
        "on_hold": 1,
        "backordered": 1,
        "invoiced": 1,
    }
    assert stages["verified"].oldest_placed_at == at(20, month=10)  # Z, the older of the two
    assert stages["on_hold"].oldest_placed_at == at(11)
    assert stages["shipped"].oldest_placed_at is None
