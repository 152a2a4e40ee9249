"""Staff comments on an order: notes for colleagues on the order's timeline, never for the customer."""

from django.db import transaction

from orders_site.core.exceptions import ApplicationError, PermissionRefused

from ..events import event_order_staff_comment
from ..models import Order, OrderEvent

COMMENT_MAX_LENGTH = 2000


@transaction.atomic
def order_comment_add(*, order: Order, actor, text: str) -> OrderEvent:
    """Add a staff comment to the order's timeline, with the actor and the time.

    The comment is internal: its event is not `customer_visible`, so the customer's order page
    and e-mails never show it, and it queues nothing. Any staff member who may see orders may
    comment, in any state of the order (a comment changes nothing about it).
    Locks nothing (events are append-only). Raises PermissionRefused (no staff member, or one who
    may not see orders) and ApplicationError with extra["field"] == "comment" (empty after
    trimming, or longer than COMMENT_MAX_LENGTH), all before writing anything.
    """
    if actor is None or not (actor.is_staff and actor.has_perm("orders.view_order")):
        raise PermissionRefused("You are not allowed to comment on orders.")
    text = (text or "").strip()
    if not text:
        raise ApplicationError("Write the comment first; nothing was saved.", extra={"field": "comment"})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ApplicationError(
            f"A comment can be at most {COMMENT_MAX_LENGTH:,} characters (this one has {len(text):,}); "
            "nothing was saved.",
            extra={"field": "comment"},
        )
    order = Order.objects.only("pk").get(pk=order.pk)
    return event_order_staff_comment(order=order, note=text, actor=actor)
