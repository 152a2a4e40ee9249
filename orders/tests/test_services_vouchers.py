"""Vouchers at placement and cancellation (orders/services/vouchers.py, placement's discount code):
each kind priced on the order, the limits, and a cancelled order giving its use back. The race for
the last use on PostgreSQL is in tests/concurrency/test_voucher_race.py."""

import contextlib
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db.models import F
from django.utils import timezone

from inventory.models import Category, StockMovement
from orders.models import Address, EmailNotification, Order, OrderEvent, OrderLine, Voucher, VoucherRedemption
from orders.services.customers import customer_for_guest
from orders.services.placement import InvalidOrder
from orders.services.verification import order_verify_placed
from orders.services.vouchers import voucher_release_for_order
from orders.tests.factories import DeliveryMethodFactory
from tests.builders import customer_build, order_advance, order_build

pytestmark = pytest.mark.django_db

D = Decimal
USED_UP = "This discount code has been used up."


def place(catalogue, *lines, customer=None, code="SAVE", **placement) -> Order:
    return order_build(
        state=None,
        customer=customer or customer_build(),
        lines=list(lines) or [(catalogue.chair, 1)],
        discount_code=code,
        **placement,
    )


def refusal(catalogue, *lines, meanwhile=None, **placement) -> InvalidOrder:
    """The InvalidOrder placing these lines raises. `meanwhile()` runs once the order is placed and
    checked, just before its voucher use is counted (another order acting at that moment)."""

    def verify_then_meanwhile(**arguments):
        order = order_verify_placed(**arguments)
        meanwhile()
        return order

    with (
        mock.patch("orders.services.placement.order_verify_placed", side_effect=verify_then_meanwhile)
        if meanwhile
        else contextlib.nullcontext()
    ):
        with pytest.raises(InvalidOrder) as refused:
            place(catalogue, *lines, **placement)
    assert refused.value.extra == {"field": "discount_code"}
    return refused.value


def voucher(code="SAVE", *, products=(), categories=(), **fields) -> Voucher:
    made = Voucher.objects.create(code=code, **fields)
    made.products.set(products)
    made.categories.set(categories)
    return made


def redemptions(made: Voucher):
    return list(VoucherRedemption.objects.filter(voucher=made).values_list("order_id", "amount", "released_at"))


# --- each kind on the order ----------------------------------------------------------------------


def test_a_percentage_voucher_is_priced_kept_and_counted(catalogue):
    save = voucher(percent_off=D("10"))

    order = place(catalogue, (catalogue.chair, 1))

    # 149.00 - 14.90 = 134.10 + 28.16 tax; delivery 4.95 + 1.04 tax.
    assert (order.discount_total, order.shipping_total, order.total) == (D("14.90"), D("4.95"), D("168.25"))
    assert order.discount_terms["kind"] == "percentage" and order.discount_terms["percent_off"] == "10.00"
    assert order.checks.get(name="pricing").result == "passed"
    assert redemptions(save) == [(order.pk, D("14.90"), None)]
    save.refresh_from_db()
    assert save.times_used == 1


def test_a_fixed_amount_is_spread_over_the_lines_and_taxed_per_line(catalogue):
    save = voucher(kind=Voucher.Kind.FIXED_AMOUNT, amount_off=D("20.00"))

    order = place(catalogue, (catalogue.chair, 1), (catalogue.book, 2))

    # 20.00 over 149.00 and 49.00 (198.00): 15.05 and 4.95 (15.0505.. and 4.9494.., the cent to the first).
    chair, book = order.lines.all()
    assert (chair.discount_amount, book.discount_amount) == (D("15.05"), D("4.95"))
    assert (chair.tax_amount, book.tax_amount) == (D("28.13"), D("3.96"))  # 133.95 x 21 %, 44.05 x 9 %
    assert order.discount_total == D("20.00")
    assert order.total == sum(line.line_total for line in (chair, book)) + order.shipping_total + D("1.04")
    assert order.checks.get(name="pricing").result == "passed"
    assert redemptions(save) == [(order.pk, D("20.00"), None)]


def test_free_delivery_charges_no_delivery_and_keeps_what_was_waived(catalogue):
    save = voucher(kind=Voucher.Kind.FREE_SHIPPING)

    order = place(catalogue, (catalogue.book, 1))

    assert (order.shipping_total, order.shipping_discount, order.discount_total) == (D("0.00"), D("4.95"), D("0"))
    assert order.total == D("26.71")  # the book and its 9 % tax only
    assert order.checks.get(name="pricing").result == "passed"
    assert redemptions(save) == [(order.pk, D("4.95"), None)]


def test_a_scoped_voucher_discounts_only_its_products_and_categories(catalogue):
    lighting = Category.objects.create(name="Lighting", slug="lighting")
    catalogue.lamp.category = lighting
    catalogue.lamp.save()
    voucher(percent_off=D("50"), categories=[lighting], products=[catalogue.book])

    order = place(catalogue, (catalogue.chair, 1), (catalogue.lamp, 1), (catalogue.book, 1))

    chair, lamp, book = order.lines.all()
    assert [chair.discount_amount, lamp.discount_amount, book.discount_amount] == [D("0"), D("19.98"), D("12.25")]
    assert order.discount_terms["category_ids"] == [lighting.pk]
    assert order.discount_terms["product_ids"] == [catalogue.book.pk]
    assert order.checks.get(name="pricing").result == "passed"


def test_a_voucher_that_would_give_nothing_is_refused_before_anything_is_written(catalogue):
    lighting = Category.objects.create(name="Lighting", slug="lighting")
    voucher("LAMPS", percent_off=D("10"), categories=[lighting])
    voucher("BIG", kind=Voucher.Kind.FIXED_AMOUNT, amount_off=D("10"), minimum_order=D("200.00"))
    voucher("SHIP", kind=Voucher.Kind.FREE_SHIPPING)
    pickup = DeliveryMethodFactory(code="pickup", name="Pick up", fee=D("0"), is_pickup=True)

    out_of_scope = refusal(catalogue, (catalogue.chair, 1), code="LAMPS")
    # The minimum counts the items before VAT: 149.00 (180.29 with VAT) of 200.00.
    below_minimum = refusal(catalogue, (catalogue.chair, 1), code="BIG")
    nothing_to_waive = refusal(catalogue, code="SHIP", delivery_method=pickup, shipping_address=None)

    assert out_of_scope.message == "This discount code does not apply to any item in your order."
    assert below_minimum.message == (
        "This discount code needs €\u00a0200.00 of eligible items (excl. VAT); add €\u00a051.00 more to use it."
    )
    assert nothing_to_waive.message == "This discount code gives free delivery, and your delivery is free already."
    assert not Order.objects.exists() and not VoucherRedemption.objects.exists()


def test_the_minimum_order_value_is_met_exactly(catalogue):
    voucher(kind=Voucher.Kind.FIXED_AMOUNT, amount_off=D("10"), minimum_order=D("149.00"))

    assert place(catalogue, (catalogue.chair, 1)).discount_total == D("10.00")


# --- validity and limits -------------------------------------------------------------------------


def test_an_expired_voucher_is_refused(catalogue):
    voucher(percent_off=D("10"), valid_until=timezone.now() - timedelta(minutes=1))

    assert refusal(catalogue).message == "This discount code is not valid (any more)."


def test_the_total_limit_refuses_the_use_after_the_last(catalogue):
    save = voucher(percent_off=D("10"), usage_limit=2)
    place(catalogue)
    place(catalogue)

    assert refusal(catalogue).message == USED_UP
    save.refresh_from_db()
    assert (save.times_used, save.redemptions.count(), Order.objects.count()) == (2, 2, 2)


def test_a_last_use_taken_while_the_order_was_placed_refuses_it_and_keeps_nothing(catalogue):
    # Given a voucher with one use left when the customer's order is checked ...
    save = voucher(percent_off=D("10"), usage_limit=1)

    def another_order_takes_the_last_use():
        Voucher.objects.filter(pk=save.pk).update(times_used=F("usage_limit"))

    # ... and another order takes that use before this one counts it (the guarded UPDATE refuses)
    refused = refusal(catalogue, meanwhile=another_order_takes_the_last_use)

    # Then the customer is told beside the code, and nothing of the order is kept
    assert refused.message == USED_UP
    assert not any(model.objects.exists() for model in (Order, OrderLine, OrderEvent, Address, EmailNotification))
    assert not StockMovement.objects.exclude(kind=StockMovement.Kind.RECEIPT).exists()
    assert not VoucherRedemption.objects.exists()


def test_one_customer_uses_a_voucher_as_often_as_it_allows(catalogue):
    voucher(percent_off=D("10"), per_customer_limit=2)
    anna, bert = customer_build(), customer_build()
    place(catalogue, customer=anna)
    place(catalogue, customer=anna)

    assert refusal(catalogue, customer=anna).message == (
        "You have already used this discount code 2 times, as often as it allows."
    )
    assert place(catalogue, customer=bert).discount_total == D("14.90")


def test_guests_with_one_e_mail_address_share_their_uses(catalogue):
    voucher(percent_off=D("10"), per_customer_limit=1)
    first = customer_for_guest(email="guest@example.com", full_name="Guest One")
    place(catalogue, customer=first)

    again = customer_for_guest(email="GUEST@example.com", full_name="Guest One")

    assert again.pk == first.pk
    assert refusal(catalogue, customer=again).message == "You have already used this discount code."


def test_a_use_number_taken_by_another_order_of_the_customer_refuses_the_second(catalogue):
    # Given a customer's order that passed the per-customer check, while another order of theirs
    # (a second tab) takes the same use number first: the unique constraint refuses this one.
    save = voucher(percent_off=D("10"), per_customer_limit=1)
    anna = customer_build()
    other = order_build(state=None, customer=anna, lines=[(catalogue.book, 1)])

    def other_tab_uses_it():
        VoucherRedemption.objects.create(voucher=save, order=other, customer=anna, amount=D("1"), customer_use=1)

    refused = refusal(catalogue, customer=anna, meanwhile=other_tab_uses_it)

    assert refused.message == "You have already used this discount code as often as it allows."
    assert list(Order.objects.values_list("pk", flat=True)) == [other.pk]


# --- cancelling gives the use back ---------------------------------------------------------------


def test_a_cancelled_order_gives_its_use_back_once(catalogue):
    save = voucher(percent_off=D("10"), usage_limit=1, per_customer_limit=1)
    anna = customer_build()
    order = place(catalogue, customer=anna)
    assert refusal(catalogue, customer=anna).message == USED_UP

    order_advance(order=order, state="cancelled")

    save.refresh_from_db()
    assert save.times_used == 0
    (redemption,) = save.redemptions.all()
    assert redemption.released_at is not None and redemption.customer_use is None
    assert voucher_release_for_order(order=order) is False, "given back once only"
    save.refresh_from_db()
    assert save.times_used == 0
    # and the customer can use it again
    again = place(catalogue, customer=anna)
    save.refresh_from_db()
    assert (again.discount_total, save.times_used) == (D("14.90"), 1)


def test_cancelling_an_order_without_a_voucher_touches_no_voucher(catalogue):
    save = voucher(percent_off=D("10"))
    place(catalogue)
    plain = order_build(lines=[(catalogue.book, 1)])

    order_advance(order=plain, state="cancelled")

    save.refresh_from_db()
    assert save.times_used == 1
