"""Pure price arithmetic shared by the cart, checkout and order placement. No database access.

Prices are before tax (VAT). Every line is rounded on its own, half-up to cents, and its tax is
charged on its discounted amount, so the lines always add up to the order and the invoice can
show the tax per line and per rate.

A discount (`Discount`, built from a voucher by orders.selectors and frozen on the order) is one
of three kinds:

- percentage: that share off each eligible line, rounded per line;
- fixed amount: an amount in the shop's currency shared over the eligible lines in proportion to
  their value, never more than they are worth together. Each share is rounded down to the cent
  and the cents left over go to the lines with the largest remainders (the first such line on a
  tie), so the line discounts add up to exactly the amount;
- free shipping: the delivery fee is waived (`shipping_discount`); the lines are not touched.

Eligible lines: every line, or with a scope only the lines whose product or product category the
voucher names. A minimum order value is compared with the eligible lines' value before discount
and before VAT; below it the discount gives nothing (`discount_shortfall` says how much is
missing). Free shipping needs at least one eligible line.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from orders_site.core.money import CENT, ZERO, money

PERCENTAGE = "percentage"
FIXED_AMOUNT = "fixed_amount"
FREE_SHIPPING = "free_shipping"
DISCOUNT_KINDS = (PERCENTAGE, FIXED_AMOUNT, FREE_SHIPPING)


@dataclass(frozen=True)
class PriceInput:
    unit_price: Decimal
    tax_rate: Decimal
    quantity: int
    product_id: int | None = None  # for a voucher's scope
    category_id: int | None = None


@dataclass(frozen=True)
class Discount:
    """What a voucher takes off, as pricing needs it. An empty scope is the whole order."""

    kind: str = PERCENTAGE
    percent_off: Decimal = ZERO
    amount_off: Decimal = ZERO  # fixed amount, in the shop's currency, before VAT
    minimum_order: Decimal = ZERO  # of the eligible lines, before discount and VAT
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()

    def __post_init__(self):
        if self.kind not in DISCOUNT_KINDS:
            raise ValueError(f"Unknown discount kind {self.kind!r}")

    @property
    def is_scoped(self) -> bool:
        return bool(self.product_ids or self.category_ids)

    def applies_to(self, line: PriceInput) -> bool:
        if not self.is_scoped:
            return True
        return line.product_id in self.product_ids or (
            line.category_id is not None and line.category_id in self.category_ids
        )

    def for_lines(self, lines: list[PriceInput]) -> "Discount":
        """The same terms with the scope cut down to what these lines can match (what an order
        keeps: its own lines are all it is ever priced with again)."""
        if not self.is_scoped:
            return self
        return Discount(
            kind=self.kind,
            percent_off=self.percent_off,
            amount_off=self.amount_off,
            minimum_order=self.minimum_order,
            product_ids=self.product_ids & {line.product_id for line in lines},
            category_ids=self.category_ids & {line.category_id for line in lines},
        )

    def as_data(self) -> dict:
        """JSON for the order's `discount_terms`; `Discount.from_data` reads it back."""
        return {
            "kind": self.kind,
            "percent_off": str(self.percent_off),
            "amount_off": str(self.amount_off),
            "minimum_order": str(self.minimum_order),
            "product_ids": sorted(self.product_ids),
            "category_ids": sorted(self.category_ids),
        }

    @classmethod
    def from_data(cls, data: dict) -> "Discount":
        return cls(
            kind=data.get("kind", PERCENTAGE),
            percent_off=Decimal(data.get("percent_off", "0")),
            amount_off=Decimal(data.get("amount_off", "0")),
            minimum_order=Decimal(data.get("minimum_order", "0")),
            product_ids=frozenset(data.get("product_ids", ())),
            category_ids=frozenset(data.get("category_ids", ())),
        )


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
    discount_total: Decimal  # of the lines; a waived delivery fee is `shipping_discount`
    shipping_net: Decimal  # what is charged for delivery, before tax (after a waiver)
    shipping_tax: Decimal
    tax_total: Decimal
    total: Decimal
    tax_breakdown: dict[Decimal, dict[str, Decimal]] = field(default_factory=dict)
    shipping_discount: Decimal = ZERO  # the delivery fee a free-shipping voucher waived, before tax
    eligible_subtotal: Decimal = ZERO  # the lines the discount may apply to, before discount
    discount_shortfall: Decimal = ZERO  # how much more of those is needed to reach the minimum

    @property
    def savings(self) -> Decimal:
        """What the discount saved, before tax: line discounts and a waived delivery fee."""
        return self.discount_total + self.shipping_discount


def _percentage_off(grosses: list[Decimal], eligible: list[bool], percent_off: Decimal) -> list[Decimal]:
    return [money(gross * percent_off / 100) if ok else ZERO for gross, ok in zip(grosses, eligible, strict=True)]


def _shared_out(grosses: list[Decimal], eligible: list[bool], amount: Decimal) -> list[Decimal]:
    """`amount` shared over the eligible lines in proportion to their value, in whole cents that
    add up to it exactly (largest remainder), never more than a line is worth."""
    cents = [int(gross / CENT) if ok else 0 for gross, ok in zip(grosses, eligible, strict=True)]
    whole = sum(cents)
    if not whole:
        return [ZERO] * len(grosses)
    to_share = min(int(money(amount) / CENT), whole)
    shares = [to_share * c // whole for c in cents]
    left = to_share - sum(shares)
    by_remainder = sorted(range(len(cents)), key=lambda i: (-(to_share * cents[i] % whole), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return [Decimal(share) * CENT for share in shares]


def price_order(
    *,
    lines: list[PriceInput],
    discount: Discount | None = None,
    shipping_fee: Decimal = ZERO,
    shipping_tax_rate: Decimal = ZERO,
) -> PricedOrder:
    """Price the lines, the discount and delivery; the module docstring gives the rules."""
    grosses = [money(line.unit_price * line.quantity) for line in lines]
    eligible = [discount is not None and discount.applies_to(line) for line in lines]
    eligible_subtotal = sum((gross for gross, ok in zip(grosses, eligible, strict=True) if ok), ZERO)
    shortfall = ZERO
    if discount is not None and any(eligible):
        shortfall = max(money(discount.minimum_order) - eligible_subtotal, ZERO)
    applies = discount is not None and any(eligible) and not shortfall
    if applies and discount.kind == PERCENTAGE:
        discounts = _percentage_off(grosses, eligible, discount.percent_off)
    elif applies and discount.kind == FIXED_AMOUNT:
        discounts = _shared_out(grosses, eligible, discount.amount_off)
    else:
        discounts = [ZERO] * len(lines)

    priced = []
    breakdown: dict[Decimal, dict[str, Decimal]] = defaultdict(lambda: {"net": ZERO, "tax": ZERO})
    for line, gross, line_discount in zip(lines, grosses, discounts, strict=True):
        net = gross - line_discount
        tax = money(net * line.tax_rate)
        priced.append(PricedLine(gross=gross, discount=line_discount, net=net, tax=tax, total=net + tax))
        breakdown[line.tax_rate]["net"] += net
        breakdown[line.tax_rate]["tax"] += tax
    shipping_fee = money(shipping_fee)
    shipping_discount = shipping_fee if applies and discount.kind == FREE_SHIPPING else ZERO
    shipping_net = shipping_fee - shipping_discount
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
        shipping_discount=shipping_discount,
        eligible_subtotal=eligible_subtotal,
        discount_shortfall=shortfall,
    )
