"""A signed-in customer adding to the saved cart from several tabs or devices at once, on PostgreSQL.

Each add reads the line's quantity and writes it back one higher; without a lock two adds read the
same quantity and one of them is lost (the customer pressed "Add" three times and the cart holds
one). The customer's user row is locked for the change (orders.locks.cart_owner_lock), so the adds
queue and every unit counts, including the first adds that create the cart itself.
"""

import pytest

from storefront.cart import DatabaseCartStore
from storefront.services.cart import cart_add, cart_update
from tests.builders import customer_signed_up

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TABS = 6


def _quantities(user) -> dict[int, int]:
    return {item.product_id: item.quantity for item in DatabaseCartStore(user).items()}


def test_adds_from_tabs_at_once_to_a_cart_not_yet_saved_each_count(catalogue):
    # Given a customer who has never had a saved cart
    anna = customer_signed_up()

    # When six tabs add one chair each at the same moment
    outcomes = run_at_once(
        *(lambda: cart_add(cart=DatabaseCartStore(anna.user), product_id=catalogue.chair.pk) for _ in range(TABS))
    )

    # Then every add worked and the cart holds six chairs, in one cart with one line
    assert [outcome.error for outcome in outcomes] == [None] * TABS
    assert _quantities(anna.user) == {catalogue.chair.pk: TABS}
    assert anna.user.cart.lines.count() == 1


def test_adds_and_a_change_at_once_to_a_saved_cart_end_as_if_one_after_the_other(catalogue):
    # Given a saved cart holding two chairs and a lamp
    anna = customer_signed_up()
    cart = DatabaseCartStore(anna.user)
    cart_add(cart=cart, product_id=catalogue.chair.pk, quantity=2)
    cart_add(cart=cart, product_id=catalogue.lamp.pk, quantity=1)

    # When six tabs each add a chair while another sets the lamp to three
    adds = (lambda: cart_add(cart=DatabaseCartStore(anna.user), product_id=catalogue.chair.pk) for _ in range(TABS))
    change = lambda: cart_update(cart=DatabaseCartStore(anna.user), product_id=catalogue.lamp.pk, quantity=3)  # noqa: E731
    outcomes = run_at_once(*adds, change)

    # Then no add is lost and the change holds
    assert [outcome.error for outcome in outcomes] == [None] * (TABS + 1)
    assert _quantities(anna.user) == {catalogue.chair.pk: 2 + TABS, catalogue.lamp.pk: 3}
