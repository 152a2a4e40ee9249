"""An edit's money (lifecycle.order_edits.order_edit_settle): top-up on the card, or owed back."""

from decimal import Decimal

import pytest

from invoicing.models import AmountOwedBack, Payment
from invoicing.selectors import amounts_owed_back_open, order_balance
from invoicing.services import PaymentDeclined
from lifecycle.order_edits import order_edit_settle
from orders.models import Order, OrderVersion
from orders.services.placement import AddressData, LineRequest
from tests.builders import CARD_APPROVED, order_build

pytestmark = pytest.mark.django_db


def _settle(order, actor, lines, card_token=""):
    order = Order.objects.get(pk=order.pk)
    return order_edit_settle(
        card_token=card_token,
        order=order,
        expected_version=order.version,
        lines=lines,
        delivery_method=order.delivery_method,
        shipping_address=AddressData.from_address(order.shipping_address),
        billing_address=AddressData.from_address(order.billing_address),
        voucher_code="",
        reason="Customer phoned",
        actor=actor,
    )


def test_a_dearer_card_order_is_topped_up_on_the_card(catalogue, staff_users):
    # given a card order of one book, authorised at checkout
    order = order_build(lines=[(catalogue.book, 1)], payment_method="card")
    first = order.total
    # when a chair is added and the customer gives their card on the phone
    settled = _settle(
        order,
        staff_users["Customer service"],
        [LineRequest(product_id=catalogue.book.pk, quantity=1), LineRequest(product_id=catalogue.chair.pk, quantity=1)],
        card_token=CARD_APPROVED,
    )
    # then the difference is authorised as a second hold and nothing is due
    new_total = settled.edit.order.total
    holds = list(Payment.objects.filter(order=order, status=Payment.Status.AUTHORIZED).order_by("pk"))
    assert [p.amount for p in holds] == [first, new_total - first]
    assert settled.topped_up == new_total - first and settled.due_more == 0
    assert order_balance(order=settled.edit.order).due_more == 0


def test_without_a_card_the_difference_stays_due(catalogue, staff_users):
    order = order_build(lines=[(catalogue.book, 1)], payment_method="card")
    settled = _settle(order, staff_users["Customer service"], [LineRequest(product_id=catalogue.book.pk, quantity=2)])
    # 2 x 24.50 = 49.00 + 9 % tax 4.41 (one line, rounded once) = 53.41, was 24.50 + 2.21 = 26.71
    assert settled.due_more == Decimal("53.41") - Decimal("26.71")
    assert "still has 26.70 to pay" in settled.message


def test_a_declined_top_up_rolls_the_edit_back(catalogue, staff_users):
    order = order_build(lines=[(catalogue.book, 1)], payment_method="card")
    with pytest.raises(PaymentDeclined):
        _settle(
            order,
            staff_users["Customer service"],
            [LineRequest(product_id=catalogue.book.pk, quantity=2)],
            card_token="4000 0000 0000 0002",
        )
    assert not OrderVersion.objects.exists() and Order.objects.get(pk=order.pk).version == 0


def test_a_cheaper_order_records_what_is_owed_back(catalogue, staff_users):
    # given a card order of a book and a chair, all authorised
    order = order_build(lines=[(catalogue.book, 1), (catalogue.chair, 1)], payment_method="card")
    authorised = order.total
    # when the chair is removed
    settled = _settle(order, staff_users["Customer service"], [LineRequest(product_id=catalogue.book.pk, quantity=1)])
    # then the excess is owed back, in the queue, and the balance shows it
    owed = authorised - settled.edit.order.total
    assert settled.owed_back == owed
    row = AmountOwedBack.objects.get(order=order)
    assert row.amount == owed and row.order_version == 1 and "Customer phoned" in row.reason
    assert list(amounts_owed_back_open()) == [row]
    balance = order_balance(order=settled.edit.order)
    assert balance.owed_back == owed and balance.due_more == 0 and balance.uncovered_refund == 0


def test_a_bank_transfer_order_not_paid_yet_owes_nothing_back(catalogue, staff_users):
    order = order_build(lines=[(catalogue.book, 2)])
    settled = _settle(order, staff_users["Customer service"], [LineRequest(product_id=catalogue.book.pk, quantity=1)])
    assert settled.owed_back == 0 and not AmountOwedBack.objects.exists()
