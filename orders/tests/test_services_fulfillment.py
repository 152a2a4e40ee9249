"""Fulfilment, shipping, delivery and cancellation (orders/services/fulfillment.py)."""

from decimal import Decimal

import pytest

from inventory.models import StockAllocation, StockLevel, StockMovement
from invoicing.models import Payment
from lifecycle.cancellation import order_cancel
from lifecycle.delivery import shipment_deliver
from orders.models import EmailNotification, Order, Shipment
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
    shipment_fail_delivery,
    shipment_mark_in_transit,
    shipment_redispatch,
    shipment_return_to_sender,
    shipment_start_picking,
)
from orders.tests.factories import DeliveryMethodFactory
from orders_site.core.exceptions import ApplicationError, TransitionRefused
from tests.builders import order_advance, order_build, parcels_of, shipment_hand_to_carrier

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(staff_users):
    return staff_users["Warehouse"]


@pytest.fixture
def service(staff_users):
    return staff_users["Customer service"]


@pytest.fixture
def split_order(catalogue, customer):
    """Chairs in Amsterdam, a book only in Rotterdam, and assembly (a service) on top."""
    return order_build(customer=customer, lines=[(catalogue.chair, 2), (catalogue.book, 1), (catalogue.assembly, 1)])


def level(product, warehouse) -> tuple[int, int]:
    stock = StockLevel.objects.get(product=product, warehouse=warehouse)
    return stock.on_hand, stock.allocated


def test_fulfilment_makes_one_parcel_per_warehouse_and_the_service_travels_with_the_first(
    split_order, warehouse, catalogue
):
    order = order_fulfillment_start(order=split_order, actor=warehouse)

    first, second = order.shipments.order_by("pk")
    assert (first.number, first.warehouse, first.status) == (f"{order.number}-1", catalogue.main, "pending")
    assert (second.number, second.warehouse) == (f"{order.number}-2", catalogue.second)
    assert {(sl.order_line.sku, sl.quantity) for sl in first.lines.all()} == {("CHAIR-1", 2), ("ASSEMBLY", 1)}
    assert {(sl.order_line.sku, sl.quantity) for sl in second.lines.all()} == {("BOOK-1", 1)}


def test_dispatch_needs_a_carrier_and_a_tracking_number(split_order, warehouse, catalogue):
    parcel = parcels_of(order_advance(order=split_order, state="packed", actor=warehouse))[0]
    events_before = split_order.events.count()

    with pytest.raises(ApplicationError) as refused:
        shipment_dispatch(shipment=parcel, carrier="PostNL", tracking_number=" ", actor=warehouse)

    assert refused.value.extra == {"field": "tracking_number"}
    with pytest.raises(ApplicationError) as refused:
        shipment_dispatch(shipment=parcel, carrier="", tracking_number="3S123", actor=warehouse)
    assert refused.value.extra == {"field": "carrier"}
    parcel.refresh_from_db()
    assert parcel.status == Shipment.Status.PACKED
    assert level(catalogue.chair, catalogue.main) == (10, 2)
    assert split_order.events.count() == events_before


def test_stock_leaves_the_shelf_at_dispatch_and_the_order_follows_its_parcels(
    split_order, warehouse, catalogue, mailoutbox, django_capture_on_commit_callbacks
):
    amsterdam, rotterdam = parcels_of(order_advance(order=split_order, state="packed", actor=warehouse))
    assert level(catalogue.chair, catalogue.main) == (10, 2), "packing does not take stock off the shelf"

    with django_capture_on_commit_callbacks(execute=True):
        shipment_dispatch(
            shipment=amsterdam,
            carrier="PostNL",
            service="Parcel",
            tracking_number="3SAMS1",
            tracking_url="https://track.example/3SAMS1",
            actor=warehouse,
        )

    split_order.refresh_from_db()
    assert split_order.status == Order.Status.PARTIALLY_SHIPPED
    assert level(catalogue.chair, catalogue.main) == (8, 0)
    assert level(catalogue.book, catalogue.second) == (20, 1), "the Rotterdam parcel is still on the shelf"
    (mail,) = mailoutbox
    assert mail.subject == f"Your order {split_order.number} is on its way"
    assert "Tracking number: 3SAMS1" in mail.body and "https://track.example/3SAMS1" in mail.body

    shipment_hand_to_carrier(shipment=rotterdam, actor=warehouse)

    split_order.refresh_from_db()
    assert split_order.status == Order.Status.SHIPPED
    assert level(catalogue.book, catalogue.second) == (19, 0)
    dispatches = StockMovement.objects.filter(reference=split_order.number, kind=StockMovement.Kind.DISPATCH)
    assert sorted((m.stock_level.product.sku, m.on_hand_delta) for m in dispatches) == [
        ("BOOK-1", -1),
        ("CHAIR-1", -2),
    ]
    assert EmailNotification.objects.filter(kind="order_shipped", order=split_order).count() == 2


def test_a_pickup_order_is_handed_over_without_carrier_or_tracking(catalogue, customer, warehouse):
    pickup = DeliveryMethodFactory(code="pickup", name="Pick up", fee=Decimal("0"), is_pickup=True)
    order = order_build(
        state="packed", customer=customer, lines=[(catalogue.chair, 1)], delivery_method=pickup, shipping_address=None
    )
    (parcel,) = parcels_of(order)

    parcel = shipment_dispatch(shipment=parcel, carrier="", tracking_number="", actor=warehouse)

    assert (parcel.status, parcel.carrier, parcel.tracking_number) == ("shipped", "Pickup", "")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED


def test_the_order_is_delivered_and_invoiced_only_when_its_last_parcel_arrives(split_order, warehouse):
    amsterdam, rotterdam = parcels_of(order_advance(order=split_order, state="shipped", actor=warehouse))

    shipment_deliver(shipment=amsterdam, actor=warehouse)
    split_order.refresh_from_db()
    assert split_order.status == Order.Status.SHIPPED
    assert not split_order.invoices.exists()

    shipment_deliver(shipment=rotterdam, actor=warehouse)
    split_order.refresh_from_db()
    assert split_order.status == Order.Status.INVOICED
    assert split_order.invoices.get().total == split_order.total
    assert [e.kind for e in split_order.events.filter(kind__in=["order.deliver", "order.invoice"])] == [
        "order.deliver",
        "order.invoice",
    ]


def test_a_failed_delivery_can_be_tried_again(catalogue, customer, warehouse):
    order = order_build(state="shipped", customer=customer, lines=[(catalogue.chair, 1)], actor=warehouse)
    (parcel,) = parcels_of(order)

    shipment_mark_in_transit(shipment=parcel, actor=warehouse)
    shipment_fail_delivery(shipment=parcel, actor=warehouse, note="nobody home")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED, "a failed attempt does not deliver the order"
    shipment_redispatch(shipment=parcel, actor=warehouse)
    shipment_deliver(shipment=parcel, actor=warehouse)

    order.refresh_from_db()
    assert order.status == Order.Status.INVOICED
    assert list(order.events.filter(object_type="shipment").values_list("kind", flat=True)) == [
        "shipment.start_picking",
        "shipment.pack",
        "shipment.dispatch",
        "shipment.mark_in_transit",
        "shipment.fail_delivery",
        "shipment.redispatch",
        "shipment.deliver",
    ]


def test_a_parcel_returned_to_sender_does_not_deliver_or_invoice_the_order(catalogue, customer, warehouse):
    order = order_build(state="shipped", customer=customer, lines=[(catalogue.chair, 1)], actor=warehouse)
    (parcel,) = parcels_of(order)
    shipment_fail_delivery(shipment=parcel, actor=warehouse)

    shipment_return_to_sender(shipment=parcel, actor=warehouse)

    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert not order.invoices.exists()
    with pytest.raises(TransitionRefused, match="Cannot deliver shipment"):
        shipment_deliver(shipment=parcel, actor=warehouse)


# --- Cancellation ------------------------------------------------------------------------------


def test_cancelling_gives_the_stock_back_with_a_release_movement(split_order, service, catalogue):
    assert level(catalogue.chair, catalogue.main) == (10, 2)

    order = order_cancel(order=split_order, actor=service, reason="customer changed their mind")

    assert order.status == Order.Status.CANCELLED
    assert level(catalogue.chair, catalogue.main) == (10, 0)
    assert level(catalogue.book, catalogue.second) == (20, 0)
    releases = StockMovement.objects.filter(reference=order.number, kind=StockMovement.Kind.RELEASE)
    assert sorted((m.stock_level.product.sku, m.allocated_delta, m.on_hand_delta) for m in releases) == [
        ("BOOK-1", -1, 0),
        ("CHAIR-1", -2, 0),
    ]
    assert all(m.actor == service and m.reason == "customer changed their mind" for m in releases)
    assert all(a.open_quantity == 0 for a in StockAllocation.objects.filter(order_line__order=order))


def test_cancelling_voids_the_card_authorisation(catalogue, customer, service):
    order = order_build(
        customer=customer,
        lines=[(catalogue.chair, 1)],
        payment_method="card",
        card_token="4242424242424242",
    )

    order_cancel(order=order, actor=service)

    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.VOIDED
    event = order.events.get(kind="payment.void")
    assert (event.from_state, event.to_state, event.actor) == ("authorized", "voided", service)


def test_the_card_hold_is_released_at_the_gateway_only_once_the_cancellation_committed(
    catalogue, customer, service, django_capture_on_commit_callbacks
):
    from unittest import mock

    from invoicing.gateways import TestGateway

    order = order_build(
        customer=customer,
        lines=[(catalogue.chair, 1)],
        payment_method="card",
        card_token="4242424242424242",
    )
    reference = Payment.objects.get(order=order).gateway_reference

    with mock.patch.object(TestGateway, "void", autospec=True, return_value=mock.Mock(ok=True)) as void:
        with django_capture_on_commit_callbacks(execute=False) as after_commit:
            order_cancel(order=order, actor=service)
        void.assert_not_called()  # a rollback now would leave the hold as it is recorded
        for callback in after_commit:
            callback()

    assert [call.kwargs["gateway_reference"] for call in void.call_args_list] == [reference]


def test_cancelling_cancels_the_parcels_not_yet_sent(split_order, warehouse, service, catalogue):
    order = order_fulfillment_start(order=split_order, actor=warehouse)
    amsterdam, rotterdam = order.shipments.order_by("pk")
    shipment_start_picking(shipment=amsterdam, actor=warehouse)

    order_cancel(order=order, actor=service)

    assert set(order.shipments.values_list("status", flat=True)) == {Shipment.Status.CANCELLED}
    cancels = order.events.filter(kind="shipment.cancel")
    assert sorted((e.object_id, e.from_state) for e in cancels) == [
        (amsterdam.pk, "picking"),
        (rotterdam.pk, "pending"),
    ]
    assert level(catalogue.chair, catalogue.main) == (10, 0)


def test_cancelling_is_refused_once_a_parcel_has_left(split_order, warehouse, service, catalogue):
    order_advance(order=split_order, state="partially_shipped", actor=warehouse)
    events_before = split_order.events.count()

    with pytest.raises(TransitionRefused) as refused:
        order_cancel(order=split_order, actor=service)

    assert str(refused.value) == f"Cannot cancel order {split_order.number} while it is “Partially shipped”."
    split_order.refresh_from_db()
    assert split_order.status == Order.Status.PARTIALLY_SHIPPED
    assert set(split_order.shipments.values_list("status", flat=True)) == {"shipped", "packed"}
    assert level(catalogue.book, catalogue.second) == (20, 1), "the packed parcel keeps its stock"
    assert split_order.events.count() == events_before


def test_a_cancelled_order_cannot_be_cancelled_again(catalogue, customer, service):
    order = order_build(customer=customer, lines=[(catalogue.chair, 1)])
    order_cancel(order=order, actor=service)

    with pytest.raises(TransitionRefused, match="while it is “Cancelled”"):
        order_cancel(order=order, actor=service)

    assert StockMovement.objects.filter(reference=order.number, kind="release").count() == 1


def test_the_customer_is_told_of_the_cancellation(
    catalogue, customer, service, mailoutbox, django_capture_on_commit_callbacks
):
    order = order_build(customer=customer, lines=[(catalogue.chair, 1)])

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, actor=service)

    (mail,) = mailoutbox
    assert (mail.to, mail.subject) == ([customer.email], f"Your order {order.number} has been cancelled")
