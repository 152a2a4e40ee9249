"""Correcting an order's address (orders/services/addresses.py)."""

import pytest

from orders.models import Order, OrderEvent
from orders.services.addresses import order_address_update
from orders.services.verification import order_reverify
from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from tests.builders import address_data, order_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(staff_users):
    return staff_users["Customer service"]


def held_for_address(catalogue, customer) -> Order:
    return order_build(
        state="on_hold", customer=customer, lines=[(catalogue.book, 1)], shipping_address=address_data(postal_code="12")
    )


def address_changes(order) -> list[OrderEvent]:
    return list(order.events.filter(kind="order.address_changed"))


def test_fixing_the_shipping_address_writes_only_the_changes_and_one_event(catalogue, customer, service):
    order = held_for_address(catalogue, customer)
    address = order.shipping_address

    order_address_update(
        order=order,
        address=address,
        changes={"postal_code": " 1016 GV ", "city": "Amsterdam"},  # the city is unchanged
        actor=service,
        reason="Checked with the customer by phone.",
    )

    address.refresh_from_db()
    assert (address.postal_code, address.city, address.customer_id) == ("1016 GV", "Amsterdam", None)
    (event,) = address_changes(order)
    assert event.actor == service
    assert event.data == {"address": "shipping", "before": {"postal_code": "12"}, "after": {"postal_code": "1016 GV"}}
    assert event.note == "Shipping address corrected: postal_code. Checked with the customer by phone."
    assert not event.customer_visible
    order.refresh_from_db()
    assert order.status == Order.Status.ON_HOLD  # re-checking is a separate step

    assert order_reverify(order=order, actor=service).status == Order.Status.VERIFIED


def test_the_billing_address_is_named_in_the_event(catalogue, customer, service):
    order = held_for_address(catalogue, customer)
    order_address_update(order=order, address=order.billing_address, changes={"phone": "020 123"}, actor=service)
    (event,) = address_changes(order)
    assert event.data["address"] == "billing" and event.data["after"] == {"phone": "020 123"}


def test_nothing_changed_writes_nothing(catalogue, customer, service):
    order = held_for_address(catalogue, customer)
    order_address_update(order=order, address=order.shipping_address, changes={"postal_code": "12"}, actor=service)
    assert address_changes(order) == []


def test_refused_once_the_order_is_dispatched(catalogue, customer, staff_users, service):
    order = order_build(state="shipped", customer=customer, lines=[(catalogue.book, 1)], actor=staff_users["Warehouse"])
    events = order.events.count()

    with pytest.raises(TransitionRefused, match="can only be corrected until the order is dispatched"):
        order_address_update(
            order=order, address=order.shipping_address, changes={"line1": "Elsewhere 1"}, actor=service
        )

    order.shipping_address.refresh_from_db()
    assert order.shipping_address.line1 == "Prinsengracht 263"
    assert order.events.count() == events


def test_refuses_an_address_of_another_order_or_fields_that_are_no_address(catalogue, customer, service):
    order = held_for_address(catalogue, customer)
    other = order_build(state=None, customer=customer, lines=[(catalogue.book, 1)])

    with pytest.raises(ApplicationError, match="not the shipping or billing address of order"):
        order_address_update(order=order, address=other.shipping_address, changes={"city": "X"}, actor=service)
    with pytest.raises(ApplicationError, match="not: customer"):
        order_address_update(order=order, address=order.shipping_address, changes={"customer": customer}, actor=service)
    assert address_changes(order) == []


def test_warehouse_staff_may_not_change_addresses(catalogue, customer, staff_users):
    order = held_for_address(catalogue, customer)
    with pytest.raises(PermissionRefused):
        order_address_update(
            order=order, address=order.shipping_address, changes={"city": "X"}, actor=staff_users["Warehouse"]
        )
