"""Money owed back to a customer: after an edit made the order cheaper, or a credit note corrected
a paid invoice (until issue 13's refunds settle it)."""

from decimal import Decimal

from django.db import transaction

from orders.models import Order
from orders_site.core.exceptions import ApplicationError

from ..models import AmountOwedBack


@transaction.atomic
def amount_owed_back_record(
    *, order: Order, amount: Decimal, reason: str, order_version: int | None = None, credit_note=None
) -> AmountOwedBack:
    """Record that `amount` is owed back to the customer because of order version `order_version`
    (an edit) or `credit_note` (a correction of a paid invoice).

    Call it holding the order (lifecycle.order_edits and the credit-note service do, inside their
    transaction). Locks nothing more; queues nothing. Raises ApplicationError for an amount that
    is not positive. The database allows one row per order version and per credit note.
    """
    if amount <= 0:
        raise ApplicationError("Only a positive amount can be owed back.")
    return AmountOwedBack.objects.create(
        order=order, amount=amount, order_version=order_version, credit_note=credit_note, reason=reason[:300]
    )
