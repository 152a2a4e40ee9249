"""Which delivery methods apply to a cart or an order, with their fee (orders.shipping_rates)."""

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Prefetch, prefetch_related_objects

from orders.models import DeliveryMethod, WeightBand
from orders.shipping_rates import method_fee


def parcel_measure(lines: Iterable[tuple[object, int, Decimal]]) -> tuple[int, Decimal]:
    """(total weight in grams, goods value before VAT and discounts) of (product, quantity, unit
    price) triples. Every line counts, by its product's `weight_grams`."""
    weight = 0
    goods = Decimal(0)
    for product, quantity, unit_price in lines:
        weight += (product.weight_grams or 0) * quantity
        goods += Decimal(unit_price) * quantity
    return weight, goods


def _methods():
    return DeliveryMethod.objects.prefetch_related(
        Prefetch("bands", queryset=WeightBand.objects.order_by("up_to_grams")), "zones"
    )


def delivery_methods_for(
    *, country: str, weight_grams: int, goods_total: Decimal
) -> list[tuple[DeliveryMethod, Decimal]]:
    """The active methods that deliver to `country` for this weight and goods value, with their fee
    before tax, in display order. Three queries (methods, their bands, their zones), whatever the
    number of methods or cart lines."""
    result = []
    for method in _methods().filter(is_active=True).order_by("sort_order", "fee", "pk"):
        fee = method_fee(method=method, country=country, weight_grams=weight_grams, goods_total=goods_total)
        if fee is not None:
            result.append((method, fee))
    return result


def delivery_fee_for(
    *, method: DeliveryMethod, country: str, weight_grams: int, goods_total: Decimal
) -> Decimal | None:
    """The fee of one method for this order (None = it does not apply). Reads its zones (and the
    bands of a by-weight method) unless they are prefetched on `method` already, and leaves them
    prefetched on it (placement prices with it, then verification re-checks with the same row)."""
    cached = getattr(method, "_prefetched_objects_cache", {})
    if "zones" not in cached:
        prefetch_related_objects([method], "zones")
    if method.rate_kind == DeliveryMethod.RateKind.BANDS and "bands" not in cached:
        prefetch_related_objects([method], Prefetch("bands", queryset=WeightBand.objects.order_by("up_to_grams")))
    return method_fee(method=method, country=country, weight_grams=weight_grams, goods_total=goods_total)
