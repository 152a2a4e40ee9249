"""Reads of orders that are more than one obvious query."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import Product, StockAllocation
from inventory.selectors import stock_available_by_warehouse
from orders_site.core.formatting import money_display

from ..epc_qr import MAX_AMOUNT, epc_qr_payload, epc_qr_svg
from ..models import (
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
    VoucherRedemption,
    waiting_for_stock,
)
from ..payment_reference import reference_grouped
from ..pricing import FREE_SHIPPING, Discount, PricedOrder, PriceInput, price_order
from .shipping import delivery_fee_for, parcel_measure

# --- vouchers ------------------------------------------------------------------------------------

VOUCHER_NOT_VALID = "This discount code is not valid (any more)."
VOUCHER_USED_UP = "This discount code has been used up."


class _IdList(Aggregate):
    """The ids of a group as one comma-separated text ("3,7,12"), on PostgreSQL and SQLite."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s(%(expressions)s::text, ',')"
        )


def _ids(text: str | None) -> frozenset[int]:
    return frozenset(int(part) for part in (text or "").split(",") if part)


@dataclass(frozen=True)
class VoucherOffer:
    """A voucher with its pricing terms, and how often the customer asked about has used it."""

    voucher: Voucher
    discount: Discount
    customer_uses: int = 0  # their orders using it that still count (0 without a customer)
    customer_last_use: int = 0  # the highest `customer_use` number among those

    def problem(self, *, at=None) -> str:
        """Why it cannot be used now, in the customer's words; "" when it can. The limits are
        read without a lock: voucher_redeem enforces them again when the order is placed."""
        voucher = self.voucher
        if not voucher_usable_at(voucher, at=at):
            return VOUCHER_NOT_VALID
        if voucher.usage_limit is not None and voucher.times_used >= voucher.usage_limit:
            return VOUCHER_USED_UP
        limit = voucher.per_customer_limit
        if limit is not None and self.customer_uses >= limit:
            if limit == 1:
                return "You have already used this discount code."
            return f"You have already used this discount code {limit} times, as often as it allows."
        return ""


def voucher_usable_at(voucher: Voucher, *, at=None) -> bool:
    """Active and within its dates at `at` (now by default). No query."""
    at = at or timezone.now()
    if not voucher.is_active:
        return False
    if voucher.valid_from and voucher.valid_from > at:
        return False
    return not (voucher.valid_until and voucher.valid_until < at)


def voucher_discount(voucher: Voucher) -> Discount:
    """The voucher's terms for orders.pricing. Reads its scope unless voucher_offer_find has."""
    product_ids = getattr(voucher, "scope_product_ids", None)
    category_ids = getattr(voucher, "scope_category_ids", None)
    if product_ids is None or category_ids is None:
        products = frozenset(voucher.products.values_list("pk", flat=True))
        categories = frozenset(voucher.categories.values_list("pk", flat=True))
    else:
        products, categories = _ids(product_ids), _ids(category_ids)
    return Discount(
        kind=voucher.kind,
        percent_off=voucher.percent_off,
        amount_off=voucher.amount_off,
        minimum_order=voucher.minimum_order,
        product_ids=products,
        category_ids=categories,
    )


def voucher_offer_find(*, code: str, customer: Customer | None = None) -> VoucherOffer | None:
    """The voucher with this code (valid or not: ask `problem()`), with its scope and, given a
    customer, their uses of it, in one query. None when no voucher has the code."""
    code = (code or "").strip().upper()
    if not code:
        return None
    scope = {}
    for name, through, column in (
        ("scope_product_ids", Voucher.products.through, "product_id"),
        ("scope_category_ids", Voucher.categories.through, "category_id"),
    ):
        ids = through.objects.filter(voucher=OuterRef("pk")).order_by().values("voucher").annotate(ids=_IdList(column))
        scope[name] = Coalesce(Subquery(ids.values("ids")), Value(""))
    vouchers = Voucher.objects.filter(code=code).annotate(**scope)
    if customer is not None and customer.pk is not None:
        uses = (
            VoucherRedemption.objects.filter(voucher=OuterRef("pk"), customer=customer, customer_use__isnull=False)
            .order_by()
            .values("voucher")
        )
        vouchers = vouchers.annotate(
            customer_uses=Coalesce(Subquery(uses.annotate(n=Count("pk")).values("n")), 0),
            customer_last_use=Coalesce(Subquery(uses.annotate(n=Max("customer_use")).values("n")), 0),
        )
    voucher = vouchers.first()
    if voucher is None:
        return None
    return VoucherOffer(
        voucher=voucher,
        discount=voucher_discount(voucher),
        customer_uses=getattr(voucher, "customer_uses", 0),
        customer_last_use=getattr(voucher, "customer_last_use", 0),
    )


def voucher_code_problem(*, code: str, customer: Customer | None = None) -> str:
    """What is wrong with this discount code right now, "" when it can be used (forms)."""
    offer = voucher_offer_find(code=code, customer=customer)
    return VOUCHER_NOT_VALID if offer is None else offer.problem()


def voucher_pricing_problem(*, discount: Discount, priced: PricedOrder, currency: str) -> str:
    """Why a usable voucher gives this order nothing, in the customer's words; "" when it gives
    something. Placement refuses such an order (a use would be spent for nothing); the cart says it."""
    if priced.savings:
        return ""
    if discount.is_scoped and not priced.eligible_subtotal:
        return "This discount code does not apply to any item in your order."
    if priced.discount_shortfall:
        return (
            f"This discount code needs {money_display(discount.minimum_order, currency)} of eligible items "
            f"(excl. VAT); add {money_display(priced.discount_shortfall, currency)} more to use it."
        )
    if discount.kind == FREE_SHIPPING:
        return "This discount code gives free delivery, and your delivery is free already."
    return "This discount code takes nothing off this order."


def voucher_redemptions_recent(*, voucher: Voucher, limit: int = 20) -> list[VoucherRedemption]:
    """The voucher's latest redemptions, newest first, with their orders and customers (one query)."""
    return list(
        VoucherRedemption.objects.filter(voucher=voucher)
        .select_related("order", "customer")
        .order_by("-created_at", "-pk")[:limit]
    )


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
            Order.objects.filter(waiting_for_stock(), lines__product_id__isnull=False).values_list(
                "lines__product_id", flat=True
            )
        )
    )


def backorders_waiting_exist(*, product_ids: Iterable[int]) -> bool:
    return Order.objects.filter(waiting_for_stock(), lines__product_id__in=set(product_ids)).exists()


def backordered_units_by_product() -> dict[int, int]:
    """Units that back-ordered orders still wait for, per product."""
    ordered = (
        OrderLine.objects.filter(waiting_for_stock("order__"), product__isnull=False)
        .order_by()
        .values("product_id")
        .annotate(units=Sum("quantity"))
    )
    promised = (
        StockAllocation.objects.filter(waiting_for_stock("order_line__order__"))
        .order_by()
        .values("order_line__product_id")
        .annotate(units=Sum(F("quantity") - F("released_quantity")))
    )
    result = {row["product_id"]: row["units"] for row in ordered}
    for row in promised:
        result[row["order_line__product_id"]] -= row["units"]
    return {product_id: units for product_id, units in result.items() if units > 0}


def bank_transfer_instructions(*, order: Order, amount_due, qr: bool = True) -> dict | None:
    """Where and how much to pay for a bank-transfer order that has a reference and still owes
    money, or for a pay-on-invoice order once its invoice is issued (account customers pay the
    invoice by transfer); None for card and cash orders and once nothing is owed (paid, cancelled).
    `qr=False`: without the EPC QR code ("qr_svg" empty), for a text e-mail that cannot show it."""
    transfer = (Order.PaymentMethod.BANK_TRANSFER, Order.PaymentMethod.ON_INVOICE)
    if order.payment_method not in transfer or not order.payment_reference:
        return None
    if amount_due is None or Decimal(amount_due) <= 0:
        return None
    if order.payment_method == Order.PaymentMethod.ON_INVOICE and not order.invoices.exclude(number=None).exists():
        return None  # nothing to pay before the invoice
    instructions = {
        "holder": settings.SHOP_ACCOUNT_HOLDER,
        "iban": reference_grouped(settings.SHOP_IBAN.upper()),
        "bic": settings.SHOP_BIC.replace(" ", "").upper(),
        "amount": Decimal(amount_due),
        "currency": order.currency,
        "reference": reference_grouped(order.payment_reference),
        "qr_svg": "",
    }
    if qr and order.currency == "EUR" and Decimal(amount_due) <= MAX_AMOUNT:
        # The same transfer as an EPC QR code for a banking app to scan (orders.epc_qr).
        payload = epc_qr_payload(
            name=settings.SHOP_ACCOUNT_HOLDER[:70],
            iban=settings.SHOP_IBAN,
            bic=settings.SHOP_BIC,
            amount=Decimal(amount_due),
            reference=order.payment_reference,
        )
        title = f"Pay order {order.number} by scanning with your banking app"
        instructions["qr_svg"] = epc_qr_svg(payload, title=title)
    return instructions


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
    voucher: Voucher | None  # the discount code's voucher, when it can be used
    offer: VoucherOffer | None
    problems: list[tuple[str, str]]


def desk_price(
    *,
    lines: list,
    delivery_method=None,
    discount_code: str = "",
    held_prices: dict[int, Decimal] | None = None,
    customer: Customer | None = None,
    country: str = "",
) -> DeskPricing:
    """Price the order being entered exactly as placement will (orders.pricing.price_order, today's
    catalogue prices and tax rates, or a sent quote's `held_prices`, and the voucher's terms and
    limits for `customer`), with each line's availability per warehouse. `lines` are
    orders.services.placement.LineRequest; products that are unknown or no longer sold are left out
    and reported. The delivery fee is the one the method's rules give for `country` (the delivery
    address's) and these lines (orders.selectors.shipping); a method that does not apply is a
    problem on "delivery_method". At most three queries, whatever the number of lines: the products,
    the voucher (with its scope and the customer's uses), the stock levels; plus the delivery
    method's zones (and bands)."""
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
    offer = None
    if discount_code.strip():
        offer = voucher_offer_find(code=discount_code, customer=customer)
        problem = VOUCHER_NOT_VALID if offer is None else offer.problem()
        if problem:
            problems.append(("discount_code", problem))
            offer = None
    held_prices = held_prices or {}
    shipping_fee = Decimal(0)
    if delivery_method is not None:
        weight, goods = parcel_measure(
            (product, line.quantity, held_prices.get(product.pk, product.price)) for _, line, product in kept
        )
        fee = delivery_fee_for(method=delivery_method, country=country, weight_grams=weight, goods_total=goods)
        if fee is None:
            problems.append(
                (
                    "delivery_method",
                    f"{delivery_method.name} does not deliver this order"
                    + (f" to {country.upper()}" if country else "; enter the delivery country")
                    + " (destination or weight); choose another delivery method.",
                )
            )
        else:
            shipping_fee = fee
    priced = price_order(
        lines=[
            PriceInput(
                unit_price=held_prices.get(product.pk, product.price),
                tax_rate=product.tax_class.rate,
                quantity=line.quantity,
                product_id=product.pk,
                category_id=product.category_id,
            )
            for _, line, product in kept
        ],
        discount=offer.discount if offer else None,
        shipping_fee=shipping_fee,
        shipping_tax_rate=delivery_method.tax_rate if delivery_method else 0,
    )
    if offer is not None and kept:
        problem = voucher_pricing_problem(discount=offer.discount, priced=priced, currency=settings.CURRENCY)
        if problem:
            problems.append(("discount_code", problem))
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
    return DeskPricing(
        lines=desk_lines, priced=priced, voucher=offer.voucher if offer else None, offer=offer, problems=problems
    )


def quote_with_lines(*, quote_id: int) -> Quote | None:
    """A quote with its customer, delivery method, lines and (once accepted) order: three queries."""
    return (
        Quote.objects.select_related("customer", "delivery_method", "order")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.order_by("pk")))
        .filter(pk=quote_id)
        .first()
    )


def orders_waiting_for_prepayment(queryset: QuerySet[Order] | None = None) -> QuerySet[Order]:
    """Verified bank-transfer orders of prepaid customers whose money has not come in (with
    BANK_TRANSFER_BEFORE_RELEASE they wait for it before the warehouse gets them); by status, then
    the few verified rows (order_status_placed_idx)."""
    queryset = Order.objects.all() if queryset is None else queryset
    return (
        queryset.filter(status=Order.Status.VERIFIED, payment_method=Order.PaymentMethod.BANK_TRANSFER)
        .filter(customer__payment_terms=Customer.PaymentTerms.PREPAID)
        .exclude(payment_standing=Order.PaymentStanding.PAID)
    )


def orders_waiting_for_prepayment_count() -> int:
    return orders_waiting_for_prepayment().count()
