"""Staff comments on an order (orders.services.comments): on the timeline, never for the customer."""

import pytest

from orders.events import customer_visible
from orders.models import OrderEvent
from orders.services.comments import COMMENT_MAX_LENGTH, order_comment_add
from orders_site.core.exceptions import ApplicationError, PermissionRefused
from tests.builders import customer_signed_up, order_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(catalogue):
    return order_build(lines=[(catalogue.book, 1)])


def test_a_comment_is_an_internal_event_with_its_author(order, staff_users):
    author = staff_users["Warehouse"]

    event = order_comment_add(order=order, actor=author, text="  Box was damaged, repacked.  ")

    event.refresh_from_db()
    assert (event.kind, event.note, event.actor, event.actor_label) == (
        OrderEvent.Kind.ORDER_STAFF_COMMENT,
        "Box was damaged, repacked.",
        author,
        "warehouse",
    )
    assert event.customer_visible is False
    assert customer_visible(OrderEvent.Kind.ORDER_STAFF_COMMENT) is False
    assert order.notifications.filter(subject_key__contains=str(event.pk)).count() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Write the comment first; nothing was saved."),
        (
            "x" * (COMMENT_MAX_LENGTH + 1),
            "A comment can be at most 2,000 characters (this one has 2,001); nothing was saved.",
        ),
    ],
)
def test_an_empty_or_over_long_comment_is_refused_and_nothing_is_saved(order, staff_users, text, message):
    events = order.events.count()

    with pytest.raises(ApplicationError) as refused:
        order_comment_add(order=order, actor=staff_users["Customer service"], text=text)

    assert (refused.value.message, refused.value.extra) == (message, {"field": "comment"})
    assert order.events.count() == events


def test_a_comment_of_exactly_the_limit_is_kept(order, staff_users):
    event = order_comment_add(order=order, actor=staff_users["Managers"], text="y" * COMMENT_MAX_LENGTH)
    assert len(event.note) == COMMENT_MAX_LENGTH


def test_only_staff_who_see_orders_may_comment(order, db):
    shopper = customer_signed_up(email="shopper@example.com").user
    events = order.events.count()

    for actor in (None, shopper):
        with pytest.raises(PermissionRefused):
            order_comment_add(order=order, actor=actor, text="hello")

    assert order.events.count() == events
