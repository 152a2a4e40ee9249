"""Money owed back to a customer after an edit made the order cheaper (until issue 13's refunds)."""

from decimal import Decimal

from django.db import transaction

from orders.models import Order
from orders_site.core.exceptions import ApplicationError

from ..models import AmountOwedBack


@transaction.atomic
def amount_owed_back_record(*, order: Order, amount: Decimal, order_version: int, reason: str) -> AmountOwedBack:
    """Record that `amount` is owed back to the customer because of order version `order_version`.

    Call it holding the order (lifecycle.order_edits does, inside the edit's transaction). Locks
    nothing more; queues nothing. Raises ApplicationError for an amount that is not positive.
    The database allows one row per order version.
    """
    if amount <= 0:
        raise ApplicationError("Only a positive amount can be owed back.")
    return AmountOwedBack.objects.create(order=order, amount=amount, order_version=order_version, reason=reason[:300])
