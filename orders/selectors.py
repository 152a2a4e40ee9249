"""Reads of orders that are more than one obvious query."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from inventory.models import Product, StockAllocation
from inventory.selectors import stock_available_by_warehouse

from .models import (
    Address,
    Customer,
    Order,
    OrderCheck,
    OrderEvent,
    OrderLine,
    Quote,
    QuoteLine,
    Shipment,
    ShipmentLine,
    Voucher,
)
from .payment_reference import reference_grouped
from .pricing import PriceInput, price_order


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


# --- the order's page in the staff console ---------------------------------------------------------

# Parcels whose items are picked and packed (or further), and those that left the warehouse.
PICKED_STATUSES = frozenset(
    {
        Shipment.Status.PACKED,
        Shipment.Status.SHIPPED,
        Shipment.Status.IN_TRANSIT,
        Shipment.Status.DELIVERED,
        Shipment.Status.DELIVERY_FAILED,
        Shipment.Status.RETURNED_TO_SENDER,
    }
)
SHIPPED_STATUSES = PICKED_STATUSES - {Shipment.Status.PACKED}
ADDRESS_FIELDS = ("full_name", "company", "line1", "line2", "postal_code", "city", "region", "country", "phone")


@dataclass(frozen=True)
class LineProgress:
    """An order line with how many of its units are allocated (promised, not yet released),
    picked (in parcels packed or further) and shipped (in parcels that left)."""

    line: OrderLine
    allocated: int
    picked: int
    shipped: int


@dataclass(frozen=True)
class OrderRecord:
    order: Order
    lines: list[LineProgress]
    parcels: list[Shipment]  # oldest first, each with `warehouse` and `position` (1, 2, ...)
    checks: list[OrderCheck]  # the latest verification run's results
    events: list[OrderEvent]  # the whole timeline, oldest first, each with `actor`
    customer_order_count: int

    @property
    def failed_checks(self) -> list[OrderCheck]:
        return [check for check in self.checks if check.result == OrderCheck.Result.FAILED]


def addresses_alike(first: Address | None, second: Address | None) -> bool:
    """Two addresses that say the same (the same row, or copies with equal fields)."""
    if first is None or second is None:
        return False
    return first.pk == second.pk or all(
        (getattr(first, name) or "").strip() == (getattr(second, name) or "").strip() for name in ADDRESS_FIELDS
    )


def order_record(*, order: Order) -> OrderRecord:
    """Everything the order's console page shows but money (invoicing.selectors.order_payment_summary):
    lines with their progress, parcels, checks, the timeline and the customer's order count.

    A fixed number of queries whatever the number of lines, parcels and events (seven). `order`
    should come with its customer (select_related), as the console's queryset has it.
    """
    lines = list(OrderLine.objects.filter(order=order).order_by("pk"))
    allocated = dict(
        StockAllocation.objects.filter(order_line__order=order)
        .order_by()
        .values("order_line_id")
        .annotate(units=Sum(F("quantity") - F("released_quantity")))
        .values_list("order_line_id", "units")
    )
    picked: dict[int, int] = defaultdict(int)
    shipped: dict[int, int] = defaultdict(int)
    in_parcels = (
        ShipmentLine.objects.filter(shipment__order=order, shipment__status__in=PICKED_STATUSES)
        .order_by()
        .values("order_line_id", "shipment__status")
        .annotate(units=Sum("quantity"))
    )
    for row in in_parcels:
        picked[row["order_line_id"]] += row["units"]
        if row["shipment__status"] in SHIPPED_STATUSES:
            shipped[row["order_line_id"]] += row["units"]
    parcels = list(Shipment.objects.filter(order=order).select_related("warehouse").order_by("pk"))
    for position, parcel in enumerate(parcels, start=1):
        parcel.position = position
    return OrderRecord(
        order=order,
        lines=[
            LineProgress(
                line=line,
                allocated=allocated.get(line.pk) or 0,
                picked=picked[line.pk],
                shipped=shipped[line.pk],
            )
            for line in lines
        ],
        parcels=parcels,
        checks=list(OrderCheck.objects.filter(order=order).order_by("pk")),
        events=list(OrderEvent.objects.filter(order=order).select_related("actor").order_by("created_at", "pk")),
        customer_order_count=Order.objects.filter(customer_id=order.customer_id)
        .exclude(status=Order.Status.DRAFT)
        .count(),
    )


# --- the order desk --------------------------------------------------------------------------------

DESK_LOOKUP_LIMIT = 10


def quote_held_prices(*, quote_id: int) -> dict[int, Decimal]:
    """The unit prices a sent quote holds, by product id (empty unless the quote is still open: sent
    and not yet accepted). Read from the quote's own rows, never from a request."""
    if not Quote.objects.filter(pk=quote_id, status=Quote.Status.SENT).exists():
        return {}
    return dict(QuoteLine.objects.filter(quote_id=quote_id).values_list("product_id", "unit_price"))


def customer_matches(term: str) -> Q:
    """Customers whose e-mail, name, company or phone begins with `term`, in any case: each an
    UpperPrefixIndex of Customer.Meta, so PostgreSQL ORs four index range scans."""
    return (
        Q(email__istartswith=term)
        | Q(full_name__istartswith=term)
        | Q(company__istartswith=term)
        | Q(phone__istartswith=term)
    )


def product_matches(term: str) -> Q:
    """Products whose barcode is `term` (its index), or whose SKU or name begins with it in any case
    (Product.Meta's UpperPrefixIndexes)."""
    return Q(barcode=term) | Q(sku__istartswith=term) | Q(name__istartswith=term)


def customers_find(*, term: str, limit: int = DESK_LOOKUP_LIMIT) -> list[Customer]:
    """Customers whose e-mail, name, company or phone number begins with `term` (any case), by name,
    each with its address book prefetched: two queries, each served by an index (Customer.Meta)."""
    term = term.strip()
    if not term:
        return []
    return list(
        Customer.objects.filter(customer_matches(term))
        .order_by("full_name", "pk")
        .prefetch_related(Prefetch("addresses", queryset=Address.objects.order_by("pk")))[:limit]
    )


def products_find(*, term: str, limit: int = DESK_LOOKUP_LIMIT) -> list[Product]:
    """Active products whose barcode is `term`, or whose SKU or name begins with it (any case); an
    exact SKU or barcode first, then by name. One query, served by Product's indexes."""
    term = term.strip()
    if not term:
        return []
    products = list(
        Product.objects.filter(product_matches(term), is_active=True)
        .select_related("tax_class")
        .order_by("name", "pk")[:limit]
    )
    exact = term.upper()
    return sorted(products, key=lambda product: not (product.sku.upper() == exact or product.barcode == term))


def product_find_exact(*, term: str) -> Product | None:
    """The active product with this SKU (any case) or barcode: what "Add line" adds without a choice."""
    term = term.strip()
    if not term:
        return None
    return (
        Product.objects.filter(Q(sku__iexact=term) | Q(barcode=term), is_active=True)
        .select_related("tax_class")
        .order_by("pk")
        .first()
    )


@dataclass
class DeskLine:
    """One line of the order being entered, priced by the server."""

    product: Product
    quantity: int
    customisation_notes: str
    unit_price: Decimal
    price_held: bool  # the quote's held price, not today's catalogue price
    priced: object  # orders.pricing.PricedLine
    availability: list  # inventory.selectors.WarehouseAvailability, per warehouse
    position: int = 0  # which of the requested lines this is (lines left out leave a gap)

    @property
    def available(self) -> int:
        return sum(place.available for place in self.availability)

    @property
    def short(self) -> bool:
        return self.product.tracks_stock and self.quantity > self.available


@dataclass
class DeskPricing:
    """What the desk shows for the order being entered: its lines and totals as the server prices
    them, and what is wrong with the request so far ((field, message) pairs)."""

    lines: list[DeskLine]
    priced: object  # orders.pricing.PricedOrder
    voucher: Voucher | None
    problems: list[tuple[str, str]]


def desk_price(
    *, lines: list, delivery_method=None, discount_code: str = "", held_prices: dict[int, Decimal] | None = None
) -> DeskPricing:
    """Price the order being entered exactly as placement will (orders.pricing.price_order, today's
    catalogue prices and tax rates, or a sent quote's `held_prices`), with each line's availability
    per warehouse. `lines` are orders.services.placement.LineRequest; products that are unknown or
    no longer sold are left out and reported. At most three queries, whatever the number of lines:
    the products, the voucher, the stock levels."""
    problems: list[tuple[str, str]] = []
    products = Product.objects.select_related("tax_class").in_bulk({line.product_id for line in lines})
    kept = []
    for position, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None or not product.is_active:
            problems.append(("lines", "A product in the order is no longer sold; it was left out."))
        elif not 1 <= line.quantity <= 999:
            problems.append(("lines", f"{product.sku}: quantities must be between 1 and 999."))
        else:
            kept.append((position, line, product))
    voucher = None
    if discount_code.strip():
        voucher = voucher_find_valid(code=discount_code)
        if voucher is None:
            problems.append(("discount_code", "This discount code is not valid (any more)."))
    held_prices = held_prices or {}
    priced = price_order(
        lines=[
            PriceInput(
                unit_price=held_prices.get(product.pk, product.price),
                tax_rate=product.tax_class.rate,
                quantity=line.quantity,
            )
            for _, line, product in kept
        ],
        percent_off=voucher.percent_off if voucher else 0,
        shipping_fee=delivery_method.fee if delivery_method else 0,
        shipping_tax_rate=delivery_method.tax_rate if delivery_method else 0,
    )
    availability = stock_available_by_warehouse(product_ids=[product.pk for _, _, product in kept])
    desk_lines = [
        DeskLine(
            product=product,
            quantity=line.quantity,
            customisation_notes=line.customisation_notes,
            unit_price=held_prices.get(product.pk, product.price),
            price_held=product.pk in held_prices,
            priced=price,
            availability=availability.get(product.pk, []),
            position=position,
        )
        for (position, line, product), price in zip(kept, priced.lines, strict=True)
    ]
    return DeskPricing(lines=desk_lines, priced=priced, voucher=voucher, problems=problems)


def quote_with_lines(*, quote_id: int) -> Quote | None:
    """A quote with its customer, delivery method, lines and (once accepted) order: three queries."""
    return (
        Quote.objects.select_related("customer", "delivery_method", "order")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.order_by("pk")))
        .filter(pk=quote_id)
        .first()
    )
