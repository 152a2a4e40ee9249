"""Reads of orders that are more than one obvious query."""

from django.db.models import QuerySet
from django.utils import timezone

from .models import Order, OrderEvent, Voucher


def voucher_find_valid(*, code: str, at=None) -> Voucher | None:
    """The active voucher with this code that is valid now, or None."""
    code = (code or "").strip().upper()
    if not code:
        return None
    at = at or timezone.now()
    voucher = Voucher.objects.filter(code=code, is_active=True).first()
    if voucher is None:
        return None
    if voucher.valid_from and voucher.valid_from > at:
        return None
    if voucher.valid_until and voucher.valid_until < at:
        return None
    return voucher


def order_find_by_idempotency_key(*, key: str) -> Order | None:
    if not key:
        return None
    return Order.objects.filter(idempotency_key=key).first()


def events_for_object(obj) -> QuerySet[OrderEvent]:
    """The events a shipment, invoice or payment wrote on its order's timeline, oldest first."""
    return OrderEvent.objects.filter(object_type=obj._meta.model_name, object_id=obj.pk).order_by("created_at", "pk")
