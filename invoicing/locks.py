"""Every row lock invoicing takes, named. Where they sit in the one lock order of the code base is
stated in orders/locks.py: an invoice is a row of its order (step 3), so a service that locks the
order does that first (orders.locks.order_lock), then the invoice. Payments change state only
through the transition core, which locks the payment row (orders_site.core.locks.transition_row_lock)."""

from .models import Invoice, Payment, StoreCreditAccount


def invoice_lock(*, invoice_id: int) -> Invoice:
    """Lock one invoice row (step 3: after its order, when the caller needs both), with its order
    read, not locked."""
    return Invoice.objects.select_for_update(of=("self",)).select_related("order").get(pk=invoice_id)


def payments_lock(*, order_id: int) -> list[Payment]:
    """Lock an order's captured payments, in primary-key order (step 3, after the order): what a
    refund takes its money from."""
    return list(
        Payment.objects.select_for_update(of=("self",))
        .filter(order_id=order_id, status=Payment.Status.CAPTURED)
        .order_by("pk")
    )


def store_credit_account_lock(*, customer_id: int) -> StoreCreditAccount | None:
    """Lock a customer's store credit account (the last row of step 3: after its order, payments
    and refunds; alone when staff give credit without an order). None when it has none yet."""
    return StoreCreditAccount.objects.select_for_update().filter(customer_id=customer_id).first()
