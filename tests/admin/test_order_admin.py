"""The order page's buttons, the on-hold queue and its bulk actions, as staff use them."""

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from inventory.models import StockLevel
from orders.models import Order
from tests.builders import address_data, order_advance

from .journeys import (
    action_url,
    change_url,
    errors_in,
    place,
    place_held_for_address,
    place_held_for_stock,
    press,
    successes_in,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"


def event_count(order) -> int:
    return order.events.count()


# -- which buttons show ---------------------------------------------------------------------------------


def test_verified_order_shows_warehouse_start_fulfilment_but_no_cancel(catalogue, staff_client):
    # Given a verified order
    order = place(catalogue)
    assert order.status == Order.Status.VERIFIED

    # When the warehouse opens it
    response = staff_client("Warehouse").get(change_url(order))

    # Then it can start fulfilment, not cancel or release
    assert response.status_code == 200
    assert action_url(order, "start_fulfillment") in response.text
    assert action_url(order, "cancel") not in response.text
    assert action_url(order, "release") not in response.text


def test_customer_service_sees_cancel_but_not_start_fulfilment(catalogue, staff_client):
    order = place(catalogue)

    response = staff_client("Customer service").get(change_url(order))

    assert action_url(order, "cancel") in response.text
    assert action_url(order, "start_fulfillment") not in response.text


def test_held_order_shows_recheck_release_and_cancel_to_customer_service(catalogue, staff_client):
    order = place_held_for_address(catalogue)
    assert order.status == Order.Status.ON_HOLD

    response = staff_client("Customer service").get(change_url(order))

    for action in ("reverify", "release", "cancel"):
        assert action_url(order, action) in response.text
    assert 'name="expected_status" value="on_hold"' in response.text
    assert "Fix this address" in response.text


def test_buttons_are_forms_that_post_never_links(catalogue, admin_client):
    order = place(catalogue)

    response = admin_client.get(change_url(order))
    response_get = admin_client.get(action_url(order, "cancel"))

    assert f'method="post" action="{action_url(order, "cancel")}"' in response.text
    assert response_get.status_code == 405
    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED


def test_action_post_without_csrf_token_is_rejected(catalogue, staff_users):
    from django.test import Client

    # Given a browser that enforces CSRF, as a real one does
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_users["Customer service"])
    order = place(catalogue)

    # When a cancel is posted without the token (from another site, say)
    response = browser.post(action_url(order, "cancel"), {"expected_status": "verified", "cancel-reason": "x"})

    # Then it is refused and nothing changes
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED


# -- start fulfilment ---------------------------------------------------------------------------------------


def test_start_fulfilment_creates_shipments_and_records_the_warehouse_user(catalogue, staff_client, staff_users):
    order = place(catalogue)

    response = press(staff_client("Warehouse"), order, "start_fulfillment")

    order.refresh_from_db()
    assert order.status == Order.Status.IN_FULFILLMENT
    assert order.shipments.count() == 1
    assert successes_in(response) == [f"Order {order.number} is now “In fulfilment”."]
    event = order.events.get(kind="order.start_fulfillment")
    assert event.actor == staff_users["Warehouse"]


def test_start_fulfilment_twice_with_the_same_page_is_refused_the_second_time(catalogue, staff_client):
    # Given a verified order, opened by two warehouse people
    order = place(catalogue)
    seen = order.status
    browser = staff_client("Warehouse")

    # When both press "Start fulfilment" from the page that said "verified"
    press(browser, order, "start_fulfillment", guard={"expected_status": seen})
    events_after_first = event_count(order)
    response = press(browser, order, "start_fulfillment", guard={"expected_status": seen})

    # Then the second is refused with a message and writes nothing
    assert errors_in(response) == [
        f"Order {order.number} changed to “In fulfilment” since you opened it; nothing was done. Reload and try again."
    ]
    assert event_count(order) == events_after_first
    assert order.shipments.count() == 1


def test_a_post_without_the_state_the_page_showed_is_refused(catalogue, staff_client):
    order = place(catalogue)
    events = event_count(order)

    response = press(staff_client("Warehouse"), order, "start_fulfillment", guard={})

    assert errors_in(response) == ["This button came from an out-of-date page; nothing was done. Reload and try again."]
    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED
    assert event_count(order) == events


# -- cancel -----------------------------------------------------------------------------------------------------


def test_customer_service_cancels_with_a_reason_and_the_stock_is_released(catalogue, staff_client, staff_users):
    order = place(catalogue, lines=[(catalogue.chair, 2)])
    assert StockLevel.objects.get(product=catalogue.chair).allocated == 2

    response = press(staff_client("Customer service"), order, "cancel", reason="Customer phoned: ordered twice")

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert StockLevel.objects.get(product=catalogue.chair).allocated == 0
    assert successes_in(response) == [f"Order {order.number} is now “Cancelled”."]
    event = order.events.get(kind="order.cancel")
    assert (event.actor, event.note) == (staff_users["Customer service"], "Customer phoned: ordered twice")


def test_cancel_without_a_reason_is_refused_beside_the_field(catalogue, staff_client):
    order = place(catalogue)
    events = event_count(order)
    browser = staff_client("Customer service")

    response = press(browser, order, "cancel", reason="  ")

    assert errors_in(response) == ["Cancel order: Reason: Say why the order is cancelled."]
    assert 'id="staff-action-cancel"' in response.text
    assert response.text.count("Say why the order is cancelled.") == 2  # the message and beside the field
    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED
    assert event_count(order) == events


def test_warehouse_cannot_cancel_even_by_posting_directly(catalogue, staff_client):
    # Given a verified order and a warehouse user (no cancel permission)
    order = place(catalogue)
    events = event_count(order)

    # When they post the cancel form anyway
    response = press(staff_client("Warehouse"), order, "cancel", reason="no")

    # Then the service refuses and nothing changes
    assert errors_in(response) == [f"You are not allowed to cancel order {order.number}."]
    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED
    assert event_count(order) == events


def test_cancel_after_dispatch_is_refused(catalogue, staff_client, staff_users):
    order = place(catalogue)
    seen = order.status
    order = order_advance(order=order, state="shipped", actor=staff_users["Warehouse"])
    events = event_count(order)

    response = press(staff_client("Managers"), order, "cancel", guard={"expected_status": seen}, reason="late")

    assert errors_in(response) == [
        f"Order {order.number} changed to “Shipped” since you opened it; nothing was done. Reload and try again."
    ]
    response = press(staff_client("Managers"), order, "cancel", reason="late")
    assert errors_in(response) == [f"Cannot cancel order {order.number} while it is “Shipped”."]
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert event_count(order) == events


# -- on hold: fix the address, re-check, release ---------------------------------------------------------


def test_fixing_the_address_re_checks_the_held_order_in_the_same_step(catalogue, staff_client, staff_users):
    # Given an order held because its postal code is wrong
    order = place_held_for_address(catalogue)
    browser = staff_client("Customer service")
    page = browser.get(change_url(order))
    fix_url = reverse("admin:orders_address_change", args=[order.shipping_address_id]) + f"?order={order.pk}"
    assert fix_url in page.text

    # When customer service corrects the address through the link and saves
    address = order.shipping_address
    form = {
        f: getattr(address, f) or ""
        for f in ("full_name", "company", "line1", "line2", "city", "region", "country", "phone")
    }
    response = browser.post(fix_url, {**form, "postal_code": "1016 GV", "customer": ""}, follow=True)

    # Then they are back on the order, which was re-checked and verified, by them, without a second step
    assert response.redirect_chain[-1][0] == change_url(order)
    assert successes_in(response) == [
        f"Delivery address of order {order.number} saved and the order re-checked: it is now “Verified”."
    ]
    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED
    assert order.events.filter(kind="order.verify").get().actor == staff_users["Customer service"]
    assert action_url(order, "reverify") not in response.text


def test_recheck_that_still_fails_keeps_the_order_held_and_says_so(catalogue, staff_client):
    order = place_held_for_address(catalogue)

    response = press(staff_client("Customer service"), order, "reverify")

    order.refresh_from_db()
    assert order.status == Order.Status.ON_HOLD
    assert successes_in(response) == [f"Re-checked order {order.number}: it is now “On hold”."]
    assert order.events.filter(kind="order.recheck_failed").count() == 1


def test_recheck_of_an_order_no_longer_held_is_refused(catalogue, staff_client):
    order = place_held_for_address(catalogue)
    browser = staff_client("Customer service")
    press(browser, order, "release", note="Address confirmed by phone")
    events = event_count(order)

    response = press(browser, order, "reverify")

    assert errors_in(response) == [f"Order {order.number} is not on hold; there is nothing to re-check."]
    assert event_count(order) == events


def test_warehouse_cannot_recheck(catalogue, staff_client):
    order = place_held_for_address(catalogue)
    events = event_count(order)

    response = press(staff_client("Warehouse"), order, "reverify")

    assert errors_in(response) == [f"You are not allowed to re-check order {order.number}."]
    assert event_count(order) == events


def test_release_with_a_note_verifies_the_held_order(catalogue, staff_client, staff_users):
    order = place_held_for_address(catalogue)

    response = press(staff_client("Customer service"), order, "release", note="Postal code confirmed by phone")

    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED
    assert successes_in(response) == [f"Order {order.number} is now “Verified”."]
    event = order.events.get(kind="order.verify")
    assert event.actor == staff_users["Customer service"]
    assert event.note.startswith("Postal code confirmed by phone")  # the service may add what it allocated


def test_release_while_stock_is_short_is_refused_and_changes_nothing(catalogue, staff_client):
    order = place_held_for_stock(catalogue)
    assert order.status == Order.Status.ON_HOLD
    events = event_count(order)

    response = press(staff_client("Customer service"), order, "release", note="please")

    assert errors_in(response) == [f"Order {order.number} is still short of 1 unit; it cannot be released yet."]
    order.refresh_from_db()
    assert order.status == Order.Status.ON_HOLD
    assert event_count(order) == events


def test_release_pressed_twice_from_the_same_page_is_refused_the_second_time(catalogue, staff_client):
    order = place_held_for_address(catalogue)
    browser = staff_client("Customer service")

    press(browser, order, "release", guard={"expected_status": "on_hold"}, note="ok")
    events = event_count(order)
    response = press(browser, order, "release", guard={"expected_status": "on_hold"}, note="ok")

    assert errors_in(response) == [
        f"Order {order.number} changed to “Verified” since you opened it; nothing was done. Reload and try again."
    ]
    assert event_count(order) == events


def test_status_cannot_be_edited_on_the_order_page(catalogue, admin_client):
    order = place(catalogue)

    page = admin_client.get(change_url(order))
    response = admin_client.post(change_url(order), {"status": "completed"})

    assert 'name="status"' not in page.text
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED


# -- the on-hold queue ---------------------------------------------------------------------------------------


def test_hold_reason_filter_lists_the_reasons_and_finds_the_orders(catalogue, staff_client):
    # Given one order held for its address, one for stock, one verified
    by_address = place_held_for_address(catalogue)
    by_stock = place_held_for_stock(catalogue)
    fine = place(catalogue)
    browser = staff_client("Customer service")

    # When customer service filters the queue by reason
    everything = browser.get(CHANGELIST)
    customer_queue = browser.get(CHANGELIST, {"hold_reason": "customer"})
    stock_queue = browser.get(CHANGELIST, {"hold_reason": "stock"})

    # Then each reason is offered and finds its orders only
    assert "?hold_reason=customer" in everything.text and "?hold_reason=stock" in everything.text
    assert list(customer_queue.context["cl"].result_list) == [by_address]
    assert list(stock_queue.context["cl"].result_list) == [by_stock]
    assert fine.number in everything.text


def test_a_fixed_reason_leaves_the_queue_even_if_the_order_is_still_held_for_another(catalogue, staff_client):
    # Given an order held for its address and short of stock
    order = place(
        catalogue, state="on_hold", lines=[(catalogue.chair, 11)], shipping_address=address_data(postal_code="12")
    )
    browser = staff_client("Customer service")
    assert list(browser.get(CHANGELIST, {"hold_reason": "customer"}).context["cl"].result_list) == [order]

    # When the address is fixed and the order re-checked (still short)
    address = order.shipping_address
    address.postal_code = "1016 GV"
    address.save()
    press(browser, order, "reverify")

    # Then it is queued under stock only
    assert list(browser.get(CHANGELIST, {"hold_reason": "customer"}).context["cl"].result_list) == []
    assert list(browser.get(CHANGELIST, {"hold_reason": "stock"}).context["cl"].result_list) == [order]


def _bulk(browser, action, orders, **fields):
    return browser.post(
        CHANGELIST,
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [o.pk for o in orders], **fields},
        follow=True,
    )


def test_bulk_recheck_reports_each_order(catalogue, staff_client):
    held = place_held_for_address(catalogue)
    verified = place(catalogue)

    response = _bulk(staff_client("Customer service"), "recheck_selected", [held, verified])

    assert successes_in(response) == [f"Re-checked 1 order: {held.number}."]
    assert errors_in(response) == [
        f"Refused for 1 order: {verified.number}: Order {verified.number} is not on hold; there is nothing to re-check."
    ]


def test_bulk_release_asks_for_a_note_then_releases_and_reports_refusals(catalogue, staff_client, staff_users):
    # Given two held orders, one of which cannot be released (stock short)
    by_address = place_held_for_address(catalogue)
    by_stock = place_held_for_stock(catalogue)
    browser = staff_client("Customer service")

    # When customer service chooses "release" on both, the confirmation asks for a note
    confirm = _bulk(browser, "release_selected", [by_address, by_stock])
    assert confirm.status_code == 200
    assert 'name="note"' in confirm.text
    assert f'name="expected_status_{by_address.pk}" value="on_hold"' in confirm.text

    # ... and applying it
    response = _bulk(
        browser,
        "release_selected",
        [by_address, by_stock],
        apply="1",
        note="Checked with the customer",
        **{f"expected_status_{o.pk}": "on_hold" for o in (by_address, by_stock)},
    )

    # Then one is released with the note, the other refused with the reason
    by_address.refresh_from_db()
    by_stock.refresh_from_db()
    assert (by_address.status, by_stock.status) == (Order.Status.VERIFIED, Order.Status.ON_HOLD)
    assert by_address.events.get(kind="order.verify").note.startswith("Checked with the customer")
    assert successes_in(response) == [f"Released 1 order: {by_address.number}."]
    assert errors_in(response) == [
        f"Refused for 1 order: {by_stock.number}: "
        f"Order {by_stock.number} is still short of 1 unit; it cannot be released yet."
    ]


def test_bulk_cancel_needs_a_reason_and_refuses_orders_that_moved_on(catalogue, staff_client, staff_users):
    held = place_held_for_address(catalogue)
    other = place_held_for_address(catalogue)
    browser = staff_client("Customer service")
    seen = {f"expected_status_{o.pk}": "on_hold" for o in (held, other)}
    # Someone released `other` after the list was shown
    press(browser, other, "release", note="fine")

    # Without a reason: the confirmation page again, nothing cancelled
    again = _bulk(browser, "cancel_selected", [held, other], apply="1", reason="", **seen)
    assert again.status_code == 200 and "Say why the order is cancelled." in again.text
    held.refresh_from_db()
    assert held.status == Order.Status.ON_HOLD

    response = _bulk(browser, "cancel_selected", [held, other], apply="1", reason="Fraud suspected", **seen)

    held.refresh_from_db()
    other.refresh_from_db()
    assert (held.status, other.status) == (Order.Status.CANCELLED, Order.Status.VERIFIED)
    assert successes_in(response) == [f"Cancelled 1 order: {held.number}."]
    assert errors_in(response) == [
        f"Refused for 1 order: {other.number}: Order {other.number} changed to “Verified” since you opened it; "
        "nothing was done. Reload and try again."
    ]


def test_warehouse_gets_no_bulk_actions_and_cannot_post_them(catalogue, staff_client):
    held = place_held_for_address(catalogue)
    browser = staff_client("Warehouse")

    page = browser.get(CHANGELIST)
    response = _bulk(
        browser, "cancel_selected", [held], apply="1", reason="x", **{f"expected_status_{held.pk}": "on_hold"}
    )

    assert "cancel_selected" not in page.text and "release_selected" not in page.text
    held.refresh_from_db()
    assert held.status == Order.Status.ON_HOLD
    assert response.status_code == 200


def test_bulk_actions_refuse_more_orders_than_one_page_of_the_queue(catalogue, staff_client, monkeypatch):
    from orders.admin import orders as order_admin

    monkeypatch.setattr(order_admin, "BULK_LIMIT", 1)
    held = [place_held_for_address(catalogue), place_held_for_address(catalogue)]
    browser = staff_client("Customer service")

    rechecked = _bulk(browser, "recheck_selected", held)
    cancelled = _bulk(browser, "cancel_selected", held, apply="1", reason="x")

    for response in (rechecked, cancelled):
        assert errors_in(response) == ["Choose at most 1 orders at a time; nothing was done."]
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in held])} == {Order.Status.ON_HOLD}
    assert not Order.objects.get(pk=held[0].pk).events.filter(kind="order.recheck_failed").exists()


def test_warehouse_cannot_release_a_held_order(catalogue, staff_client):
    order = place_held_for_address(catalogue)
    events = event_count(order)

    response = press(staff_client("Warehouse"), order, "release", note="looks fine")

    assert errors_in(response) == [f"You are not allowed to verify order {order.number}."]
    order.refresh_from_db()
    assert order.status == Order.Status.ON_HOLD
    assert event_count(order) == events


def test_customer_service_cannot_start_fulfilment(catalogue, staff_client):
    order = place(catalogue)
    events = event_count(order)

    response = press(staff_client("Customer service"), order, "start_fulfillment")

    assert errors_in(response) == [f"You are not allowed to start fulfilment order {order.number}."]
    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED
    assert event_count(order) == events
