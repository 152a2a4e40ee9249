"""Two people (or two requests) acting on the same order at the same moment."""

import threading
import time
from unittest import mock

import pytest

from inventory.models import StockLevel
from invoicing.tasks import invoice_pdf_render_task
from lifecycle.cancellation import order_cancel
from lifecycle.delivery import shipment_deliver
from lifecycle.tasks import notification_send
from orders.models import Order, OrderEvent, Shipment
from orders.services import fulfillment
from orders.services.fulfillment import order_fulfillment_start, shipment_dispatch
from orders.services.placement import LineRequest, order_place
from orders_site.core.exceptions import TransitionRefused
from tests.builders import address_data, delivery_method_build, order_build, parcels_of

from .threads import run_at_once, run_in_thread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_staff_pressing_start_fulfilment_at_once_start_it_once(catalogue, customer, staff_users):
    order = order_build(customer=customer, lines=[(catalogue.chair, 1)])
    warehouse = staff_users["Warehouse"]

    def press():
        return order_fulfillment_start(order=order, actor=warehouse, expected_status=Order.Status.VERIFIED)

    outcomes = run_at_once(press, press)

    assert sum(o.ok for o in outcomes) == 1
    (refused,) = [o.error for o in outcomes if not o.ok]
    assert isinstance(refused, TransitionRefused), refused
    assert "since you opened it" in str(refused)
    order.refresh_from_db()
    assert order.status == Order.Status.IN_FULFILLMENT
    assert OrderEvent.objects.filter(order=order, kind="order.start_fulfillment").count() == 1
    assert order.shipments.count() == 1


def test_the_same_checkout_posted_twice_at_once_makes_one_order(catalogue, customer):
    delivery_method = delivery_method_build()

    def submit():
        return order_place(
            customer=customer,
            lines=[LineRequest(product_id=catalogue.chair.pk, quantity=2)],
            channel=Order.Channel.WEB,
            delivery_method=delivery_method,
            payment_method="bank_transfer",
            billing_address=address_data(),
            shipping_address=address_data(),
            idempotency_key="checkout-5d1c",
        )

    outcomes = run_at_once(submit, submit)

    assert [o.error for o in outcomes] == [None, None], "both requests show the customer their order"
    assert outcomes[0].value.pk == outcomes[1].value.pk
    assert Order.objects.count() == 1
    assert OrderEvent.objects.filter(kind="order.place").count() == 1
    assert StockLevel.objects.get(product=catalogue.chair, warehouse=catalogue.main).allocated == 2


def slowed(function, seconds: float, entered: threading.Event | None = None):
    """`function`, taking a little longer, so that two threads surely overlap inside it."""

    def slow(*args, **kwargs):
        if entered is not None:
            entered.set()
        time.sleep(seconds)
        return function(*args, **kwargs)

    return slow


def test_two_parcels_of_one_order_dispatched_at_once_ship_the_order(catalogue, customer, staff_users):
    # Given an order split over Amsterdam and Rotterdam, both parcels packed.
    warehouse = staff_users["Warehouse"]
    order = order_build(state="packed", customer=customer, lines=[(catalogue.chair, 1), (catalogue.book, 1)])
    amsterdam, rotterdam = parcels_of(order)

    # When a worker in each warehouse hands their parcel to the carrier at the same moment.
    def dispatch(parcel):
        return lambda: shipment_dispatch(
            shipment=parcel, carrier="PostNL", tracking_number=f"3S{parcel.pk}", actor=warehouse
        )

    with mock.patch.object(fulfillment, "stock_dispatch", slowed(fulfillment.stock_dispatch, 0.3)):
        outcomes = run_at_once(dispatch(amsterdam), dispatch(rotterdam))

    # Then both are dispatched and the order is shipped, not left waiting for a parcel that has gone.
    assert [o.error for o in outcomes] == [None, None]
    assert set(order.shipments.values_list("status", flat=True)) == {Shipment.Status.SHIPPED}
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    kinds = sorted(OrderEvent.objects.filter(order=order, kind__startswith="order.ship").values_list("kind", flat=True))
    assert kinds == ["order.ship", "order.ship_partially"]


def test_a_cancellation_during_dispatch_is_refused_with_a_reason(catalogue, customer, staff_users):
    # Given a packed parcel being handed to the carrier.
    order = order_build(state="packed", customer=customer, lines=[(catalogue.chair, 1)])
    (parcel,) = parcels_of(order)
    dispatching = threading.Event()

    with mock.patch.object(fulfillment, "stock_dispatch", slowed(fulfillment.stock_dispatch, 0.5, dispatching)):
        dispatcher, dispatched = run_in_thread(
            lambda: shipment_dispatch(
                shipment=parcel, carrier="PostNL", tracking_number="3S1", actor=staff_users["Warehouse"]
            )
        )
        assert dispatching.wait(10)
        # When customer service cancels the order in that very moment.
        canceller, cancelled = run_in_thread(lambda: order_cancel(order=order, actor=staff_users["Customer service"]))
        dispatcher.join(30)
        canceller.join(30)

    # Then the parcel leaves and the cancellation is refused with a reason (not a database error).
    assert dispatched.ok, dispatched.error
    assert isinstance(cancelled.error, TransitionRefused), cancelled.error
    assert "while it is “Shipped”" in str(cancelled.error)
    order.refresh_from_db()
    parcel.refresh_from_db()
    assert (order.status, parcel.status) == (Order.Status.SHIPPED, Shipment.Status.SHIPPED)
    assert StockLevel.objects.get(product=catalogue.chair, warehouse=catalogue.main).on_hand == 9


def test_two_parcels_delivered_at_once_deliver_and_invoice_the_order_once(catalogue, customer, staff_users):
    # Given both parcels of a split order on their way.
    order = order_build(state="shipped", customer=customer, lines=[(catalogue.chair, 1), (catalogue.book, 1)])
    parcels = parcels_of(order)

    # When the carrier reports both deliveries at the same moment.
    with mock.patch.object(invoice_pdf_render_task, "delay"), mock.patch.object(notification_send, "delay"):
        outcomes = run_at_once(*[lambda parcel=parcel: shipment_deliver(shipment=parcel) for parcel in parcels])

    # Then the order is delivered and invoiced, once.
    assert [o.error for o in outcomes] == [None, None]
    order.refresh_from_db()
    assert order.status == Order.Status.INVOICED
    assert order.invoices.count() == 1
    assert OrderEvent.objects.filter(order=order, kind="order.deliver").count() == 1


def test_two_parcels_with_the_same_products_in_opposite_order_dispatch_without_deadlock(
    catalogue, customer, staff_users
):
    # Given two orders of a chair and a lamp from Amsterdam, their lines in opposite order, both packed.
    warehouse = staff_users["Warehouse"]
    chair_first = order_build(
        state="packed", customer=customer, lines=[(catalogue.chair, 1), (catalogue.lamp, 1)], actor=warehouse
    )
    lamp_first = order_build(state="packed", lines=[(catalogue.lamp, 1), (catalogue.chair, 1)], actor=warehouse)
    (parcel_a,) = parcels_of(chair_first)
    (parcel_b,) = parcels_of(lamp_first)

    # When both parcels are handed to the carrier at the same moment (each line a little slow, so
    # that line-by-line locking would hold one level and wait for the other).
    def dispatch(parcel):
        return lambda: shipment_dispatch(
            shipment=parcel, carrier="PostNL", tracking_number=f"3S{parcel.pk}", actor=warehouse
        )

    with mock.patch.object(fulfillment, "stock_dispatch", slowed(fulfillment.stock_dispatch, 0.3)):
        outcomes = run_at_once(dispatch(parcel_a), dispatch(parcel_b))

    # Then both leave (the stock levels are locked in one order, not per line) and the stock is right.
    assert [o.error for o in outcomes] == [None, None]
    assert StockLevel.objects.get(product=catalogue.chair, warehouse=catalogue.main).on_hand == 8
    assert StockLevel.objects.get(product=catalogue.lamp, warehouse=catalogue.main).on_hand == 3
