"""Reads for the customer pages: the catalogue with availability and ratings, the cart, order pages."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from feedback.models import ProductRating
from inventory.models import Category, Product
from inventory.selectors import product_available_quantity
from invoicing.models import CreditNote, Invoice, Refund, StoreCreditAccount
from lifecycle.customer_status import (
    CustomerStatus,
    invoice_status_wording,
    order_status_wording,
    shipment_status_wording,
)
from orders.events import event_customer_message
from orders.models import (
    Address,
    Customer,
    DeliveryMethod,
    Order,
    OrderCheck,
    OrderEvent,
    ReturnRequest,
    Shipment,
    Voucher,
)
from orders.pricing import FREE_SHIPPING, PricedOrder, PriceInput, price_order
from orders.selectors import voucher_offer_find
from orders.selectors.shipping import delivery_fee_for, parcel_measure
from orders.services.fulfillment import waits_for_payment
from orders_site.core.formatting import money_display
from orders_site.core.money import ZERO, money


def order_list_for_customer(*, user) -> QuerySet[Order]:
    return Order.objects.filter(customer__user=user).exclude(status=Order.Status.DRAFT).order_by("-placed_at", "-pk")


# --- Storefront reads: catalogue, availability, cart, account, order pages ---------------------------------

LOW_STOCK_THRESHOLD = 5
CATALOGUE_SORTS = {
    "name": ("Name, A to Z", ("name", "pk")),
    "price": ("Price, low to high", ("price", "name", "pk")),
    "-price": ("Price, high to low", ("-price", "name", "pk")),
    "newest": ("Newest first", ("-created_at", "-pk")),
}


@dataclass(frozen=True)
class Availability:
    """What the shop can honestly promise for a product right now."""

    code: str  # in_stock | low_stock | backorder | unavailable | service
    label: str
    can_buy: bool
    max_quantity: int | None  # None: no stock limit (services, back-orderable products)


def availability_for(*, product: Product, available: int) -> Availability:
    if not product.is_active:
        return Availability("unavailable", "No longer sold", False, 0)
    if not product.tracks_stock:
        return Availability("service", "Available, booked with your order", True, None)
    available = max(available, 0)
    if product.is_backorderable:
        if available > LOW_STOCK_THRESHOLD:
            return Availability("in_stock", "In stock", True, None)
        if available > 0:
            return Availability("low_stock", f"Only {available} left, more on back-order", True, None)
        return Availability(
            "backorder",
            f"Available on back-order, ships in about {product.restock_lead_days} days",
            True,
            None,
        )
    if available > LOW_STOCK_THRESHOLD:
        return Availability("in_stock", "In stock", True, available)
    if available > 0:
        return Availability("low_stock", f"Only {available} left", True, available)
    return Availability("unavailable", "Unavailable", False, 0)


def _display_unit_price(unit_price: Decimal, tax_rate: Decimal) -> Decimal:
    if settings.PRICES_INCLUDE_TAX_DISPLAY:
        return money(unit_price * (1 + tax_rate))
    return money(unit_price)


def _display_line_amount(unit_price: Decimal, tax_rate: Decimal, quantity: int) -> Decimal:
    gross = money(unit_price * quantity)
    if settings.PRICES_INCLUDE_TAX_DISPLAY:
        return gross + money(gross * tax_rate)
    return gross


def product_display_price(*, product: Product) -> Decimal:
    """The unit price as the shop shows it: with tax when PRICES_INCLUDE_TAX_DISPLAY is on."""
    return _display_unit_price(product.price, product.tax_class.rate)


def _line_display_price(product: Product, quantity: int) -> Decimal:
    """Quantity x price as the shop shows it, rounded as the order will be (tax per line, half-up),
    so the lines add up to the cart's total."""
    return _display_line_amount(product.price, product.tax_class.rate, quantity)


@dataclass(frozen=True)
class TotalsView:
    """A cart's or an order's summary on the same footing as its lines: with VAT when the shop
    shows prices with VAT (PRICES_INCLUDE_TAX_DISPLAY), then the VAT it includes on one line; else
    without, and the VAT added on one line. Either way the lines add up to `items`, and
    items - discount + shipping (+ vat, when without) is the total, to the cent."""

    includes_vat: bool
    items: Decimal
    discount: Decimal  # what the discount takes off, on the same footing (0: no discount)
    shipping: Decimal
    vat: Decimal
    total: Decimal
    currency: str = ""  # "": the shop's (settings.CURRENCY)
    discount_label: str = ""  # "": no discount row
    discount_note: str = ""  # said instead of an amount when the code takes nothing off (yet)
    shipping_label: str = "Shipping"
    shipping_is_estimate: bool = False

    @property
    def discount_off(self) -> Decimal:
        return -self.discount


def totals_view(
    *,
    line_amounts: list[Decimal],
    subtotal: Decimal,
    discount_total: Decimal,
    shipping_net: Decimal,
    shipping_tax: Decimal,
    tax_total: Decimal,
    total: Decimal,
    **labels,
) -> TotalsView:
    """The summary for lines shown as `line_amounts` (each quantity x price before discount, on the
    shop's footing) of an order or cart priced as `price_order` prices it.

    With VAT, the discount shown is what it takes off the price with VAT: the difference between
    the lines plus shipping and the total, so the rows add up exactly although VAT is rounded per
    line on the discounted amount."""
    if settings.PRICES_INCLUDE_TAX_DISPLAY:
        items = sum(line_amounts, Decimal("0.00"))
        shipping = shipping_net + shipping_tax
        return TotalsView(True, items, items + shipping - total, shipping, tax_total, total, **labels)
    return TotalsView(False, subtotal, discount_total, shipping_net, tax_total, total, **labels)


def order_amount_due(*, order: Order, invoices) -> Decimal:
    """What the customer still has to pay: nothing once cancelled or paid; the open balance of the
    issued invoices once invoiced; else the order total. `invoices`: the order's issued invoices."""
    if order.status in (Order.Status.CANCELLED, Order.Status.PAID, Order.Status.COMPLETED, Order.Status.DRAFT):
        return Decimal("0.00")
    if invoices:
        return sum((invoice.balance_due for invoice in invoices), Decimal("0.00"))
    return order.total


def _storefront_products() -> QuerySet[Product]:
    return (
        Product.objects.filter(is_active=True)
        .select_related("tax_class", "category")
        .annotate(available_quantity=product_available_quantity())
    )


def product_search(*, query: str = "", category_slug: str = "", sort: str = "name") -> QuerySet[Product]:
    """Active products matching a name/SKU search and a category, sorted as the customer chose.

    Each product carries `available_quantity`; tax class and category come in the same query.
    """
    products = _storefront_products()
    query = (query or "").strip()
    if query:
        products = products.filter(Q(name__icontains=query) | Q(sku__icontains=query))
    if category_slug:
        products = products.filter(category__slug=category_slug)
    ordering = CATALOGUE_SORTS.get(sort, CATALOGUE_SORTS["name"])[1]
    return products.order_by(*ordering)


def product_decorate(products) -> list[Product]:
    """Attach `display_price` and `availability` for the templates (no queries)."""
    products = list(products)
    for product in products:
        product.display_price = product_display_price(product=product)
        product.availability = availability_for(product=product, available=product.available_quantity)
    return products


def product_get_for_storefront(*, slug: str) -> Product | None:
    """One active product with availability and its customers' average rating."""
    ratings = ProductRating.objects.filter(product=OuterRef("pk")).values("product")
    product = (
        _storefront_products()
        .filter(slug=slug)
        .annotate(
            rating_average=Subquery(ratings.annotate(value=Avg("rating")).values("value")[:1]),
            rating_count=Coalesce(Subquery(ratings.annotate(value=Count("pk")).values("value")[:1]), 0),
        )
        .first()
    )
    if product is not None:
        product_decorate([product])
    return product


def product_get_with_availability(*, product_id: int) -> Product | None:
    """Any product (active or not) by id, with `available_quantity` and `availability`."""
    product = (
        Product.objects.select_related("tax_class")
        .annotate(available_quantity=product_available_quantity())
        .filter(pk=product_id)
        .first()
    )
    if product is not None:
        product_decorate([product])
    return product


def delivery_fee_display(*, method: DeliveryMethod, fee: Decimal | None = None) -> Decimal:
    """A delivery method's fee (`fee` before tax, as its rules give it for the order; else the
    method's flat fee) as the cart and checkout show it (with VAT when prices are shown with VAT),
    rounded as price_order rounds shipping."""
    net = money(method.fee if fee is None else fee)
    return net + money(net * method.tax_rate) if settings.PRICES_INCLUDE_TAX_DISPLAY else net


def category_list_for_storefront() -> QuerySet[Category]:
    return Category.objects.filter(products__is_active=True).distinct().order_by("name")


def delivery_method_list_active() -> list[DeliveryMethod]:
    return list(DeliveryMethod.objects.filter(is_active=True).order_by("sort_order", "fee", "pk"))


@dataclass
class CartLineView:
    product: Product
    quantity: int
    notes: str
    availability: Availability
    unit_price: Decimal  # as displayed (with or without tax, see PRICES_INCLUDE_TAX_DISPLAY)
    line_price: Decimal  # quantity x unit price, before discount, as displayed
    problem: str = ""  # blocks checkout: the quantity cannot be had
    note: str = ""  # good to know: part of it ships later


@dataclass
class CartView:
    lines: list[CartLineView]
    priced: PricedOrder
    voucher: Voucher | None  # the discount code's voucher, when it can be used now
    discount_code: str
    delivery_method: DeliveryMethod | None
    shipping_is_estimate: bool

    @property
    def totals(self) -> TotalsView:
        return totals_view(
            line_amounts=[line.line_price for line in self.lines],
            subtotal=self.priced.subtotal,
            discount_total=self.priced.discount_total,
            shipping_net=self.priced.shipping_net,
            shipping_tax=self.priced.shipping_tax,
            tax_total=self.priced.tax_total,
            total=self.priced.total,
            discount_label=f"Discount {self.discount_label}" if self.voucher else "",
            discount_note="" if self.priced.discount_total else self.discount_text,
            shipping_label=self._shipping_label(),
            shipping_is_estimate=self.shipping_is_estimate,
        )

    def _shipping_label(self) -> str:
        if not self.shipping_is_estimate:
            return self.delivery_method.name if self.delivery_method else "Shipping"
        return f"Shipping, estimated ({self.delivery_method.name})" if self.delivery_method else "Shipping, estimated"

    @property
    def discount_label(self) -> str:
        """The code and what it gives: "WELCOME10 (10 % off)", "TENOFF (€ 10.00 off)",
        "SHIPFREE (free delivery)"."""
        return f"{self.voucher.code} ({self.voucher.terms_display})" if self.voucher else ""

    @property
    def discount_text(self) -> str:
        """What the code takes off this cart, or in a few words why it takes nothing off (yet)."""
        if self.voucher is None:
            return ""
        priced = self.priced
        if priced.discount_total:
            return money_display(-priced.discount_total, settings.CURRENCY)
        if priced.shipping_discount:
            return "Free delivery"
        if priced.discount_shortfall:
            return f"Add {money_display(priced.discount_shortfall, settings.CURRENCY)} more (excl. VAT) to use it"
        if self.lines and not priced.eligible_subtotal:
            return "Not for these items"
        if self.voucher.kind == FREE_SHIPPING and self.lines:
            return "Delivery is free already"
        return money_display(0, settings.CURRENCY)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def problems(self) -> list[str]:
        return cart_problems(self.lines)


def cart_problems(lines: list[CartLineView]) -> list[str]:
    """What blocks checking out these lines, one sentence per line ("Birch stool: It is sold out.")."""
    return [f"{line.product.name}: {line.problem}" for line in lines if line.problem]


def _line_problem(product: Product, availability: Availability, quantity: int) -> tuple[str, str]:
    if not availability.can_buy:
        return ("It is no longer sold; please remove it." if not product.is_active else "It is sold out."), ""
    if availability.max_quantity is not None and quantity > availability.max_quantity:
        return f"Only {availability.max_quantity} left; lower the quantity.", ""
    available = max(product.available_quantity, 0)
    if product.tracks_stock and product.is_backorderable and quantity > available:
        now = f"{available} ship now, the rest" if available else "It"
        return "", f"{now} ships in about {product.restock_lead_days} days."
    return "", ""


def cart_view_build(
    *, items, discount_code: str = "", delivery_method: DeliveryMethod | None = None, country: str = "NL"
) -> CartView:
    """Price the cart the way the order will be priced (`price_order`, with the discount code's
    voucher when it can be used now), with availability per line: `cart_lines_read`, then
    `cart_view_priced`.

    Without a chosen delivery method, shipping is estimated with the cheapest home delivery.
    Two queries for the products and the voucher (with its scope), whatever the number of lines,
    and two for the estimate.
    """
    return cart_view_priced(
        lines=cart_lines_read(items=items),
        discount_code=discount_code,
        delivery_method=delivery_method,
        country=country,
    )


def cart_lines_read(*, items) -> list[CartLineView]:
    """The cart's items with their products, display prices and availability, and what blocks
    buying each (`CartLineView.problem`), in one query whatever the number of lines; nothing priced
    yet. The checkout pages read the lines once and price them with the chosen delivery method,
    which the cart's estimate would only be thrown away for."""
    items = list(items)
    products = (
        Product.objects.select_related("tax_class")
        .annotate(available_quantity=product_available_quantity())
        .in_bulk([item.product_id for item in items])
    )
    lines = []
    for item in items:
        product = products.get(item.product_id)
        if product is None:
            continue  # deleted from the catalogue since it was added
        availability = availability_for(product=product, available=product.available_quantity)
        unit_price = product_display_price(product=product)
        problem, note = _line_problem(product, availability, item.quantity)
        lines.append(
            CartLineView(
                product=product,
                quantity=item.quantity,
                notes=item.notes,
                availability=availability,
                unit_price=unit_price,
                line_price=_line_display_price(product, item.quantity),
                problem=problem,
                note=note,
            )
        )
    return lines


def cart_view_priced(
    *, lines: list[CartLineView], discount_code: str = "", delivery_method: DeliveryMethod | None = None, country="NL"
) -> CartView:
    """The lines of a cart read in this request (`cart_lines_read`), priced for a delivery method
    and a destination: the review page prices with the method chosen at the details step (its
    zones and bands prefetched by the details form: no query then but the voucher's)."""
    offer = voucher_offer_find(code=discount_code) if discount_code else None
    if offer is not None and offer.problem():
        offer = None
    shipping_is_estimate = delivery_method is None
    if delivery_method is None:
        home = [m for m in delivery_method_list_active() if not m.is_pickup]
        delivery_method = home[0] if home else None
    has_physical = any(line.product.tracks_stock for line in lines)
    shipping_fee = Decimal(0)
    if delivery_method is not None and lines and has_physical:
        # The fee the method's rules give this cart to `country` (the delivery address's; the
        # estimate assumes the shop's home country); placement refuses a method that does not apply.
        weight, goods = parcel_measure((line.product, line.quantity, line.product.price) for line in lines)
        fee = delivery_fee_for(method=delivery_method, country=country, weight_grams=weight, goods_total=goods)
        shipping_fee = fee if fee is not None else Decimal(0)
    priced = price_order(
        lines=[
            PriceInput(
                unit_price=line.product.price,
                tax_rate=line.product.tax_class.rate,
                quantity=line.quantity,
                product_id=line.product.pk,
                category_id=line.product.category_id,
            )
            for line in lines
        ],
        discount=offer.discount if offer else None,
        shipping_fee=shipping_fee,
        shipping_tax_rate=delivery_method.tax_rate if delivery_method else Decimal(0),
    )
    return CartView(
        lines=lines,
        priced=priced,
        voucher=offer.voucher if offer else None,
        discount_code=(discount_code or "").strip().upper(),
        delivery_method=delivery_method,
        shipping_is_estimate=shipping_is_estimate,
    )


def customer_for_user(*, user) -> Customer | None:
    if not user.is_authenticated:
        return None
    return Customer.objects.filter(user=user).first()


def store_credit_for_user(*, user) -> Decimal:
    """The signed-in customer's store credit balance, in one query (guests have none)."""
    if not user.is_authenticated:
        return ZERO
    balance = StoreCreditAccount.objects.filter(customer__user=user).values_list("balance", flat=True).first()
    return balance if balance is not None else ZERO


def address_list_for_customer(*, customer: Customer | None) -> list[Address]:
    if customer is None:
        return []
    return list(customer.addresses.order_by("pk"))


def order_history_for_customer(*, user) -> QuerySet[Order]:
    """The customer's orders, newest first, with the number of items, and what their status words
    need (failed checks of held orders, back-order dates): three queries per page, however many rows."""
    return (
        order_list_for_customer(user=user)
        .annotate(item_count=Coalesce(Sum("lines__quantity"), 0))
        .select_related("customer")  # the words of a prepaid bank transfer (waits_for_payment)
        .prefetch_related(_failed_checks(), _backorder_dates())
    )


def order_history_decorate(orders) -> list[Order]:
    """Attach `customer_status` (lifecycle.customer_status) to each order of a history page (no queries)."""
    orders = list(orders)
    for order in orders:
        order.customer_status = _customer_status(order, events=order.backorder_dates)
    return orders


def _failed_checks() -> Prefetch:
    # Only held orders' reasons matter; an order released by staff keeps its failed rows.
    return Prefetch(
        "checks",
        queryset=OrderCheck.objects.filter(result=OrderCheck.Result.FAILED, order__status=Order.Status.ON_HOLD),
        to_attr="failed_checks",
    )


def _backorder_dates() -> Prefetch:
    return Prefetch(
        "events",
        queryset=OrderEvent.objects.filter(kind=OrderEvent.Kind.ORDER_BACKORDER_EXPECTED).order_by("created_at", "pk"),
        to_attr="backorder_dates",
    )


def _expected_date(events) -> date | None:
    """The date the customer was last told a back-ordered order's missing items should be in."""
    for event in reversed(events):
        if event.kind == OrderEvent.Kind.ORDER_BACKORDER_EXPECTED and event.data.get("expected_date"):
            try:
                return date.fromisoformat(event.data["expected_date"])
            except (TypeError, ValueError):
                return None
    return None


def _customer_status(order: Order, *, events, shipments=()) -> CustomerStatus:
    return order_status_wording(
        status=order.status,
        hold_reasons=[check.name for check in order.failed_checks],
        expected_date=_expected_date(events) if order.status == Order.Status.BACKORDERED else None,
        has_tracking=any(shipment.tracking_number for shipment in shipments),
        is_pickup=order.shipping_address_id is None,
        payment_method=order.payment_method,
        waits_for_payment=order.status == Order.Status.VERIFIED and waits_for_payment(order),
    )


def _order_page_queryset() -> QuerySet[Order]:
    return (
        Order.objects.exclude(status=Order.Status.DRAFT)
        .select_related("shipping_address", "billing_address", "delivery_method", "customer", "feedback_request")
        .prefetch_related(
            "lines",
            "shipments",
            Prefetch(
                "invoices", queryset=Invoice.objects.exclude(number=None).order_by("pk"), to_attr="issued_invoices"
            ),
            Prefetch("credit_notes", queryset=CreditNote.objects.order_by("pk"), to_attr="issued_credit_notes"),
            # Refunds the customer hears of: paid out, or on their way (not one that failed and
            # that staff are still dealing with).
            Prefetch("return_requests", queryset=ReturnRequest.objects.order_by("pk"), to_attr="returns"),
            Prefetch(
                "refunds",
                queryset=Refund.objects.exclude(status=Refund.Status.FAILED).order_by("pk"),
                to_attr="customer_refunds",
            ),
            Prefetch(
                "events",
                queryset=OrderEvent.objects.filter(customer_visible=True).order_by("created_at", "pk"),
                to_attr="customer_events",
            ),
            _failed_checks(),
        )
    )


def order_page_for_customer(*, user, number: str) -> Order | None:
    """Everything the order page shows, for the signed-in customer who owns the order; else None."""
    if not user.is_authenticated:
        return None
    return _order_page_queryset().filter(customer__user=user, number=number).first()


def order_page_for_guest(*, number: str, email: str) -> Order | None:
    """The same, for a guest order, found by its number and the e-mail address it was placed with."""
    number, email = (number or "").strip(), (email or "").strip()
    if not number or not email:
        return None
    return _order_page_queryset().filter(number=number, email__iexact=email, customer__user__isnull=True).first()


TRACKABLE_SCHEMES = ("https://", "http://")


@dataclass(frozen=True)
class OrderLineView:
    line: object  # the OrderLine
    unit_price: Decimal  # on the shop's footing (with or without VAT), before discount
    amount: Decimal  # quantity x unit price, before discount, on the same footing


@dataclass(frozen=True)
class ShipmentView:
    shipment: Shipment
    status: str  # the parcel's state in the customer's words
    tracking_url: str  # only an http(s) address, else ""


@dataclass(frozen=True)
class InvoiceView:
    invoice: Invoice
    status: str


@dataclass
class OrderPageView:
    """What the order page shows beyond the order's own fields, built from order_page_for_*'s
    prefetched rows (no queries)."""

    order: Order
    status: CustomerStatus
    lines: list[OrderLineView]
    totals: TotalsView
    shipments: list[ShipmentView]
    invoices: list[InvoiceView]
    amount_due: Decimal
    timeline: list = field(default_factory=list)  # (event, what the customer reads)


def order_page_view(*, order: Order) -> OrderPageView:
    lines = [
        OrderLineView(
            line=line,
            unit_price=_display_unit_price(line.unit_price, line.tax_rate),
            amount=_display_line_amount(line.unit_price, line.tax_rate, line.quantity),
        )
        for line in order.lines.all()
    ]
    shipments = [
        ShipmentView(
            shipment=shipment,
            status=shipment_status_wording(shipment.status),
            tracking_url=shipment.tracking_url if shipment.tracking_url.startswith(TRACKABLE_SCHEMES) else "",
        )
        for shipment in order.shipments.all()
    ]
    shipping_tax = money(order.shipping_total * order.shipping_tax_rate)
    return OrderPageView(
        order=order,
        status=_customer_status(
            order,
            events=order.customer_events,
            shipments=[s.shipment for s in shipments if s.shipment.status != Shipment.Status.CANCELLED],
        ),
        lines=lines,
        totals=totals_view(
            line_amounts=[line.amount for line in lines],
            subtotal=order.subtotal,
            discount_total=order.discount_total,
            shipping_net=order.shipping_total,
            shipping_tax=shipping_tax,
            tax_total=order.tax_total,
            total=order.total,
            currency=order.currency,
            discount_label=f"Discount {order.discount_code}".strip() if order.discount_total else "",
            shipping_label=order.delivery_method_name,
        ),
        shipments=shipments,
        invoices=[InvoiceView(invoice, invoice_status_wording(invoice.status)) for invoice in order.issued_invoices],
        amount_due=order_amount_due(order=order, invoices=order.issued_invoices),
        timeline=[(event, event_customer_message(event)) for event in order.customer_events],
    )
