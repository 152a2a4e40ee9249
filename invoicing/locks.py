"""Every row lock invoicing takes, named. Where they sit in the one lock order of the code base is
stated in orders/locks.py: an invoice is a row of its order (step 3), so a service that locks the
order does that first (orders.locks.order_lock), then the invoice. Payments change state only
through the transition core, which locks the payment row (orders_site.core.locks.transition_row_lock)."""

from .models import Invoice


def invoice_lock(*, invoice_id: int) -> Invoice:
    """Lock one invoice row (step 3: after its order, when the caller needs both), with its order
    read, not locked."""
    return Invoice.objects.select_for_update(of=("self",)).select_related("order").get(pk=invoice_id)
