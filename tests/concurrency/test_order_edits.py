"""Two people saving an edit of the same order at the same moment: the version number is the guard."""

import pytest

from orders.models import Order, OrderVersion
from orders.services.order_edits import EditConflict, order_edit
from orders.services.placement import AddressData, LineRequest
from tests.builders import address_data, order_build

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_edits_of_the_same_version_save_one_and_refuse_the_other(catalogue, staff_users):
    # given a verified order both people opened at version 0
    order = order_build(lines=[(catalogue.book, 1)])

    def save(actor, quantity, street):
        def call():
            fresh = Order.objects.get(pk=order.pk)
            return order_edit(
                order=fresh,
                expected_version=0,
                lines=[LineRequest(product_id=catalogue.book.pk, quantity=quantity)],
                delivery_method=fresh.delivery_method,
                shipping_address=address_data(line1=street),
                billing_address=AddressData.from_address(fresh.billing_address),
                voucher_code="",
                reason="Customer phoned",
                actor=actor,
            )

        return call

    # when both save at once
    outcomes = run_at_once(
        save(staff_users["Customer service"], 2, "Keizersgracht 1"), save(staff_users["Managers"], 3, "Herengracht 2")
    )

    # then one version is saved and the other refused, naming what changed
    assert sorted(o.ok for o in outcomes) == [False, True]
    refused = next(o.error for o in outcomes if not o.ok)
    assert isinstance(refused, EditConflict)
    assert "changed the lines and the addresses at" in refused.message
    assert OrderVersion.objects.filter(order=order).count() == 1
    winner = next(o.value for o in outcomes if o.ok)
    assert Order.objects.get(pk=order.pk).version == 1
    assert Order.objects.get(pk=order.pk).lines.get().quantity == winner.order.lines.get().quantity
