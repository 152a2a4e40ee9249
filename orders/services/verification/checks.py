"""The verification checks on stock, pricing and customer information. Each returns one outcome.

Check names are short and stable ("stock", "pricing", "customer", "risk"): the on-hold queue
filters on them. The reason goes in `detail`.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from inventory.models import Product
from inventory.services import AllocationResult, stock_allocate_order
from orders_site.core.money import ZERO, money

from ...models import Order, OrderCheck
from ...pricing import Discount, PriceInput, price_order
from ...selectors import quote_held_prices, voucher_usable_at
from ...selectors.shipping import delivery_fee_for, parcel_measure

DETAIL_MAX = 300

# Shapes of postal codes people write, after upper-casing. Countries not listed are not checked.
POSTAL_CODE_SHAPES = {
    "AT": r"\d{4}",
    "BE": r"\d{4}",
    "CH": r"\d{4}",
    "DE": r"\d{5}",
    "DK": r"\d{4}",
    "ES": r"\d{5}",
    "FR": r"\d{5}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}",
    "IE": r"[A-Z]\d[\dW]\s?[A-Z\d]{4}",
    "IT": r"\d{5}",
    "LU": r"(L-?)?\d{4}",
    "NL": r"[1-9]\d{3}\s?[A-Z]{2}",
    "PL": r"\d{2}-\d{3}",
    "PT": r"\d{4}-\d{3}",
    "SE": r"\d{3}\s?\d{2}",
    "US": r"\d{5}(-\d{4})?",
}
ADDRESS_REQUIRED = ("full_name", "line1", "postal_code", "city", "country")


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    result: str
    detail: str = ""
    backorder: bool = False
    allocation: AllocationResult | None = field(default=None, compare=False)

    @property
    def failed(self) -> bool:
        return self.result == OrderCheck.Result.FAILED

    def as_data(self) -> dict:
        return {"name": self.name, "result": self.result, "detail": self.detail}


def lines_in_memory(order: Order) -> list | None:
    """The order's lines when the caller has them in memory already (placement, which just created
    them, with their products, tax classes and empty allocations), else None."""
    cached = getattr(order, "_prefetched_objects_cache", {}).get("lines")
    return None if cached is None else sorted(cached, key=lambda line: line.pk)


def _join(problems: list[str]) -> str:
    text = "; ".join(problems)
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"


def _nothing_needed(order: Order) -> str:
    """Why an allocation run needed nothing: the order has no physical items, or (a re-check of a
    held order, say) every physical item was allocated by an earlier run."""
    lines = lines_in_memory(order)
    if lines is None:
        lines = list(order.lines.only("kind", "quantity"))
    units = sum(line.quantity for line in lines if line.kind == Product.Kind.PHYSICAL)
    if not units:
        return "Nothing to allocate (no physical items)"
    return f"All {units} physical item{'' if units == 1 else 's'} allocated already"


def stock_allocate_and_check(order: Order, actor) -> CheckOutcome:
    """Allocate what the order still needs. Passed: all allocated; warning: the short lines are all
    back-orderable (the order waits); failed: something is short and cannot be back-ordered."""
    allocation = stock_allocate_order(order=order, actor=actor, lines=lines_in_memory(order))
    if allocation.complete:
        detail = allocation.summary() if allocation.strategy else _nothing_needed(order)
        return CheckOutcome("stock", OrderCheck.Result.PASSED, _join([detail]), allocation=allocation)
    lines = {line.pk: line for line in order.lines.select_related("product")}
    short = [(lines[line_id], qty) for line_id, qty in allocation.short_by_line.items()]
    detail = ", ".join(f"{line.sku} short by {qty}" for line, qty in short)
    if all(line.product.is_backorderable for line, _ in short):
        return CheckOutcome(
            "stock",
            OrderCheck.Result.WARNING,
            _join([f"Back-ordered: {detail}"]),
            backorder=True,
            allocation=allocation,
        )
    not_backorderable = ", ".join(line.sku for line, _ in short if not line.product.is_backorderable)
    return CheckOutcome(
        "stock",
        OrderCheck.Result.FAILED,
        _join([f"Out of stock: {detail} ({not_backorderable} cannot be back-ordered)"]),
        allocation=allocation,
    )


def _voucher_terms(voucher) -> tuple:
    return (voucher.kind, voucher.percent_off, voucher.amount_off, voucher.minimum_order)


def _discount_at_placement(order: Order, problems: list[str]) -> Discount | None:
    """The discount terms the order was placed with, after checking its voucher was valid then and
    that the terms are that voucher's (the voucher is the one placement read: no query)."""
    if not order.voucher_id:
        if order.discount_code:
            problems.append(f"discount code {order.discount_code} has no voucher")
        return None
    voucher = order.voucher
    if not voucher_usable_at(voucher, at=order.placed_at):
        problems.append(f"voucher {voucher.code} is not valid (inactive or outside its dates)")
    if order.discount_code and order.discount_code.strip().upper() != voucher.code:
        problems.append(f"discount code {order.discount_code} does not match voucher {voucher.code}")
    terms = Discount.from_data(order.discount_terms)
    offered = _voucher_terms(voucher)
    if (terms.kind, terms.percent_off, terms.amount_off, terms.minimum_order) != offered:
        problems.append(f"discount terms of the order differ from voucher {voucher.code}")
    return terms


def _rules_fee(order, lines):
    """The fee the delivery method's rules give this order now (destination, weight, goods value
    before VAT from its frozen unit prices); None = the method does not apply."""
    address = order.shipping_address or order.billing_address
    weight, goods = parcel_measure(
        (line.product, line.quantity, line.unit_price) for line in lines if line.product_id is not None
    )
    return delivery_fee_for(
        method=order.delivery_method, country=address.country, weight_grams=weight, goods_total=goods
    )


def check_pricing(order: Order, actor) -> CheckOutcome:
    """Posted prices and tax rates against the catalogue, the voucher's validity when the order was
    placed, and every amount recomputed on the server from the lines.

    The catalogue and the voucher are compared only right after placement: the prices agreed then
    hold, so a later price change or a voucher switched off must not fail a re-check of a held
    order. Right after placement the discount is recomputed from the terms the order keeps
    (`discount_terms`, never the voucher as it is now) and the delivery fee from its method; a
    re-check recomputes the totals from the frozen line and delivery amounts instead.
    """
    problems = []
    lines = lines_in_memory(order)
    if lines is None:
        lines = list(order.lines.select_related("product__tax_class").order_by("pk"))
    at_placement = order.status == Order.Status.PLACED
    discount = None
    if at_placement:
        # An order accepted from a quote is compared with the prices the quote held, read from the
        # quote's rows (open until the acceptance commits), not with today's catalogue.
        held = quote_held_prices(quote_id=order.quote_id) if order.quote_id else {}
        for line in lines:
            product = line.product
            if product is None:
                continue
            agreed = held.get(product.pk, product.price)
            if agreed != line.unit_price:
                source = "the quote's price" if product.pk in held else "catalogue price"
                problems.append(f"{line.sku} posted at {line.unit_price}, {source} is {agreed}")
            if product.tax_class.rate != line.tax_rate:
                problems.append(f"{line.sku} taxed at {line.tax_rate}, catalogue rate is {product.tax_class.rate}")
        discount = _discount_at_placement(order, problems)
    shipping_fee = order.shipping_total + order.shipping_discount
    if at_placement:
        expected_fee = _rules_fee(order, lines)
        if expected_fee is None:
            problems.append(f"{order.delivery_method.name} does not apply to this order's destination or weight")
        elif shipping_fee != expected_fee:
            problems.append(f"delivery {shipping_fee} but the delivery method's fee is {expected_fee}")
    priced = price_order(
        lines=[
            PriceInput(
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                quantity=line.quantity,
                product_id=line.product_id,
                category_id=line.product.category_id if line.product_id else None,
            )
            for line in lines
        ],
        discount=discount,
        shipping_fee=shipping_fee,
        shipping_tax_rate=order.shipping_tax_rate,
    )
    for line, price in zip(lines, priced.lines, strict=True):
        line_discount = price.discount if at_placement else line.discount_amount
        net = price.gross - line_discount
        expected = (line_discount, net, money(net * line.tax_rate))
        if (line.discount_amount, line.net_amount, line.tax_amount) != expected or line.line_total != sum(expected[1:]):
            problems.append(
                f"{line.sku} line amounts do not add up (total {line.line_total}, recomputed {sum(expected[1:])})"
            )
    if at_placement:
        discount_total, shipping_net, shipping_discount = (
            priced.discount_total,
            priced.shipping_net,
            priced.shipping_discount,
        )
    else:
        discount_total = sum((line.discount_amount for line in lines), ZERO)
        shipping_net, shipping_discount = order.shipping_total, order.shipping_discount
    tax_total = sum((line.tax_amount for line in lines), ZERO) + money(shipping_net * order.shipping_tax_rate)
    total = priced.subtotal - discount_total + shipping_net + tax_total
    for label, stored, recomputed in (
        ("subtotal", order.subtotal, priced.subtotal),
        ("discount", order.discount_total, discount_total),
        ("delivery", order.shipping_total, shipping_net),
        ("delivery discount", order.shipping_discount, shipping_discount),
        ("tax", order.tax_total, tax_total),
        ("total", order.total, total),
    ):
        if stored != recomputed:
            problems.append(f"{label} {stored} but the lines add up to {recomputed}")
    if problems:
        return CheckOutcome("pricing", OrderCheck.Result.FAILED, _join(problems))
    return CheckOutcome("pricing", OrderCheck.Result.PASSED, f"Prices match the catalogue; total {total} recomputed")


def _address_problems(label: str, address) -> list[str]:
    problems = []
    missing = [f for f in ADDRESS_REQUIRED if not (getattr(address, f) or "").strip()]
    if missing:
        problems.append(f"{label} address lacks {', '.join(m.replace('_', ' ') for m in missing)}")
    country = (address.country or "").strip().upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        problems.append(f"{label} country {address.country!r} is not a two-letter code")
    shape = POSTAL_CODE_SHAPES.get(country)
    postal_code = (address.postal_code or "").strip().upper()
    if shape and postal_code and not re.fullmatch(shape, postal_code):
        problems.append(f"{label} postal code {address.postal_code!r} does not look like one from {country}")
    if (address.line1 or "").strip() and not re.search(r"\w{2,}", address.line1):
        problems.append(f"{label} address line {address.line1!r} is not plausible")
    return problems


def check_customer(order: Order, actor) -> CheckOutcome:
    """A valid e-mail address, and complete, plausible billing and delivery addresses whose postal
    codes have the shape of their country's. A home delivery without an address fails."""
    problems = []
    try:
        validate_email(order.email)
    except ValidationError:
        problems.append(f"e-mail address {order.email!r} is not valid")
    if order.shipping_address is None:
        if not order.delivery_method.is_pickup:
            problems.append("no delivery address for a home delivery")
    else:
        problems.extend(_address_problems("delivery", order.shipping_address))
    problems.extend(_address_problems("billing", order.billing_address))
    if problems:
        return CheckOutcome("customer", OrderCheck.Result.FAILED, _join(problems))
    return CheckOutcome("customer", OrderCheck.Result.PASSED, "E-mail and addresses look complete")
