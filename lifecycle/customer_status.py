"""What a customer reads about the state of their order, parcels and invoices: one place for the
shop's pages and e-mails alike.

A pure mapping from a state (and, for a held order, the checks it failed) to plain words: a
headline ("We are preparing your order") and what happens next. It reads nothing and writes
nothing; callers gather the inputs (storefront.selectors for the pages, lifecycle.notifications
for e-mails).

A held order never tells why in the staff's words: a risk rule told is a risk rule learnt, so a
failed risk check, and any reason this module does not know, reads as the one sentence every
order checked by hand gets. Wording never says "confirm" for an order that is not confirmed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.dateformat import format as date_format

from invoicing.models import Invoice
from orders.models import Order, Shipment

Status = Order.Status


@dataclass(frozen=True)
class CustomerStatus:
    headline: str  # the state in a few words: "We are preparing your order"
    next_step: str  # what happens next, and whether the customer needs to do anything
    tone: str  # progress | waiting | attention | done | stopped (the page's colour for it)


# Why verification held an order, by the name of the check that failed (orders' verification
# checks: "customer", "pricing", "stock", "risk"), as the customer may be told. In this order of
# precedence: the first that applies is what the customer reads.
HOLD_ADDRESS, HOLD_STOCK, HOLD_PAYMENT, HOLD_REVIEW = "address", "stock", "payment", "review"
HOLD_REASON_OF_CHECK = {"customer": HOLD_ADDRESS, "stock": HOLD_STOCK, "pricing": HOLD_PAYMENT, "risk": HOLD_REVIEW}
HOLD_PRECEDENCE = (HOLD_ADDRESS, HOLD_STOCK, HOLD_PAYMENT, HOLD_REVIEW)

HOLD_WORDING = {
    HOLD_ADDRESS: CustomerStatus(
        "On hold: we need to check your address",
        "We will e-mail you about it. Once the address is sorted out, we prepare your order; "
        "until then nothing is charged and nothing ships.",
        "attention",
    ),
    HOLD_STOCK: CustomerStatus(
        "On hold: part of your order is out of stock",
        "We are finding out when it will be back and will e-mail you with your options. "
        "Nothing ships and nothing is charged until then.",
        "attention",
    ),
    HOLD_PAYMENT: CustomerStatus(
        "On hold: we need to check the amount of your order",
        "We will e-mail you if anything needs to change, and prepare your order as soon as it is "
        "checked. You never pay more than the total shown without agreeing to it first.",
        "attention",
    ),
    HOLD_REVIEW: CustomerStatus(
        "On hold: we check some orders by hand before we prepare them",
        "We will be in touch if we need anything from you; otherwise we prepare your order as soon as it is checked.",
        "attention",
    ),
}

SHIPMENT_WORDING = {
    Shipment.Status.PENDING: "Waiting to be picked",
    Shipment.Status.PICKING: "Being picked in our warehouse",
    Shipment.Status.PACKED: "Packed, about to leave our warehouse",
    Shipment.Status.SHIPPED: "Handed to the carrier",
    Shipment.Status.IN_TRANSIT: "On its way",
    Shipment.Status.DELIVERED: "Delivered",
    Shipment.Status.DELIVERY_FAILED: "The carrier could not deliver it; they will try again or leave a note",
    Shipment.Status.RETURNED_TO_SENDER: "Returned to us; we will e-mail you about sending it again",
    Shipment.Status.CANCELLED: "Cancelled",
}

INVOICE_WORDING = {
    Invoice.Status.DRAFT: "Being prepared",
    Invoice.Status.ISSUED: "Awaiting payment",
    Invoice.Status.PARTIALLY_PAID: "Partly paid",
    Invoice.Status.PAID: "Paid",
    Invoice.Status.CREDITED: "Credited in full: nothing to pay",
}


def hold_reason(check_names: Iterable[str]) -> str:
    """The reason a held order gives its customer, from the names of the checks it failed: the
    first of HOLD_PRECEDENCE that applies; HOLD_REVIEW for none or unknown ones."""
    reasons = {HOLD_REASON_OF_CHECK.get(name, HOLD_REVIEW) for name in check_names}
    return next((reason for reason in HOLD_PRECEDENCE if reason in reasons), HOLD_REVIEW)


def _day(value: date) -> str:
    return date_format(value, "j F Y")


def _backordered(expected_date: date | None) -> CustomerStatus:
    if expected_date is None:
        return CustomerStatus(
            "Waiting for stock",
            "Part of your order is on back-order. We e-mail you when we know when it arrives, and "
            "prepare your order as soon as everything is in.",
            "waiting",
        )
    return CustomerStatus(
        f"Waiting for stock, expected around {_day(expected_date)}",
        "Part of your order is on back-order. We prepare your order as soon as everything is in, "
        "and e-mail you the tracking details when it leaves our warehouse.",
        "waiting",
    )


def _preparing(is_pickup: bool) -> CustomerStatus:
    if is_pickup:
        return CustomerStatus("We are preparing your order", "We e-mail you when it is ready to collect.", "progress")
    return CustomerStatus(
        "We are preparing your order",
        "We e-mail you the tracking details when it leaves our warehouse.",
        "progress",
    )


def _awaiting_payment(payment_method: str) -> CustomerStatus:
    if payment_method == Order.PaymentMethod.CARD:
        return CustomerStatus(
            "Invoiced: your card is being charged",
            "The amount reserved on your card at checkout is being charged; you do not need to do "
            "anything. We e-mail you when the payment is through.",
            "progress",
        )
    if payment_method == Order.PaymentMethod.BANK_TRANSFER:
        return CustomerStatus(
            "Invoiced: awaiting your payment",
            "Please transfer the amount due, quoting the payment reference shown with it, by the "
            "due date on the invoice. We e-mail you when your payment arrives.",
            "attention",
        )
    return CustomerStatus(
        "Invoiced: awaiting your payment",
        "Please pay the invoice by its due date. We e-mail you when your payment arrives.",
        "attention",
    )


def order_status_wording(
    *,
    status: str,
    hold_reasons: Iterable[str] = (),
    expected_date: date | None = None,
    has_tracking: bool = False,
    is_pickup: bool = False,
    payment_method: str = "",
    waits_for_payment: bool = False,
) -> CustomerStatus:
    """The customer's words for an order in `status`.

    `hold_reasons`: the names of the checks an on-hold order failed (its OrderCheck rows);
    `expected_date`: when a back-ordered order's missing items should be in, as the customer was
    told (None: not known yet); `has_tracking`: a parcel of a shipped order has a tracking number;
    `is_pickup`: the customer collects the order; `payment_method`: the order's (Order.PaymentMethod);
    `waits_for_payment`: a prepaid bank transfer must arrive before the order is sent
    (orders.services.fulfillment.waits_for_payment).
    Raises KeyError for a status this module has no words for (a test makes sure there is none).
    """
    if status == Status.ON_HOLD:
        return HOLD_WORDING[hold_reason(hold_reasons)]
    if status == Status.BACKORDERED:
        return _backordered(expected_date)
    if status == Status.VERIFIED and waits_for_payment:
        return CustomerStatus(
            "Waiting for your payment",
            "Please transfer the order total, quoting the payment reference shown under Payment. We "
            "send your order as soon as the money arrives, and e-mail you when it leaves our warehouse.",
            "attention",
        )
    if status in (Status.VERIFIED, Status.IN_FULFILLMENT):
        return _preparing(is_pickup)
    if status == Status.INVOICED:
        return _awaiting_payment(payment_method)
    if status == Status.SHIPPED:
        track = "Track it with the details under Parcels." if has_tracking else "It should be with you soon."
        return CustomerStatus(
            "Your order is on its way", f"{track} Your invoice follows once it is delivered.", "progress"
        )
    if status == Status.PARTIALLY_SHIPPED:
        track = " Track the parcel with the details under Parcels." if has_tracking else ""
        return CustomerStatus(
            "Part of your order is on its way",
            f"The rest follows in another parcel; we e-mail you when it leaves our warehouse.{track}",
            "progress",
        )
    return ORDER_WORDING[status]


ORDER_WORDING = {
    Status.DRAFT: CustomerStatus("Not placed yet", "Finish the checkout to place the order.", "waiting"),
    Status.PLACED: CustomerStatus(
        "We have received your order",
        "We are checking it now and will e-mail you as soon as it is accepted.",
        "progress",
    ),
    Status.DELIVERED: CustomerStatus("Delivered", "Your invoice follows by e-mail.", "done"),
    Status.PAID: CustomerStatus(
        "Paid, thank you", "We are closing your order; you get a payment confirmation by e-mail.", "done"
    ),
    Status.COMPLETED: CustomerStatus(
        "Complete: delivered and paid",
        "Thank you for your order. Something not right? Reply to any of our e-mails about it.",
        "done",
    ),
    Status.CANCELLED: CustomerStatus(
        "Cancelled",
        "You pay nothing for this order, and any amount reserved on your card has been released.",
        "stopped",
    ),
}


def shipment_status_wording(status: str) -> str:
    """A parcel's state as the customer reads it. Raises KeyError for an unknown status."""
    return SHIPMENT_WORDING[status]


def invoice_status_wording(status: str) -> str:
    """An invoice's state as the customer reads it. Raises KeyError for an unknown status."""
    return INVOICE_WORDING[status]
