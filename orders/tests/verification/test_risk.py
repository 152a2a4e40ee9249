"""Each risk rule, firing and not, with thresholds managers edit in RiskRules."""

from datetime import timedelta
from decimal import Decimal

import pytest

from orders.models import Order
from orders.services.verification.risk import (
    check_risk,
    recent_orders,
    rule_country_mismatch,
    rule_duplicate,
    rule_first_order,
    rule_large_order,
    rule_velocity,
)
from orders.tests.factories import CustomerFactory
from tests.builders import address_data

pytestmark = pytest.mark.django_db


def reasons(order):
    check = order.checks.get(name="risk")
    return check.result, check.detail


def test_no_rule_applies_to_an_ordinary_order(place, catalogue):
    order = place((catalogue.chair, 1))
    assert order.status == Order.Status.VERIFIED
    assert reasons(order) == ("passed", "No risk rule applies")


def test_large_order_above_the_threshold_is_held(place, catalogue, risk_rules):
    risk_rules.large_order_total = Decimal("300.00")
    risk_rules.first_order_total = 0
    risk_rules.save()
    small, large = place((catalogue.chair, 1)), place((catalogue.chair, 2))
    assert small.status == Order.Status.VERIFIED
    assert large.status == Order.Status.ON_HOLD
    assert reasons(large) == ("failed", f"large order: total {large.total} is above 300.00")


def test_large_order_rule_is_off_at_zero(place, catalogue, risk_rules):
    risk_rules.large_order_total = 0
    risk_rules.first_order_total = 0
    risk_rules.save()
    assert rule_large_order(place((catalogue.chair, 9)), risk_rules) is None


def test_first_order_above_the_threshold_is_held_but_not_a_later_one(place, catalogue, risk_rules):
    risk_rules.first_order_total = Decimal("200.00")
    risk_rules.save()
    first = place((catalogue.chair, 2))
    assert reasons(first) == ("failed", f"first order of this customer, total {first.total} is above 200.00")
    place((catalogue.book, 1))  # the same customer again, cheap
    later = place((catalogue.lamp, 5))
    assert later.total > Decimal("200.00") and later.status == Order.Status.VERIFIED


def test_first_order_is_per_customer(place, catalogue, risk_rules):
    risk_rules.first_order_total = Decimal("100.00")
    risk_rules.save()
    place((catalogue.book, 1))
    someone_else = CustomerFactory()
    assert rule_first_order(place((catalogue.chair, 1), for_customer=someone_else), risk_rules) is not None


def test_first_order_rule_is_off_at_zero(place, catalogue, risk_rules):
    risk_rules.first_order_total = 0
    risk_rules.large_order_total = 0
    risk_rules.save()
    assert place((catalogue.chair, 9)).status == Order.Status.VERIFIED


def test_billing_and_delivery_country_mismatch_is_held(place, catalogue, risk_rules):
    order = place(
        (catalogue.chair, 1),
        billing_address=address_data(country="BE", postal_code="1000", city="Brussel"),
    )
    assert order.status == Order.Status.ON_HOLD
    assert reasons(order) == ("failed", "billing country BE differs from delivery country NL")


def test_country_mismatch_rule_can_be_switched_off(place, catalogue, risk_rules):
    risk_rules.hold_country_mismatch = False
    risk_rules.save()
    order = place((catalogue.chair, 1), billing_address=address_data(country="BE", postal_code="1000"))
    assert order.status == Order.Status.VERIFIED
    assert rule_country_mismatch(order, risk_rules) is None


def test_many_orders_in_a_short_time_are_held(place, catalogue, risk_rules):
    risk_rules.velocity_max_orders = 2
    risk_rules.save()
    first, second = place((catalogue.book, 1)), place((catalogue.book, 2))
    third = place((catalogue.book, 3))
    assert (first.status, second.status) == ("verified", "verified")
    assert reasons(third) == ("failed", "3 orders from this customer within 60 minutes (more than 2)")


def test_orders_outside_the_velocity_window_do_not_count(place, catalogue, risk_rules):
    risk_rules.velocity_max_orders = 1
    risk_rules.save()
    earlier = place((catalogue.book, 1))
    Order.objects.filter(pk=earlier.pk).update(placed_at=earlier.placed_at - timedelta(minutes=61))
    order = place((catalogue.book, 2))
    assert rule_velocity(order, risk_rules, recent_orders(order, risk_rules)) is None


def test_a_probable_duplicate_of_a_recent_order_is_held(place, catalogue, risk_rules):
    original = place((catalogue.book, 1), (catalogue.lamp, 2))
    duplicate = place((catalogue.lamp, 2), (catalogue.book, 1))
    assert duplicate.status == Order.Status.ON_HOLD
    result, detail = reasons(duplicate)
    assert result == "failed" and detail.startswith(f"probable duplicate of order {original.number} placed ")


def test_different_lines_or_an_old_order_are_not_duplicates(place, catalogue, risk_rules):
    old = place((catalogue.book, 1))
    assert place((catalogue.book, 2)).status == Order.Status.VERIFIED
    Order.objects.filter(pk=old.pk).update(placed_at=old.placed_at - timedelta(minutes=31))
    Order.objects.exclude(pk=old.pk).update(placed_at=old.placed_at - timedelta(minutes=40))
    order = place((catalogue.book, 1))
    assert rule_duplicate(order, risk_rules, recent_orders(order, risk_rules)) is None


def test_a_cancelled_order_is_no_duplicate(place, catalogue, risk_rules):
    from lifecycle.cancellation import order_cancel

    order_cancel(order=place((catalogue.book, 1)), reason="typo")
    assert place((catalogue.book, 1)).status == Order.Status.VERIFIED


def test_every_rule_that_fires_is_named_in_one_risk_check(place, catalogue, risk_rules):
    risk_rules.large_order_total = Decimal("100.00")
    risk_rules.first_order_total = Decimal("100.00")
    risk_rules.save()
    order = place((catalogue.chair, 1), billing_address=address_data(country="BE", postal_code="1000"))
    outcome = check_risk(order, None)
    assert outcome.name == "risk" and outcome.result == "failed"
    assert outcome.detail.split("; ") == [
        f"large order: total {order.total} is above 100.00",
        f"first order of this customer, total {order.total} is above 100.00",
        "billing country BE differs from delivery country NL",
    ]
