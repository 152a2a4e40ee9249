"""The verification services: verified, back-ordered or on hold; re-checks and releases."""

import pytest

from inventory.models import Product, StockLevel
from orders.models import Address, Order
from orders.services.verification import order_release, order_reverify, order_verify_automatically
from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from tests.builders import address_data

pytestmark = pytest.mark.django_db


def kinds(order):
    return list(order.events.order_by("pk").values_list("kind", flat=True))


def test_all_checks_pass_and_the_order_is_verified_with_the_allocation_on_its_timeline(place, catalogue):
    order = place((catalogue.chair, 2), (catalogue.book, 1))

    assert order.status == Order.Status.VERIFIED
    assert list(order.checks.values_list("name", "result")) == [
        ("customer", "passed"), ("pricing", "passed"), ("stock", "passed"), ("risk", "passed"),
    ]  # fmt: skip
    assert kinds(order) == ["order.place", "order.verify"]
    verify = order.events.get(kind="order.verify")
    assert (verify.actor, verify.actor_label) == (None, "verification")
    assert verify.note == (
        "All checks passed. No single warehouse has everything; stock split over AMS (2 x CHAIR-1), RTM (1 x BOOK-1)."
    )
    assert verify.data["allocation"] == {
        "strategy": "split", "warehouses": {"AMS": {"CHAIR-1": 2}, "RTM": {"BOOK-1": 1}}, "short": {},
    }  # fmt: skip
    assert [c["name"] for c in verify.data["checks"]] == ["customer", "pricing", "stock", "risk"]


def test_a_back_orderable_shortage_back_orders_the_order(place, catalogue, no_amount_limits):
    Product.objects.filter(pk=catalogue.chair.pk).update(is_backorderable=True)
    order = place((catalogue.chair, 12))

    assert order.status == Order.Status.BACKORDERED
    assert kinds(order) == ["order.place", "order.backorder", "order.backorder_expected"]
    event = order.events.get(kind="order.backorder")
    assert event.note == (
        "Back-ordered: CHAIR-1 short by 2. Stock allocated from AMS (10 x CHAIR-1). Short: 2 x CHAIR-1."
    )
    assert StockLevel.objects.get(product=catalogue.chair).allocated == 10


def test_a_failed_check_holds_the_order_with_the_reasons(place, catalogue):
    order = place((catalogue.chair, 1), shipping_address=address_data(postal_code="ABC"))

    assert order.status == Order.Status.ON_HOLD
    hold = order.events.get(kind="order.hold")
    assert hold.note == (
        "customer: delivery postal code 'ABC' does not look like one from NL. "
        "Stock allocated from one warehouse that ships the whole order: AMS (1 x CHAIR-1)."
    )
    assert hold.data["reasons"] == ["customer: delivery postal code 'ABC' does not look like one from NL"]
    assert StockLevel.objects.get(product=catalogue.chair).allocated == 1, "a held order keeps its stock"


def test_a_shortage_that_cannot_be_back_ordered_holds_the_order(place, catalogue, no_amount_limits):
    order = place((catalogue.chair, 11))
    assert order.status == Order.Status.ON_HOLD
    assert order.events.get(kind="order.hold").note.startswith("stock: Out of stock: CHAIR-1 short by 1")


def test_verifying_twice_is_refused(place, catalogue):
    order = place((catalogue.chair, 1))
    with pytest.raises(TransitionRefused):
        order_verify_automatically(order=order)


def test_re_check_after_the_address_is_fixed_verifies_and_replaces_the_results(place, catalogue, staff_users):
    order = place((catalogue.chair, 1), shipping_address=address_data(postal_code="ABC"))
    Address.objects.filter(pk=order.shipping_address_id).update(postal_code="1016 GV")

    order = order_reverify(order=order, actor=staff_users["Customer service"])

    assert order.status == Order.Status.VERIFIED
    assert dict(order.checks.values_list("name", "result")) == {
        "customer": "passed", "pricing": "passed", "stock": "passed", "risk": "passed",
    }  # fmt: skip
    verify = order.events.get(kind="order.verify")
    assert verify.actor == staff_users["Customer service"] and verify.note.startswith("Re-checked: All checks passed.")


def test_re_check_that_still_fails_keeps_the_hold_and_says_why(place, catalogue, staff_users):
    order = place((catalogue.chair, 1), shipping_address=address_data(postal_code="ABC"))

    order = order_reverify(order=order, actor=staff_users["Customer service"])

    assert order.status == Order.Status.ON_HOLD
    assert kinds(order)[-1] == "order.recheck_failed"
    assert order.checks.get(name="customer").result == "failed"
    assert order.checks.count() == 4


def test_re_check_of_a_held_order_whose_shortage_can_now_be_back_ordered(
    place, catalogue, staff_users, no_amount_limits
):
    order = place((catalogue.chair, 12))
    Product.objects.filter(pk=catalogue.chair.pk).update(is_backorderable=True)

    order = order_reverify(order=order, actor=staff_users["Customer service"])

    assert order.status == Order.Status.BACKORDERED
    assert order.events.filter(kind="order.backorder_expected", customer_visible=True).exists()


def test_re_check_is_refused_unless_on_hold(place, catalogue):
    with pytest.raises(TransitionRefused, match="not on hold"):
        order_reverify(order=place((catalogue.chair, 1)))


def test_release_a_held_order_with_a_note(place, catalogue, staff_users):
    order = place((catalogue.chair, 1), billing_address=address_data(country="BE", postal_code="1000"))
    assert order.status == Order.Status.ON_HOLD

    order = order_release(order=order, actor=staff_users["Customer service"], note="called the customer")

    assert order.status == Order.Status.VERIFIED
    event = order.events.get(kind="order.verify")
    assert event.actor == staff_users["Customer service"] and event.note == "called the customer"


def test_release_is_refused_to_staff_without_permission(place, catalogue, staff_users):
    order = place((catalogue.chair, 1), billing_address=address_data(country="BE", postal_code="1000"))
    with pytest.raises(PermissionRefused):
        order_release(order=order, actor=staff_users["Warehouse"])
    order.refresh_from_db()
    assert order.status == Order.Status.ON_HOLD


def test_release_is_refused_while_stock_is_short(place, catalogue, staff_users, no_amount_limits):
    order = place((catalogue.chair, 11))
    with pytest.raises(ApplicationError, match="still short of 1 unit"):
        order_release(order=order, actor=staff_users["Customer service"])


def test_release_of_a_held_order_with_a_back_orderable_shortage_back_orders_it(
    place, catalogue, staff_users, no_amount_limits
):
    Product.objects.filter(pk=catalogue.chair.pk).update(is_backorderable=True)
    order = place((catalogue.chair, 12), billing_address=address_data(country="BE", postal_code="1000"))
    assert order.status == Order.Status.ON_HOLD

    order = order_release(order=order, actor=staff_users["Customer service"], note="known customer")

    assert order.status == Order.Status.BACKORDERED
    assert kinds(order)[-2:] == ["order.backorder", "order.backorder_expected"]


def test_release_with_a_stale_screen_is_refused(place, catalogue, staff_users):
    order = place((catalogue.chair, 1), billing_address=address_data(country="BE", postal_code="1000"))
    with pytest.raises(TransitionRefused, match="since you opened it"):
        order_release(order=order, actor=staff_users["Customer service"], expected_status="backordered")
