"""Drafts and quotes: what customer service keeps at the order desk before an order exists.

A draft is a Quote row in status draft: its lines are data, nothing is reserved, the customer does
not see it and it takes no order number. Sending it makes it a quote: its prices (today's
catalogue prices) are held on its lines until `valid_until`, and the customer gets the PDF and a
signed link. Accepting a quote, or placing a draft, goes through order placement like every other
order (lifecycle.quotes); this module never makes an order.
"""

from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders_site.core.exceptions import ApplicationError
from orders_site.core.transitions import transition_apply

from ..locks import quote_lock
from ..models import Customer, DeliveryMethod, Order, Quote, QuoteLine
from ..selectors import DeskPricing, desk_price, quote_held_prices
from .customers import customer_create_by_staff
from .notifications import quote_notification_queue
from .placement import MAX_LINE_QUANTITY, AddressData, InvalidOrder, LineRequest, delivery_choice_problems

# The channels the desk enters orders for (the web shop, the API and imports have their own ways in).
DESK_CHANNELS = (Order.Channel.PHONE, Order.Channel.EMAIL, Order.Channel.IN_PERSON)
# A quote is accepted from a link, where no card can be entered: these are the ways it can be paid.
QUOTE_PAYMENT_METHODS = (
    Order.PaymentMethod.BANK_TRANSFER,
    Order.PaymentMethod.ON_INVOICE,
    Order.PaymentMethod.CASH_ON_DELIVERY,
    Order.PaymentMethod.IN_PERSON_CARD,
    Order.PaymentMethod.IN_PERSON_CASH,
)
RECEIVED_MESSAGE_MAX_LENGTH = 1900  # kept as a staff comment on the order (at most 2,000 characters)


class QuoteNotOpen(ApplicationError):
    """The quote was accepted, cancelled, or its validity ended: it cannot be changed or accepted."""


@dataclass(frozen=True)
class NewCustomer:
    """A customer entered at the desk, created when the draft is saved or the order placed."""

    full_name: str
    email: str
    phone: str = ""
    company: str = ""


@dataclass(frozen=True)
class QuoteRequest:
    """An order as customer service enters it: for a draft any part may still be missing; placing
    it or sending it as a quote checks it whole. Its customer is `customer`, or `new_customer`
    (created, with the invoice address in their address book, by the service that saves it)."""

    customer: Customer | None
    lines: list[LineRequest] = field(default_factory=list)
    channel: str = Order.Channel.PHONE
    delivery_method: DeliveryMethod | None = None
    payment_method: str = ""
    billing_address: AddressData | None = None
    shipping_address: AddressData | None = None
    discount_code: str = ""
    requested_delivery_date: date | None = None
    delivery_instructions: str = ""
    received_message: str = ""
    new_customer: NewCustomer | None = None
    # Placing it: the customer's store credit pays first (lifecycle.checkout); not kept on a draft.
    use_store_credit: bool = False

    @property
    def destination_country(self) -> str:
        """Where the parcel goes (the delivery address, else the invoice address): the delivery
        method's zone and fee depend on it. "" while neither is entered."""
        address = self.shipping_address or self.billing_address
        return address.country if address else ""


def quote_request_customer_resolve(*, request: QuoteRequest, existing: Customer | None = None) -> QuoteRequest:
    """The request with its customer: `request.customer`, else `existing` (the customer the same
    form saved before: a double submit), else a new customer made from `request.new_customer`
    (orders.services.customers.customer_create_by_staff, whose refusals it raises). Call it inside
    the transaction that saves the request."""
    if request.customer is not None:
        return request
    if existing is None:
        if request.new_customer is None:
            raise InvalidOrder("Find and choose the customer, or enter a new one.", extra={"field": "customer"})
        data = request.new_customer
        existing = customer_create_by_staff(
            full_name=data.full_name,
            email=data.email,
            phone=data.phone,
            company=data.company,
            address=request.billing_address,
        )
    return replace(request, customer=existing, new_customer=None)


def desk_request_problems(*, request: QuoteRequest, for_quote: bool = False) -> list[tuple[str, str]]:
    """What keeps this request from being placed (or, `for_quote`, sent as a quote), as (field,
    message) pairs; empty when nothing does. The desk's own rules (channel, the received e-mail,
    payment on terms, what a quote can be paid with) and placement's choice rules; placement checks
    the rest again when the order is placed."""
    problems = []
    if request.customer is None and request.new_customer is None:
        problems.append(("customer", "Find and choose the customer, or enter a new one."))
    if request.channel not in DESK_CHANNELS:
        problems.append(("channel", "Choose how the order came in: phone, e-mail or in person."))
    if not request.lines:
        problems.append(("lines", "Add at least one line."))
    if request.channel == Order.Channel.EMAIL and not request.received_message.strip():
        problems.append(("received_message", "Paste the customer's e-mail: it is kept with the order."))
    if len(request.received_message) > RECEIVED_MESSAGE_MAX_LENGTH:
        problems.append(
            ("received_message", f"Keep the received e-mail to {RECEIVED_MESSAGE_MAX_LENGTH:,} characters.")
        )
    if request.delivery_method is None:
        problems.append(("delivery_method", "Choose a delivery method."))
    elif not request.delivery_method.is_pickup and request.shipping_address is None:
        problems.append(("shipping_address", "Enter the delivery address (none is needed when they collect)."))
    if request.billing_address is None:
        problems.append(("billing_address", "Enter the customer's invoice address."))
    if request.payment_method not in Order.PaymentMethod.values:
        problems.append(("payment_method", "Choose a payment method."))
    elif for_quote and request.payment_method not in QUOTE_PAYMENT_METHODS:
        problems.append(
            ("payment_method", "A quote is accepted from a link where no card is entered: choose another way to pay.")
        )
    elif request.payment_method == Order.PaymentMethod.ON_INVOICE and (
        request.customer is None or not request.customer.on_account
    ):
        problems.append(("payment_method", "Pay on invoice is for customers with payment terms."))
    if request.delivery_method is not None:
        problems += delivery_choice_problems(
            delivery_method=request.delivery_method,
            payment_method=request.payment_method,
            requested_delivery_date=request.requested_delivery_date,
        )
    return problems


def quote_request_refuse(*, request: QuoteRequest, for_quote: bool = False) -> None:
    """Raise InvalidOrder (extra["field"], extra["problems"]) when desk_request_problems finds any."""
    _refuse(desk_request_problems(request=request, for_quote=for_quote))


def _refuse(problems: list[tuple[str, str]]) -> None:
    if problems:
        field_name, message = problems[0]
        raise InvalidOrder(message, extra={"field": field_name, "problems": problems})


def _refuse_bad_lines(lines: list[LineRequest]) -> None:
    for line in lines:
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            raise InvalidOrder(f"Quantities must be between 1 and {MAX_LINE_QUANTITY}.", extra={"field": "lines"})


def _write(*, quote: Quote, request: QuoteRequest, pricing: DeskPricing) -> Quote:
    """The request and its pricing onto the quote row and its lines (the old lines replaced)."""
    quote.customer = request.customer
    quote.email = request.customer.email
    quote.channel = request.channel
    quote.delivery_method = request.delivery_method
    quote.billing_address = asdict(request.billing_address) if request.billing_address else {}
    quote.shipping_address = asdict(request.shipping_address) if request.shipping_address else None
    quote.requested_delivery_date = request.requested_delivery_date
    quote.delivery_instructions = request.delivery_instructions.strip()
    quote.payment_method = request.payment_method if request.payment_method in Order.PaymentMethod.values else ""
    quote.discount_code = pricing.voucher.code if pricing.voucher else request.discount_code.strip().upper()
    quote.received_message = request.received_message.strip()
    quote.currency = settings.CURRENCY
    priced = pricing.priced
    quote.subtotal = priced.subtotal
    quote.discount_total = priced.discount_total
    quote.shipping_total = priced.shipping_net
    quote.tax_total = priced.tax_total
    quote.total = priced.total
    quote.save()
    QuoteLine.objects.filter(quote=quote).delete()
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                quote=quote,
                product=line.product,
                sku=line.product.sku,
                name=line.product.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.product.tax_class.rate,
                discount_amount=line.priced.discount,
                net_amount=line.priced.net,
                tax_amount=line.priced.tax,
                line_total=line.priced.total,
                customisation_notes=line.customisation_notes.strip(),
            )
            for line in pricing.lines
        ]
    )
    return quote


def _open_draft(*, quote_id: int | None, idempotency_key: str | None) -> Quote | None:
    """The draft this save changes, locked: the one named, or the one this form already saved."""
    if quote_id is None and idempotency_key:
        quote_id = Quote.objects.filter(idempotency_key=idempotency_key).values_list("pk", flat=True).first()
    if quote_id is None:
        return None
    quote = quote_lock(quote_id=quote_id)
    if quote is None:
        raise QuoteNotOpen("This draft no longer exists.")
    if quote.status != Quote.Status.DRAFT:
        raise QuoteNotOpen(f"{quote.number} is {quote.get_status_display().lower()}; it can no longer be changed.")
    return quote


@transaction.atomic
def quote_save_draft(
    *, request: QuoteRequest, actor, quote_id: int | None = None, idempotency_key: str | None = None
) -> Quote:
    """Save the order being entered as a draft: priced at today's catalogue prices, nothing
    reserved, nothing sent, not visible to the customer. A draft may be incomplete (no delivery
    method or address yet). `quote_id` changes that draft; otherwise the draft this form saved
    before (same `idempotency_key`) is changed, so a double submit keeps one draft.

    Locks: the draft (orders.locks.quote_lock). Raises InvalidOrder (extra["field"]) for a bad
    quantity, QuoteNotOpen when the quote was sent, accepted or cancelled; before writing anything.
    """
    _refuse_bad_lines(request.lines)
    quote = _open_draft(quote_id=quote_id, idempotency_key=idempotency_key)
    request = quote_request_customer_resolve(request=request, existing=quote.customer if quote else None)
    pricing = desk_price(
        lines=request.lines,
        delivery_method=request.delivery_method,
        discount_code=request.discount_code,
        customer=request.customer,
        country=request.destination_country,
    )
    if quote is None:
        quote = Quote(created_by=actor, idempotency_key=idempotency_key or None)
        try:
            with transaction.atomic():
                return _write(quote=quote, request=request, pricing=pricing)
        except IntegrityError:
            # The same form saved a moment ago in another request: change that draft instead.
            quote = _open_draft(quote_id=None, idempotency_key=idempotency_key)
            if quote is None:
                raise
    return _write(quote=quote, request=request, pricing=pricing)


def quote_valid_until_default() -> date:
    return timezone.localdate() + timedelta(days=settings.QUOTE_DEFAULT_VALID_DAYS)


@transaction.atomic
def quote_send(
    *,
    request: QuoteRequest,
    actor,
    valid_until: date,
    quote_id: int | None = None,
    idempotency_key: str | None = None,
) -> Quote:
    """Send the order being entered (a new one, or the draft `quote_id`) to the customer as a
    quote: it is checked as an order would be, priced at today's catalogue prices, and those unit
    prices are held until `valid_until` (accepting it places the order at them). The quote e-mail,
    with its PDF and the signed link, goes through the outbox.

    Locks: the draft. Queues: the quote e-mail, on commit. Raises InvalidOrder (extra["field"] and
    extra["problems"]) for what is missing or wrong, QuoteNotOpen when the quote is no draft;
    before writing anything.
    """
    today = timezone.localdate()
    if valid_until is None or valid_until < today:
        raise InvalidOrder("A quote must be valid until today or later.", extra={"field": "valid_until"})
    if valid_until > today + timedelta(days=settings.QUOTE_MAX_VALID_DAYS):
        raise InvalidOrder(
            f"A quote can be valid for at most {settings.QUOTE_MAX_VALID_DAYS} days.", extra={"field": "valid_until"}
        )
    _refuse_bad_lines(request.lines)
    _refuse(desk_request_problems(request=request, for_quote=True))
    if not request.delivery_method.is_active:
        raise InvalidOrder("This delivery method is no longer offered.", extra={"field": "delivery_method"})
    pricing = desk_price(
        lines=request.lines,
        delivery_method=request.delivery_method,
        discount_code=request.discount_code,
        customer=request.customer,
        country=request.destination_country,
    )
    _refuse(pricing.problems)
    quote = quote_save_draft(request=request, actor=actor, quote_id=quote_id, idempotency_key=idempotency_key)
    quote, _ = transition_apply(
        model=Quote,
        pk=quote.pk,
        transition="send",
        actor=actor,
        check_permission=False,  # the desk's pages are for those who may change quotes
        fields={"valid_until": valid_until, "sent_at": timezone.now()},
        locked=quote,
    )
    quote_notification_queue(quote=quote, subject_key=f"sent:{quote.sent_at:%Y%m%d%H%M%S%f}")
    return quote


@transaction.atomic
def quote_cancel(*, quote_id: int, actor) -> Quote:
    """Withdraw a draft or a sent quote: its link no longer accepts. Locks: the quote.
    Raises QuoteNotOpen when it was accepted or cancelled already."""
    quote = quote_lock(quote_id=quote_id)
    if quote is None or quote.status not in (Quote.Status.DRAFT, Quote.Status.SENT):
        raise QuoteNotOpen("This quote is no longer open.")
    quote, _ = transition_apply(
        model=Quote, pk=quote.pk, transition="cancel", actor=actor, check_permission=False, locked=quote
    )
    return quote


def quote_acceptable(*, quote: Quote) -> None:
    """Refuse (QuoteNotOpen) unless the customer may accept this quote today: sent, not accepted or
    cancelled, and `valid_until` (the row's, not the link's age) not past."""
    if quote.status == Quote.Status.ACCEPTED:
        raise QuoteNotOpen(f"Quote {quote.number} was accepted already.")
    if quote.status != Quote.Status.SENT:
        raise QuoteNotOpen(f"Quote {quote.number} is no longer open.")
    if quote.is_expired_on(timezone.localdate()):
        raise QuoteNotOpen(
            f"Quote {quote.number} was valid until {quote.valid_until.day} {quote.valid_until:%B %Y}; "
            "ask us for a new one."
        )


def quote_mark_accepted(*, quote: Quote, order: Order) -> Quote:
    """The quote (or draft) became `order`: record it (the caller placed the order in this
    transaction and holds the quote's lock). Writes the quote row only."""
    quote, _ = transition_apply(
        model=Quote,
        pk=quote.pk,
        transition="accept",
        check_permission=False,  # a consequence of placing the order
        fields={"accepted_at": timezone.now()},
        locked=quote,
    )
    return quote


def quote_request_from(*, quote: Quote) -> QuoteRequest:
    """The request a saved draft or quote holds, to open it again at the desk or to place it."""
    return QuoteRequest(
        customer=quote.customer,
        lines=[
            LineRequest(
                product_id=line.product_id, quantity=line.quantity, customisation_notes=line.customisation_notes
            )
            for line in quote.lines.all()
        ],
        channel=quote.channel,
        delivery_method=quote.delivery_method,
        payment_method=quote.payment_method,
        billing_address=AddressData(**quote.billing_address) if quote.billing_address else None,
        shipping_address=AddressData(**quote.shipping_address) if quote.shipping_address else None,
        discount_code=quote.discount_code,
        requested_delivery_date=quote.requested_delivery_date,
        delivery_instructions=quote.delivery_instructions,
        received_message=quote.received_message,
    )


def quote_prices_held(*, quote: Quote) -> dict:
    """The held unit prices of an open quote (product id -> price), for pricing it at the desk."""
    return quote_held_prices(quote_id=quote.pk) if quote.pk else {}
