"""Reads of orders that are more than one obvious query."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet, Sum
from django.utils import timezone

from inventory.models import StockAllocation

from .models import Order, OrderCheck, OrderEvent, OrderLine, Shipment, Voucher
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


# --- the work queues (the console's home) and the on-hold queue ------------------------------------

# What an order can be held for: the names of the verification checks (orders/services/verification,
# one outcome per check and run), with what staff read. A test keeps this in step with the checks.
HOLD_REASONS = {
    "customer": "Customer details",
    "pricing": "Pricing",
    "stock": "Stock",
    "risk": "Risk rules",
}


def hold_reason_label(name: str) -> str:
    return HOLD_REASONS.get(name) or name.replace("_", " ").capitalize()


def order_count(*, status: str) -> int:
    """Orders in one state (the order status index answers it)."""
    return Order.objects.filter(status=status).count()


def shipment_count(*, status: str) -> int:
    """Parcels in one state (shipment_status_idx answers it)."""
    return Shipment.objects.filter(status=status).count()


def order_checks_current() -> QuerySet[OrderCheck]:
    """Each order's current check results: every (re-)verification replaces the order's check rows
    (earlier runs stay in their events' data), so all rows are current."""
    return OrderCheck.objects.all()


def _failed_now(reason: str):
    return Exists(order_checks_current().filter(order=OuterRef("pk"), name=reason, result=OrderCheck.Result.FAILED))


def orders_held_for(queryset: QuerySet[Order], *, reason: str) -> QuerySet[Order]:
    """The held orders of `queryset` that the check `reason` holds (ordercheck_failed_idx)."""
    return queryset.filter(status=Order.Status.ON_HOLD).filter(_failed_now(reason))


@dataclass(frozen=True)
class HeldCounts:
    total: int
    by_reason: dict[str, int]  # HOLD_REASONS' names; an order held for two reasons counts in both


def orders_on_hold_counts() -> HeldCounts:
    """How many orders are on hold, and how many for each reason, in one query (the status index
    finds the held orders, ordercheck_failed_idx their failed checks)."""
    counts = Order.objects.filter(status=Order.Status.ON_HOLD).aggregate(
        total=Count("pk"), **{f"reason_{name}": Count("pk", filter=_failed_now(name)) for name in HOLD_REASONS}
    )
    return HeldCounts(total=counts["total"], by_reason={name: counts[f"reason_{name}"] for name in HOLD_REASONS})


def hold_reason_names() -> list[str]:
    """The check names that currently hold at least one order (stock, customer, pricing, risk...)."""
    return list(
        order_checks_current()
        .filter(result=OrderCheck.Result.FAILED, order__status=Order.Status.ON_HOLD)
        .values_list("name", flat=True)
        .distinct()
        .order_by("name")
    )


def hold_checks_prefetch() -> Prefetch:
    """Check rows of held orders only, in the order they ran, as `order.hold_checks`."""
    return Prefetch(
        "checks",
        queryset=OrderCheck.objects.filter(order__status=Order.Status.ON_HOLD).order_by("pk"),
        to_attr="hold_checks",
    )


def hold_reasons_of(order: Order) -> list[OrderCheck]:
    """The failed latest checks of a held order (needs `hold_checks_prefetch()`)."""
    latest: dict[str, OrderCheck] = {}
    for check in getattr(order, "hold_checks", []):
        latest[check.name] = check
    return [check for check in latest.values() if check.result == OrderCheck.Result.FAILED]
