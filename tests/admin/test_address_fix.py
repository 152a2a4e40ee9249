"""Fixing an order's address in the admin goes through `order_address_update` and leaves an event."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from orders.models import Address, Order
from tests.builders import customer_build

from .journeys import change_url, errors_in, place, place_held_for_address, press, successes_in

pytestmark = pytest.mark.django_db

ADDRESS_FIELDS = ("full_name", "company", "line1", "line2", "postal_code", "city", "region", "country", "phone")


def fix_url(order, address) -> str:
    return reverse("admin:orders_address_change", args=[address.pk]) + f"?order={order.pk}"


def as_posted(address, **changes) -> dict:
    return {**{f: getattr(address, f) or "" for f in ADDRESS_FIELDS}, "customer": "", **changes}


def test_fixing_a_held_orders_address_writes_one_event_then_recheck_verifies(catalogue, staff_client, staff_users):
    order = place_held_for_address(catalogue)
    address = order.shipping_address
    browser = staff_client("Customer service")

    response = browser.post(fix_url(order, address), as_posted(address, postal_code="1016 GV"), follow=True)

    assert response.redirect_chain[-1][0] == change_url(order)
    assert successes_in(response) == [f"Address of order {order.number} saved. Press “Re-check” to verify it again."]
    (event,) = order.events.filter(kind="order.address_changed")
    assert event.actor == staff_users["Customer service"]
    assert event.data == {"address": "shipping", "before": {"postal_code": "12"}, "after": {"postal_code": "1016 GV"}}
    address.refresh_from_db()
    assert address.postal_code == "1016 GV"
    order.refresh_from_db()
    assert order.status == Order.Status.ON_HOLD  # the re-check is its own button

    press(browser, order, "reverify")

    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED


def test_editing_a_shipped_orders_address_is_refused_and_changes_nothing(catalogue, staff_client, staff_users):
    order = place(catalogue, state="shipped", actor=staff_users["Warehouse"])
    address = order.shipping_address
    events, log_entries = order.events.count(), LogEntry.objects.count()
    browser = staff_client("Customer service")

    # The page no longer offers the form, and a post straight to it is forbidden ...
    response = browser.post(fix_url(order, address), as_posted(address, line1="Elsewhere 1"))
    assert response.status_code == 403

    address.refresh_from_db()
    assert address.line1 == "Prinsengracht 263"
    assert (order.events.count(), LogEntry.objects.count()) == (events, log_entries)


def test_an_order_dispatched_while_the_page_was_checked_is_refused_by_the_service(
    catalogue, staff_client, staff_users, monkeypatch
):
    # The admin's own check passed (the parcel left between that check and the save): the service,
    # which locks the order, still refuses, with a message, and nothing is written.
    order = place(catalogue, state="shipped", actor=staff_users["Warehouse"])
    address = order.shipping_address
    events, log_entries = order.events.count(), LogEntry.objects.count()
    monkeypatch.setattr("orders.admin.customers.address_editable", lambda address: True)

    response = staff_client("Customer service").post(
        fix_url(order, address), as_posted(address, line1="Elsewhere 1"), follow=True
    )

    assert errors_in(response) == [
        f"Order {order.number} is “Shipped”; its address can only be corrected until the order is dispatched."
    ]
    assert successes_in(response) == []
    address.refresh_from_db()
    assert address.line1 == "Prinsengracht 263"
    assert (order.events.count(), LogEntry.objects.count()) == (events, log_entries)


def test_an_address_book_entry_saves_as_before(staff_client):
    customer = customer_build()
    address = Address.objects.create(
        customer=customer, full_name="Anna", line1="Dam 1", postal_code="1012 JS", city="Amsterdam", country="NL"
    )

    response = staff_client("Customer service").post(
        reverse("admin:orders_address_change", args=[address.pk]),
        {**as_posted(address, city="Haarlem"), "customer": customer.pk},
    )

    assert response.status_code == 302
    address.refresh_from_db()
    assert (address.customer, address.city) == (customer, "Haarlem")
