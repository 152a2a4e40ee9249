"""Reads of orders that are more than one obvious query."""

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from inventory.models import StockAllocation

from .models import Order, OrderEvent, OrderLine, Voucher
from .payment_reference import reference_grouped


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


# --- back-orders ---------------------------------------------------------------------------------


def backordered_product_ids() -> list[int]:
    """Products that back-ordered orders are waiting for."""
    return sorted(
        set(
            Order.objects.filter(status=Order.Status.BACKORDERED, lines__product_id__isnull=False).values_list(
                "lines__product_id", flat=True
            )
        )
    )


def backorders_waiting_exist(*, product_ids: Iterable[int]) -> bool:
    return Order.objects.filter(status=Order.Status.BACKORDERED, lines__product_id__in=set(product_ids)).exists()


def backordered_units_by_product() -> dict[int, int]:
    """Units that back-ordered orders still wait for, per product."""
    waiting = {"order__status": Order.Status.BACKORDERED}
    ordered = (
        OrderLine.objects.filter(product__isnull=False, **waiting)
        .order_by()
        .values("product_id")
        .annotate(units=Sum("quantity"))
    )
    promised = (
        StockAllocation.objects.filter(**{f"order_line__{k}": v for k, v in waiting.items()})
        .order_by()
        .values("order_line__product_id")
        .annotate(units=Sum(F("quantity") - F("released_quantity")))
    )
    result = {row["product_id"]: row["units"] for row in ordered}
    for row in promised:
        result[row["order_line__product_id"]] -= row["units"]
    return {product_id: units for product_id, units in result.items() if units > 0}


def bank_transfer_instructions(*, order: Order, amount_due) -> dict | None:
    """Where and how much to pay for a bank-transfer order that has a reference and still owes
    money; None for card and cash orders and once nothing is owed (paid, cancelled)."""
    if order.payment_method != Order.PaymentMethod.BANK_TRANSFER or not order.payment_reference:
        return None
    if amount_due is None or Decimal(amount_due) <= 0:
        return None
    return {
        "holder": settings.SHOP_ACCOUNT_HOLDER,
        "iban": reference_grouped(settings.SHOP_IBAN.upper()),
        "bic": settings.SHOP_BIC.replace(" ", "").upper(),
        "amount": Decimal(amount_due),
        "currency": order.currency,
        "reference": reference_grouped(order.payment_reference),
    }
