from django.db.models import Prefetch, QuerySet
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


def order_list_for_customer(*, user) -> QuerySet[Order]:
    return Order.objects.filter(customer__user=user).exclude(status=Order.Status.DRAFT).order_by("-placed_at", "-pk")


def order_get_for_customer(*, user, number: str) -> Order | None:
    """The customer's own order with its lines, shipments and customer-facing timeline; else None."""
    return (
        order_list_for_customer(user=user)
        .filter(number=number)
        .select_related("shipping_address", "billing_address", "delivery_method")
        .prefetch_related(
            "lines",
            "shipments",
            "invoices",
            Prefetch("events", queryset=OrderEvent.objects.filter(customer_visible=True), to_attr="customer_events"),
        )
        .first()
    )


def order_get_for_guest(*, number: str, email: str) -> Order | None:
    return (
        Order.objects.filter(number=number.strip(), email__iexact=email.strip(), customer__user__isnull=True)
        .exclude(status=Order.Status.DRAFT)
        .select_related("shipping_address", "billing_address", "delivery_method")
        .prefetch_related(
            "lines",
            "shipments",
            "invoices",
            Prefetch("events", queryset=OrderEvent.objects.filter(customer_visible=True), to_attr="customer_events"),
        )
        .first()
    )
