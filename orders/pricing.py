"""Pure price arithmetic shared by the cart, checkout and order placement. No database access."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from orders_site.core.money import ZERO, money


@dataclass(frozen=True)
class PriceInput:
    unit_price: Decimal
    tax_rate: Decimal
    quantity: int


@dataclass(frozen=True)
class PricedLine:
    gross: Decimal  # unit price x quantity, before discount and tax
    discount: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass
class PricedOrder:
    lines: list[PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    shipping_net: Decimal
    shipping_tax: Decimal
    tax_total: Decimal
    total: Decimal
    tax_breakdown: dict[Decimal, dict[str, Decimal]] = field(default_factory=dict)


def price_order(
    *,
    lines: list[PriceInput],
    percent_off: Decimal = ZERO,
    shipping_fee: Decimal = ZERO,
    shipping_tax_rate: Decimal = ZERO,
) -> PricedOrder:
    """Each line is rounded on its own, half-up to cents; tax is charged on the discounted net."""
    priced = []
    breakdown: dict[Decimal, dict[str, Decimal]] = defaultdict(lambda: {"net": ZERO, "tax": ZERO})
    for line in lines:
        gross = money(line.unit_price * line.quantity)
        discount = money(gross * percent_off / 100)
        net = gross - discount
        tax = money(net * line.tax_rate)
        priced.append(PricedLine(gross=gross, discount=discount, net=net, tax=tax, total=net + tax))
        breakdown[line.tax_rate]["net"] += net
        breakdown[line.tax_rate]["tax"] += tax
    shipping_net = money(shipping_fee)
    shipping_tax = money(shipping_net * shipping_tax_rate)
    if shipping_net:
        breakdown[shipping_tax_rate]["net"] += shipping_net
        breakdown[shipping_tax_rate]["tax"] += shipping_tax
    subtotal = sum((p.gross for p in priced), ZERO)
    discount_total = sum((p.discount for p in priced), ZERO)
    tax_total = sum((p.tax for p in priced), ZERO) + shipping_tax
    return PricedOrder(
        lines=priced,
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_net=shipping_net,
        shipping_tax=shipping_tax,
        tax_total=tax_total,
        total=subtotal - discount_total + shipping_net + tax_total,
        tax_breakdown=dict(sorted(breakdown.items())),
    )
