"""Delivery fees from a method's rules: pure, no database (the selector in
orders.selectors.shipping reads the rows; placement, verification, the checkout and the order desk
all price delivery with `delivery_fee`).

The rules of a delivery method, in order:
- zones: a method that names zones serves only their countries; one without zones serves every one;
- rate kind: FLAT charges the method's fee; BANDS charges the fee of the first weight band whose
  `up_to_grams` covers the order's total weight (products' `weight_grams` times quantity); heavier
  than every band (or no bands) = not available;
- `free_above`: when set, an order whose goods value (before VAT, before any voucher discount) is
  at least that amount pays nothing for delivery.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

FLAT = "flat"
BANDS = "bands"


@dataclass(frozen=True)
class Band:
    up_to_grams: int
    fee: Decimal


def delivery_fee(
    *,
    rate_kind: str,
    flat_fee: Decimal,
    free_above: Decimal | None,
    bands: Iterable[Band],
    zone_countries: frozenset[str] | None,
    country: str,
    weight_grams: int,
    goods_total: Decimal,
) -> Decimal | None:
    """The fee before tax for this order, or None when the method does not apply to it.
    `zone_countries`: the countries of the method's zones, None when it names no zone (every
    country). `goods_total`: goods value before VAT and before voucher discounts."""
    if zone_countries is not None and (country or "").upper() not in zone_countries:
        return None
    if rate_kind == BANDS:
        fee = next((b.fee for b in sorted(bands, key=lambda b: b.up_to_grams) if weight_grams <= b.up_to_grams), None)
        if fee is None:
            return None
    else:
        fee = flat_fee
    if free_above is not None and goods_total >= free_above:
        return Decimal("0.00")
    return Decimal(fee)


def method_fee(*, method, country: str, weight_grams: int, goods_total: Decimal) -> Decimal | None:
    """`delivery_fee` for a DeliveryMethod row whose `bands` and `zones` are prefetched (or cheap
    to read): the adapter between the rows and the pure rule."""
    zones = list(method.zones.all())
    countries = frozenset(c for zone in zones for c in zone.countries) if zones else None
    return delivery_fee(
        rate_kind=method.rate_kind,
        flat_fee=method.fee,
        free_above=method.free_above,
        bands=[Band(b.up_to_grams, b.fee) for b in method.bands.all()] if method.rate_kind == BANDS else [],
        zone_countries=countries,
        country=country,
        weight_grams=weight_grams,
        goods_total=goods_total,
    )
