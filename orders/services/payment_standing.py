"""The order's payment standing column (Order.PaymentStanding): written here only, by invoicing's
payment_standing_refresh, which works it out from the order's money (orders knows no payments)."""

from ..models import Order


def order_payment_standing_record(*, order_id: int, standing: str) -> bool:
    """Store the standing when it changed (one UPDATE that writes nothing otherwise). Call it in the
    transaction that moved the money. Returns whether it changed."""
    if standing not in Order.PaymentStanding.values:
        raise ValueError(f"Unknown payment standing {standing!r}")
    return bool(Order.objects.filter(pk=order_id).exclude(payment_standing=standing).update(payment_standing=standing))
