"""The order desk's hand-offs: an order entered by staff, a draft or a quote, becomes an order
through the same checkout as the shop's (lifecycle.checkout.order_checkout -> order_place: the
same checks, verification and e-mails), with its channel and the staff member recorded.

Also the quote PDF (a pure function from the quote to bytes, like invoicing.pdf).
"""

from django.db import transaction

from invoicing.pdf import pdf_from_template
from orders.events import event_order_staff_comment
from orders.locks import quote_lock
from orders.models import Order, Quote
from orders.selectors import order_find_by_idempotency_key
from orders.services.placement import InvalidOrder
from orders.services.quotes import (
    QuoteNotOpen,
    QuoteRequest,
    quote_acceptable,
    quote_mark_accepted,
    quote_request_customer_resolve,
    quote_request_from,
    quote_request_refuse,
)

from .checkout import order_checkout


def quote_idempotency_key(quote: Quote) -> str:
    """Accepting one quote makes one order, however often the button is pressed."""
    return f"quote-{quote.pk}"


def _keep_received_message(*, order: Order, request: QuoteRequest, actor) -> None:
    """An e-mail order keeps the customer's message on its timeline, for staff (not the customer)."""
    if request.received_message.strip():
        event_order_staff_comment(
            order=order, note="E-mail received from the customer:\n\n" + request.received_message.strip(), actor=actor
        )


def _place(*, request: QuoteRequest, actor, idempotency_key: str, card_token: str = "", quote=None) -> Order:
    return order_checkout(
        customer=request.customer,
        lines=request.lines,
        channel=request.channel,
        delivery_method=request.delivery_method,
        payment_method=request.payment_method,
        billing_address=request.billing_address,
        shipping_address=None if request.delivery_method.is_pickup else request.shipping_address,
        discount_code=request.discount_code,
        requested_delivery_date=request.requested_delivery_date,
        delivery_instructions=request.delivery_instructions,
        idempotency_key=idempotency_key,
        placed_by=actor,
        card_token=card_token,
        use_store_credit=request.use_store_credit,
        quote=quote,
    )


@transaction.atomic
def order_desk_place(
    *, request: QuoteRequest, actor, idempotency_key: str, card_token: str = "", draft_id: int | None = None
) -> Order:
    """Place the order customer service entered (phone, e-mail, in person) at today's catalogue
    prices, with `actor` as placed_by and on its first event; a new customer in the request is
    created with it. `draft_id`: the saved draft this order comes from (it is marked accepted).

    `idempotency_key` (rendered in the desk form) makes a double submit one order: the second
    returns the first's order and writes nothing (not even its new customer).
    Locks: the draft, then what order_place locks. Queues what order_place queues. Raises
    InvalidOrder (extra["field"]; extra["problems"] for the desk's own checks), PaymentDeclined,
    QuoteNotOpen (the draft was placed or sent meanwhile), and the refusals of a new customer.
    """
    existing = order_find_by_idempotency_key(key=idempotency_key)
    if existing is not None:
        return existing
    quote_request_refuse(request=request)
    draft = None
    if draft_id is not None:
        draft = quote_lock(quote_id=draft_id)
        if draft is None or draft.status != Quote.Status.DRAFT:
            raise QuoteNotOpen("This draft was placed, sent or cancelled meanwhile; open it again.")
    request = quote_request_customer_resolve(request=request, existing=draft.customer if draft else None)
    order = _place(request=request, actor=actor, idempotency_key=idempotency_key, card_token=card_token, quote=draft)
    if order.customer_id != request.customer.pk:
        # Another submit of this form placed it a moment ago: show that order, and keep nothing this
        # request wrote (a second new customer).
        transaction.set_rollback(True)
        return order
    if draft is not None:
        quote_mark_accepted(quote=draft, order=order)
    _keep_received_message(order=order, request=request, actor=actor)
    return order


@transaction.atomic
def quote_accept(*, quote_id: int, actor=None) -> Order:
    """The customer accepts the quote from its signed link (`actor` None), or staff place it for
    them: it becomes an order at the prices the quote holds, through the checkout like any order
    (verification, stock allocation, the "order received" e-mail). The order's placed_by is the
    staff member who made the quote (or `actor`).

    Accepting again returns the order made the first time. Refused (QuoteNotOpen) when the quote
    was cancelled or its `valid_until` has passed (from the quote's row: an old link cannot revive
    it). Locks: the quote, then what order_place locks. Raises InvalidOrder when the order can no
    longer be placed as quoted (a product withdrawn, a requested date passed).
    """
    quote = quote_lock(quote_id=quote_id)
    if quote is None:
        raise QuoteNotOpen("This quote does not exist.")
    if quote.status == Quote.Status.ACCEPTED:
        return Order.objects.get(quote=quote)
    quote_acceptable(quote=quote)
    request = quote_request_from(quote=quote)
    if request.delivery_method is None or request.billing_address is None:
        raise InvalidOrder("This quote is incomplete; ask us for a new one.")
    placed_by = actor or quote.created_by
    order = _place(request=request, actor=placed_by, idempotency_key=quote_idempotency_key(quote), quote=quote)
    quote_mark_accepted(quote=quote, order=order)
    _keep_received_message(order=order, request=request, actor=placed_by)
    return order


def quote_pdf_render(*, quote: Quote, lines) -> bytes:
    """The quote as sent: its lines at the held prices, its totals and its validity."""
    billing = quote.billing_address or {}
    billing_lines = [
        part
        for part in [
            billing.get("full_name"),
            billing.get("company"),
            billing.get("line1"),
            billing.get("line2"),
            f"{billing.get('postal_code', '')} {billing.get('city', '')}".strip(),
            billing.get("country"),
        ]
        if part
    ]
    return pdf_from_template(
        "quotes/quote_pdf.html", {"quote": quote, "lines": list(lines), "billing_lines": billing_lines}
    )
