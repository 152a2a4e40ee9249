"""Fixing an order's address in the admin goes through `order_address_update` and leaves an event."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from orders.models import Address, Order
from tests.builders import address_data, customer_build

from .journeys import change_url, errors_in, place, place_held_for_address, successes_in

pytestmark = pytest.mark.django_db

ADDRESS_FIELDS = ("full_name", "company", "line1", "line2", "postal_code", "city", "region", "country", "phone")


def fix_url(order, address) -> str:
    return reverse("admin:orders_address_change", args=[address.pk]) + f"?order={order.pk}"


def as_posted(address, **changes) -> dict:
    return {**{f: getattr(address, f) or "" for f in ADDRESS_FIELDS}, "customer": "", **changes}


def test_fixing_a_held_orders_address_writes_one_event_and_re_checks_it(catalogue, staff_client, staff_users):
    order = place_held_for_address(catalogue)
    address = order.shipping_address
    browser = staff_client("Customer service")

    response = browser.post(fix_url(order, address), as_posted(address, postal_code="1016 GV"), follow=True)

    assert response.redirect_chain[-1][0] == change_url(order)
    assert successes_in(response) == [
        f"Delivery address of order {order.number} saved and the order re-checked: it is now “Verified”."
    ]
    (event,) = order.events.filter(kind="order.address_changed")
    assert event.actor == staff_users["Customer service"]
    assert event.data == {"address": "shipping", "before": {"postal_code": "12"}, "after": {"postal_code": "1016 GV"}}
    address.refresh_from_db()
    assert address.postal_code == "1016 GV"
    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED
    assert order.checks.get(name="customer").result == "passed"


def test_a_fix_that_does_not_cure_the_hold_says_why_the_order_is_still_held(catalogue, staff_client):
    order = place_held_for_address(catalogue)
    address = order.shipping_address

    response = staff_client("Customer service").post(
        fix_url(order, address), as_posted(address, postal_code="99"), follow=True
    )

    order.refresh_from_db()
    assert order.status == Order.Status.ON_HOLD
    assert successes_in(response) == [
        f"Delivery address of order {order.number} saved and the order re-checked: it is now “On hold”. "
        "Still held: delivery postal code '99' does not look like one from NL."
    ]
    assert order.events.filter(kind="order.recheck_failed").count() == 1


def held_with_one_wrong_address_typed_once(catalogue):
    """Delivery and billing typed once at checkout (two equal copies), both with a wrong postal code."""
    wrong = address_data(postal_code="12")
    order = place(catalogue, state="on_hold", shipping_address=wrong, billing_address=wrong)
    assert order.shipping_address_id != order.billing_address_id
    return order


def test_when_both_addresses_were_the_same_the_page_offers_to_fix_both_ticked(catalogue, staff_client):
    order = held_with_one_wrong_address_typed_once(catalogue)
    other = place_held_for_address(catalogue)  # delivery and billing differ

    page = staff_client("Customer service").get(fix_url(order, order.shipping_address)).text
    other_page = staff_client("Customer service").get(fix_url(other, other.shipping_address)).text

    assert 'name="apply_to_both"' in page
    assert re.search(r'<input type="checkbox" name="apply_to_both"[^>]* checked', page)
    assert "Fix both addresses" in page
    assert 'name="apply_to_both"' not in other_page


def test_fixing_both_addresses_at_once_verifies_the_order_in_one_step(catalogue, staff_client):
    order = held_with_one_wrong_address_typed_once(catalogue)
    address = order.shipping_address

    response = staff_client("Customer service").post(
        fix_url(order, address), as_posted(address, postal_code="1016 GV", apply_to_both="on"), follow=True
    )

    order.refresh_from_db()
    assert (order.shipping_address.postal_code, order.billing_address.postal_code) == ("1016 GV", "1016 GV")
    assert order.status == Order.Status.VERIFIED
    assert successes_in(response) == [
        f"Delivery and billing addresses of order {order.number} saved and the order re-checked: it is now “Verified”."
    ]
    assert sorted(order.events.filter(kind="order.address_changed").values_list("data__address", flat=True)) == [
        "billing",
        "shipping",
    ]


def test_unticking_fix_both_corrects_only_this_address_and_the_order_stays_held(catalogue, staff_client):
    order = held_with_one_wrong_address_typed_once(catalogue)
    address = order.shipping_address

    response = staff_client("Customer service").post(
        fix_url(order, address), as_posted(address, postal_code="1016 GV"), follow=True
    )

    order.refresh_from_db()
    assert (order.shipping_address.postal_code, order.billing_address.postal_code) == ("1016 GV", "12")
    assert order.status == Order.Status.ON_HOLD
    assert "Still held: billing postal code '12' does not look like one from NL." in successes_in(response)[0]


def test_fix_both_posted_for_addresses_that_differ_leaves_the_other_alone(catalogue, staff_client):
    # The service decides whether the addresses were the same, not the posted checkbox.
    order = place_held_for_address(catalogue)
    address = order.shipping_address

    staff_client("Customer service").post(
        fix_url(order, address), as_posted(address, postal_code="1017 AB", apply_to_both="on"), follow=True
    )

    order.refresh_from_db()
    assert (order.shipping_address.postal_code, order.billing_address.postal_code) == ("1017 AB", "1016 GV")
    assert order.events.filter(kind="order.address_changed").count() == 1


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
