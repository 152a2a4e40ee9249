from django.db import transaction

from ..models import EmailNotification, Order
from .notifications import notification_queue
from .transitions import transition_run


@transaction.atomic
def order_payment_complete(*, order: Order, actor=None) -> Order:
    """The invoice is paid in full: the order becomes paid, then completed, and the customer gets
    the confirmation (the feedback request follows in lifecycle.settlement). Locks the order (transition
    core; the caller holds it already).
    Queues the confirmation e-mail."""
    transition_run(model=Order, pk=order.pk, transition="pay", actor=actor, check_permission=False)
    order = transition_run(model=Order, pk=order.pk, transition="complete", actor=actor, check_permission=False)
    notification_queue(order=order, kind=EmailNotification.Kind.PAYMENT_CONFIRMATION)
    return order
