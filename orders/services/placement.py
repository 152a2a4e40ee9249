"""Order placement: one transaction from the customer's request to a placed, checked order."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.models import Product
from orders_site.core.countries import country_name
from orders_site.core.exceptions import ApplicationError

from ..models import Address, Customer, DeliveryMethod, EmailNotification, Order, OrderLine, Quote
from ..payment_reference import rf_reference
from ..pricing import PricedOrder, PriceInput, price_order
from ..selectors import (
    VOUCHER_NOT_VALID,
    VoucherOffer,
    quote_held_prices,
    voucher_offer_find,
    voucher_pricing_problem,
)
from ..selectors.shipping import delivery_fee_for, parcel_measure
from .notifications import notification_queue
from .transitions import transition_run
from .verification import order_verify_placed
from .vouchers import VoucherRefused, voucher_redeem

MAX_LINE_QUANTITY = 999
ORDER_NUMBER_OFFSET = 100000
REQUESTED_DATE_MAX_DAYS = 90


def order_number_for(pk: int) -> str:
    """A short number a customer can read out on the phone: 100001, 100002..."""
    return str(ORDER_NUMBER_OFFSET + pk)


class InvalidOrder(ApplicationError):
    """The request cannot become an order. `extra["field"]` names the form field when there is one."""


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: int
    customisation_notes: str = ""


@dataclass(frozen=True)
class AddressData:
    full_name: str
    line1: str
    postal_code: str
    city: str
    country: str
    company: str = ""
    line2: str = ""
    region: str = ""
    phone: str = ""

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    @classmethod
    def from_address(cls, address: Address) -> "AddressData":
        return cls(**{f: getattr(address, f) for f in cls.__dataclass_fields__})


def _address_row(data: AddressData) -> Address:
    fields = {name: (getattr(data, name) or "").strip() for name in AddressData.__dataclass_fields__}
    fields["country"] = fields["country"].upper()
    return Address(**fields)


def _address_copies(billing: AddressData, shipping: AddressData | None) -> tuple[Address, Address | None]:
    """The frozen copies of the billing and (when there is one) shipping address, in one INSERT."""
    rows = [_address_row(billing)] + ([_address_row(shipping)] if shipping is not None else [])
    Address.objects.bulk_create(rows)
    return rows[0], rows[1] if shipping is not None else None


def delivery_choice_problems(
    *, delivery_method: DeliveryMethod, payment_method: str | None, requested_delivery_date: date | None
) -> list[tuple[str, str]]:
    """What is wrong with this combination of delivery method, payment and preferred date.

    Returns (field, message) pairs, empty when the choice is fine. The one place these rules
    live: order placement refuses with the first problem, the checkout form shows them all.
    """
    problems = []
    if delivery_method.is_pickup and payment_method == Order.PaymentMethod.CASH_ON_DELIVERY:
        problems.append(
            ("payment_method", "Cash on delivery is not possible when you pick up; choose another way to pay.")
        )
    if requested_delivery_date:
        today = timezone.localdate()
        earliest = today + timedelta(days=delivery_method.min_days)
        if requested_delivery_date < earliest:
            problems.append(
                (
                    "requested_delivery_date",
                    f"The earliest date for {delivery_method.name.lower()} is {earliest.day} {earliest:%B %Y}.",
                )
            )
        elif requested_delivery_date > today + timedelta(days=REQUESTED_DATE_MAX_DAYS):
            problems.append(
                ("requested_delivery_date", f"Choose a date within {REQUESTED_DATE_MAX_DAYS} days from today.")
            )
    return problems


@dataclass(frozen=True)
class _ValidRequest:
    products: dict[int, Product]
    offer: VoucherOffer | None  # the voucher of the discount code, with the customer's uses of it
    # Unit prices held by the quote the order is accepted from (product id -> price), read from the
    # quote's rows; empty for every other order, whose prices are today's catalogue prices.
    held_prices: dict[int, Decimal] | None = None

    def unit_price(self, product_id: int) -> Decimal:
        return (self.held_prices or {}).get(product_id, self.products[product_id].price)


def _validate(
    *,
    lines,
    customer,
    delivery_method,
    shipping_address,
    payment_method,
    requested_delivery_date,
    discount_code,
    products,
) -> _ValidRequest:
    """Step 1: refuse what cannot become an order, before anything is written. `products`: the
    catalogue rows (with their tax class) when this request has read them already, else None."""
    if not lines:
        raise InvalidOrder("The order has no lines.", extra={"field": "lines"})
    for line in lines:
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            raise InvalidOrder(f"Quantities must be between 1 and {MAX_LINE_QUANTITY}.", extra={"field": "lines"})
    wanted = {line.product_id for line in lines}
    if products is None or not wanted <= products.keys():
        products = Product.objects.select_related("tax_class").in_bulk(wanted)
    for line in lines:
        product = products.get(line.product_id)
        if product is None or not product.is_active:
            raise InvalidOrder("A product in the order is no longer sold.", extra={"field": "lines"})
    if not delivery_method.is_active:
        raise InvalidOrder("This delivery method is no longer offered.", extra={"field": "delivery_method"})
    if shipping_address is None and not delivery_method.is_pickup:
        raise InvalidOrder(
            "A delivery address is needed for this delivery method.", extra={"field": "shipping_address"}
        )
    if payment_method not in Order.PaymentMethod.values:
        raise InvalidOrder("Choose a payment method.", extra={"field": "payment_method"})
    problems = delivery_choice_problems(
        delivery_method=delivery_method, payment_method=payment_method, requested_delivery_date=requested_delivery_date
    )
    if problems:
        field, message = problems[0]
        raise InvalidOrder(message, extra={"field": field})
    offer = None
    if discount_code.strip():
        offer = voucher_offer_find(code=discount_code, customer=customer)
        problem = VOUCHER_NOT_VALID if offer is None else offer.problem()
        if problem:
            raise InvalidOrder(problem, extra={"field": "discount_code"})
    return _ValidRequest(products=products, offer=offer)


def _delivery_fee(
    *, request: _ValidRequest, lines: list[LineRequest], delivery_method: DeliveryMethod, country: str
) -> Decimal:
    """The fee the method's rules give this order (orders.shipping_rates), never a posted one.
    Refuses a method that does not deliver to the country or carry this weight."""
    weight, goods = parcel_measure(
        (request.products[line.product_id], line.quantity, request.unit_price(line.product_id)) for line in lines
    )
    fee = delivery_fee_for(method=delivery_method, country=country, weight_grams=weight, goods_total=goods)
    if fee is None:
        raise InvalidOrder(
            f"{delivery_method.name} is not available for this order (its destination or weight); choose another"
            " delivery method.",
            extra={"field": "delivery_method"},
        )
    return fee


def _price(
    *, request: _ValidRequest, lines: list[LineRequest], delivery_method: DeliveryMethod, shipping_fee: Decimal
) -> tuple[PricedOrder, dict]:
    """Step 2: every amount from today's catalogue prices (or the accepted quote's held prices), tax
    rates and the voucher's terms, never from the request. Returns the prices and the discount terms
    the order keeps. Refuses a voucher that would give this order nothing (below its minimum, nothing
    in its scope), before any write."""
    inputs = [
        PriceInput(
            unit_price=request.unit_price(product.pk),
            tax_rate=product.tax_class.rate,
            quantity=line.quantity,
            product_id=product.pk,
            category_id=product.category_id,
        )
        for line in lines
        for product in [request.products[line.product_id]]
    ]
    discount = request.offer.discount if request.offer else None
    priced = price_order(
        lines=inputs, discount=discount, shipping_fee=shipping_fee, shipping_tax_rate=delivery_method.tax_rate
    )
    if discount is None:
        return priced, {}
    problem = voucher_pricing_problem(discount=discount, priced=priced, currency=settings.CURRENCY)
    if problem:
        raise InvalidOrder(problem, extra={"field": "discount_code"})
    return priced, discount.for_lines(inputs).as_data()


def _create(
    *,
    request: _ValidRequest,
    priced: PricedOrder,
    discount_terms: dict,
    lines: list[LineRequest],
    customer: Customer,
    channel: str,
    delivery_method: DeliveryMethod,
    payment_method: str,
    billing_address: AddressData,
    shipping_address: AddressData | None,
    requested_delivery_date: date | None,
    delivery_instructions: str,
    idempotency_key: str | None,
    placed_by,
    quote: Quote | None,
) -> tuple[Order, bool]:
    """Step 3: the order row with its addresses, frozen lines, totals and number. Returns the order
    and whether it is new (False: another request with the same key made it first)."""
    voucher = request.offer.voucher if request.offer else None
    if delivery_method.is_pickup:
        shipping_address = None
    try:
        # The one savepoint of placement: a repeated idempotency key fails this INSERT, and the
        # transaction goes on to return the order that key made.
        with transaction.atomic():
            billing_copy, shipping_copy = _address_copies(billing_address, shipping_address)
            order = Order.objects.create(
                # Order numbers need not be gapless (invoice numbers are): derive them from the
                # primary key below instead of holding a counter lock for the whole checkout.
                number=f"new-{uuid.uuid4().hex[:16]}",  # fits max_length=20
                customer=customer,
                email=customer.email,
                channel=channel,
                delivery_method=delivery_method,
                delivery_method_name=delivery_method.name,
                shipping_address=shipping_copy,
                billing_address=billing_copy,
                requested_delivery_date=requested_delivery_date,
                delivery_instructions=delivery_instructions.strip(),
                payment_method=payment_method,
                voucher=voucher,
                discount_code=voucher.code if voucher else "",
                currency=settings.CURRENCY,
                shipping_tax_rate=delivery_method.tax_rate,
                subtotal=priced.subtotal,
                discount_total=priced.discount_total,
                discount_terms=discount_terms,
                shipping_discount=priced.shipping_discount,
                shipping_total=priced.shipping_net,
                tax_total=priced.tax_total,
                total=priced.total,
                idempotency_key=idempotency_key or None,
                placed_by=placed_by,
                quote=quote,
            )
    except IntegrityError:
        # Another request with the same key won the race; show the customer that order.
        existing = Order.objects.filter(idempotency_key=idempotency_key).first() if idempotency_key else None
        if existing is None:
            raise
        return existing, False

    order_lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=product,
                sku=product.sku,
                name=product.name,
                kind=product.kind,
                quantity=line.quantity,
                unit_price=request.unit_price(product.pk),
                tax_rate=product.tax_class.rate,
                discount_amount=price.discount,
                net_amount=price.net,
                tax_amount=price.tax,
                line_total=price.total,
                customisation_notes=line.customisation_notes.strip(),
            )
            for line, price in zip(lines, priced.lines, strict=True)
            for product in [request.products[line.product_id]]
        ]
    )
    # Verification reads the lines from here instead of the database: they are the order's lines.
    order._prefetched_objects_cache = {"lines": _lines_cached(order, order_lines)}
    return order, True


def _prefetched(queryset, rows: list):
    queryset._result_cache = rows
    queryset._prefetch_done = True
    return queryset


def _lines_cached(order: Order, lines: list[OrderLine]):
    """The order's `lines` as if prefetched, each with no stock allocations yet (it is new)."""
    for line in lines:
        line._prefetched_objects_cache = {"allocations": _prefetched(line.allocations.all(), [])}
    return _prefetched(order.lines.all(), lines)


def _place(*, order: Order, channel: str, placed_by, placed_via: str = "") -> Order:
    """Step 4: draft -> placed with its number, its event, and the "order received" e-mail queued.
    The order row is this transaction's own INSERT, so it is locked already; the change and its
    event are written with verification's (step 5) in one UPDATE and one INSERT."""
    number = order_number_for(order.pk)
    fields = {"number": number, "placed_at": timezone.now()}
    if order.payment_method in (Order.PaymentMethod.BANK_TRANSFER, Order.PaymentMethod.ON_INVOICE):
        # Both are paid by transfer: the reference the invoice and the bank statement match on.
        fields["payment_reference"] = rf_reference(number)
    order = transition_run(
        model=Order,
        pk=order.pk,
        transition="place",
        actor=placed_by,
        system="" if placed_by else (placed_via or channel),
        check_permission=False,
        data={"channel": channel, "total": str(order.total)},
        fields=fields,
        locked=order,
        save=False,  # written with verification's transition: one UPDATE, one INSERT of both events
    )
    notification_queue(order=order, kind=EmailNotification.Kind.ORDER_RECEIVED)
    return order


def order_place(
    *,
    customer: Customer,
    lines: list[LineRequest],
    channel: str,
    delivery_method: DeliveryMethod,
    payment_method: str,
    billing_address: AddressData,
    shipping_address: AddressData | None = None,
    discount_code: str = "",
    requested_delivery_date: date | None = None,
    delivery_instructions: str = "",
    idempotency_key: str | None = None,
    placed_by=None,
    placed_via: str = "",
    before_verify: Callable[[Order], None] | None = None,
    refuse_when_sold_out: bool = False,
    products: dict[int, Product] | None = None,
    quote: Quote | None = None,
) -> Order:
    """Create the order from current catalogue prices, place it, and verify it.

    In steps: validate the request, price it, create the order with its frozen lines, place it,
    then (after `before_verify`) run the automatic checks, which allocate its stock, and last
    count the use of its voucher (a discount code).

    Nothing posted is trusted: names, prices and tax rates come from the catalogue and are
    frozen on the lines. A repeated `idempotency_key` returns the order already made (double
    click, resubmit, two tabs). `before_verify(order)` runs once the order is placed and before
    its checks and stock allocation (lifecycle.checkout authorises the card there); what it
    raises rolls everything back. `products` are the lines' catalogue rows with their tax class
    when the caller has just read them from the database (the storefront's cart check), so they
    are not read twice; never rows built from what was posted.

    `placed_via` names the system that placed it on the timeline when no person did (an API key:
    "API: ERP"; else the channel).

    `quote`: the sent quote this order is accepted from (lifecycle.quotes, after checking it is
    open and within its validity). Its held unit prices, read here from its lines in the database,
    replace the catalogue prices of the products it holds, and the order records the quote (one
    order per quote). Every other check runs as for any order.

    Writes in the caller's transaction when there is one (lifecycle.checkout's), without a
    savepoint of its own: a failure after the first write marks that transaction for rollback.
    Locks: the order row it inserts, then the stock levels of the ordered products
    (verification), in primary-key order, then the voucher's row (its use counter, held to commit).
    Queues: the "order received" e-mail, on commit.
    The delivery fee is the one the method's rules (zones, weight bands, free above) give this
    order's destination (the delivery address, else the billing address), weight and goods value.
    Raises: InvalidOrder (with extra["field"]; "delivery_method" for a method that does not apply;
    "discount_code" for a code that is not valid, used up,
    used by this customer as often as allowed, or that gives this order nothing — the last use
    lost to another order at the very end marks the transaction for rollback, order and all), and
    what `before_verify` raises; with
    `refuse_when_sold_out`, SoldOut instead of holding an order short of stock that cannot be
    back-ordered (the storefront: the customer is told now; staff keep a held order to resolve).
    """
    if idempotency_key:
        existing = Order.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    request = _validate(
        lines=lines,
        customer=customer,
        delivery_method=delivery_method,
        shipping_address=shipping_address,
        payment_method=payment_method,
        requested_delivery_date=requested_delivery_date,
        discount_code=discount_code,
        products=products,
    )
    if payment_method == Order.PaymentMethod.ON_INVOICE and not customer.on_account:
        raise InvalidOrder("Pay on invoice is for customers with payment terms.", extra={"field": "payment_method"})
    if quote is not None:
        request = replace(request, held_prices=quote_held_prices(quote_id=quote.pk))
    shipping_fee = _delivery_fee(
        request=request,
        lines=lines,
        delivery_method=delivery_method,
        country=(shipping_address or billing_address).country,
    )
    priced, discount_terms = _price(
        request=request, lines=lines, delivery_method=delivery_method, shipping_fee=shipping_fee
    )
    # Refusals above come before any write, so a caller may catch them and go on. From here on it
    # is one transaction (the caller's when there is one) with no savepoint but the INSERT's: a
    # failure marks it for rollback, order and all.
    with transaction.atomic(savepoint=False):
        order, created = _create(
            request=request,
            priced=priced,
            discount_terms=discount_terms,
            lines=lines,
            customer=customer,
            channel=channel,
            delivery_method=delivery_method,
            payment_method=payment_method,
            billing_address=billing_address,
            shipping_address=shipping_address,
            requested_delivery_date=requested_delivery_date,
            delivery_instructions=delivery_instructions,
            idempotency_key=idempotency_key,
            placed_by=placed_by,
            quote=quote,
        )
        if not created:
            return order
        order = _place(order=order, channel=channel, placed_by=placed_by, placed_via=placed_via)
        if before_verify is not None:
            before_verify(order)
        order = order_verify_placed(order=order, refuse_when_sold_out=refuse_when_sold_out)
        if request.offer is not None:
            _redeem(order=order, offer=request.offer, priced=priced, customer=customer)
        return order


def _redeem(*, order: Order, offer: VoucherOffer, priced: PricedOrder, customer: Customer) -> None:
    """Step 6: count the voucher's use, last (its row lock serialises every order using it). A use
    lost to another order refuses the whole order, on the discount code's field."""
    try:
        voucher_redeem(
            voucher=offer.voucher,
            order=order,
            customer=customer,
            amount=priced.savings,
            customer_last_use=offer.customer_last_use,
        )
    except VoucherRefused as refused:
        raise InvalidOrder(refused.message, extra={"field": "discount_code"}) from refused
