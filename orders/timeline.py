"""The order's timeline as staff read it: one sentence per event, who did it, and the details.

    "Anna de Vries placed the order on the web shop"
    "Warehouse started picking parcel 2 at AMS"
    "System put the order on hold: delivery postal code '12' does not look like one from NL (customer check)"

Pure: `timeline_entries(events, context=...)` reads only the events (with their `actor` loaded) and
the `TimelineContext` the caller gathered (the customer's name, the order's parcels, invoice
numbers and payment amounts), and queries nothing. Every `OrderEvent.Kind` has its phrase in
PHRASES (a test holds it to that); a kind without one still reads as a sentence, from the kind's
label, and never shows the stored code.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.text import capfirst

from orders_site.core.formatting import money_display

from .models import Order, OrderEvent, Shipment

Kind = OrderEvent.Kind


@dataclass(frozen=True)
class Parcel:
    """What a sentence says about a shipment: "parcel 2 at AMS"."""

    number: str
    position: int
    warehouse: str = ""


@dataclass(frozen=True)
class TimelineContext:
    customer_name: str = ""
    currency: str = ""
    parcels: Mapping[int, Parcel] = field(default_factory=dict)  # by shipment id
    invoices: Mapping[int, str] = field(default_factory=dict)  # invoice id -> number
    payments: Mapping[int, Decimal] = field(default_factory=dict)  # payment id -> amount
    state_labels: Mapping[str, str] = field(default_factory=dict)  # stored state -> label


@dataclass(frozen=True)
class TimelineEntry:
    event: OrderEvent
    who: str
    sentence: str
    # Readable text under the sentence (a comment, a staff note) when the sentence does not hold it.
    note: str
    # (label, value) pairs for the expandable details: the state change and the event's data.
    details: tuple[tuple[str, str], ...]
    is_comment: bool
    customer_visible: bool


# -- who ---------------------------------------------------------------------------------------------

# Systems that act on an order, as `actor_label` names them, in the words staff use.
SYSTEM_NAMES = {
    "": "System",
    "system": "System",
    "verification": "System",
    "back-order fill": "System",
    "invoice PDF task": "System",
    "demo seed": "System",
    "payment gateway": "The payment gateway",
    "api": "An integration (API)",
    "import": "The order import",
}
# The customer acted: they answered feedback, or placed the order themselves (the channel is the label).
CUSTOMER_LABELS = {"customer", *(value for value in Order.Channel.values if value not in SYSTEM_NAMES)}


def event_who(event: OrderEvent, context: TimelineContext) -> str:
    """The person or system behind the event: a staff member's full name (else their login name),
    the customer's name, or the system's name."""
    actor = event.actor if event.actor_id else None
    if actor is not None:
        # A login name as a name: "customer_service" reads "Customer service".
        return actor.get_full_name() or capfirst(actor.get_username().replace("_", " "))
    label = event.actor_label or ""
    if label in CUSTOMER_LABELS:
        return context.customer_name or "The customer"
    return SYSTEM_NAMES.get(label, capfirst(label))


# -- what -----------------------------------------------------------------------------------------------

CHANNEL_PHRASES = {
    Order.Channel.WEB: "on the web shop",
    Order.Channel.PHONE: "by phone",
    Order.Channel.EMAIL: "by e-mail",
    Order.Channel.IN_PERSON: "in person",
    Order.Channel.API: "through the API",
    Order.Channel.IMPORT: "by import",
}

# One phrase per kind. Fields: who, parcel ("parcel 2"), warehouse (" at AMS"), invoice, amount
# (" of € 12.00"), channel, for_customer, reasons, note, carrier (" with PostNL"), tracking, work
# (a work item's name), payment_kind ("card", "store credit").
# A phrase with {note} or {reasons} holds the note itself; any other shows the note under it.
PHRASES: dict[str, str] = {
    Kind.ORDER_PLACE: "{who} placed the order {channel}{for_customer}",
    Kind.ORDER_HOLD: "{who} put the order on hold: {reasons}",
    Kind.ORDER_BACKORDER: "{who} back-ordered the order: {reasons}",
    Kind.ORDER_VERIFY: "{who} verified the order",
    Kind.ORDER_START_FULFILLMENT: "{who} started fulfilment",
    Kind.ORDER_START_PARTIAL_FULFILLMENT: "{who} sent what is in stock to the warehouse{colon_note}",
    Kind.ORDER_BACKORDER_REST_READY: "{who} made a parcel for the back-ordered rest{colon_note}",
    Kind.ORDER_SHIP_PARTIALLY: "{who} shipped part of the order",
    Kind.ORDER_SHIP: "{who} shipped the order's last parcel: everything is on its way",
    Kind.ORDER_RESHIP: "{who} decided to ship the returned goods again: a new parcel is to ship{colon_note}",
    Kind.ORDER_DELIVER: "{who} recorded the order as delivered",
    Kind.ORDER_INVOICE: "{who} invoiced the order",
    Kind.ORDER_PAY: "{who} recorded the order as paid in full",
    Kind.ORDER_COMPLETE: "{who} completed the order",
    Kind.ORDER_CANCEL: "{who} cancelled the order{colon_note}",
    Kind.SHIPMENT_START_PICKING: "{who} started picking {parcel}{warehouse}",
    Kind.SHIPMENT_PACK: "{who} packed {parcel}{warehouse}",
    Kind.SHIPMENT_DISPATCH: "{who} handed {parcel} to the carrier{carrier}{tracking}",
    Kind.SHIPMENT_MARK_IN_TRANSIT: "{who} marked {parcel} as in transit",
    Kind.SHIPMENT_DELIVER: "{who} recorded {parcel} as delivered",
    Kind.SHIPMENT_FAIL_DELIVERY: "{who} recorded a failed delivery of {parcel}{colon_note}",
    Kind.SHIPMENT_REDISPATCH: "{who} sent {parcel} out again",
    Kind.SHIPMENT_RETURN_TO_SENDER: "{who} recorded {parcel} as returned to sender{colon_note}",
    Kind.SHIPMENT_CANCEL: "{who} cancelled {parcel}",
    Kind.SHIPMENT_SPLIT: "{who} split {parcel}{colon_note}",
    Kind.INVOICE_ISSUE: "{who} issued invoice {invoice}{amount}",
    Kind.INVOICE_RECORD_PARTIAL_PAYMENT: "{who} recorded a part payment of invoice {invoice}",
    Kind.INVOICE_MARK_PAID: "{who} marked invoice {invoice} as paid",
    Kind.PAYMENT_AUTHORIZE: "{who} authorised a {payment_kind} payment{amount}",
    Kind.PAYMENT_CAPTURE: "{who} recorded a payment{amount}",
    Kind.PAYMENT_FAIL: "{who} refused the card payment{amount}{colon_note}",
    Kind.PAYMENT_VOID: "{who} voided the payment{amount}",
    Kind.ORDER_BACKORDER_EXPECTED: "{who} told the customer when the missing items should be in: {note}",
    Kind.ORDER_RECHECK_FAILED: "{who} re-checked the order and it stays on hold: {reasons}",
    Kind.ORDER_ADDRESS_CHANGED: "{who} corrected the order's address{colon_note}",
    Kind.ORDER_EDITED: "{who} edited the order{colon_note}",
    Kind.STOCK_BACKORDER_ALLOCATED: "{who} allocated incoming stock to the order{colon_note}",
    Kind.NOTIFICATION_RESEND: "{who} queued an e-mail again{colon_note}",
    Kind.INVOICE_CREDIT_IN_FULL: "{who} recorded invoice {invoice} as credited in full: nothing is owed",
    Kind.CREDIT_NOTE_ISSUED: "{who} issued a credit note{colon_note}",
    Kind.REFUND_REQUESTED: "{who} started a refund{colon_note}",
    Kind.REFUND_SUCCEED: "{who} paid out a refund{amount}{colon_note}",
    Kind.REFUND_FAIL: "{who} could not pay out a refund{amount}{colon_note}",
    Kind.REFUND_RETRY: "{who} tried a failed refund again{amount}",
    Kind.RETURN_REQUESTED: "{who} asked to return goods{colon_note}",
    Kind.RETURNREQUEST_AUTHORISE: "{who} authorised the return{colon_note}",
    Kind.RETURNREQUEST_REFUSE: "{who} refused the return{colon_note}",
    Kind.RETURNREQUEST_RECEIVE: "{who} received the returned goods{colon_note}",
    Kind.RETURNREQUEST_CLOSE: "{who} credited and refunded the return{colon_note}",
    Kind.INVOICE_REMINDER_SENT: "{who} sent a payment reminder{colon_note}",
    Kind.INVOICE_REMINDERS_HELD: "{who} put the invoice's reminders on hold{colon_note}",
    Kind.INVOICE_REMINDERS_RESUMED: "{who} resumed the invoice's reminders{colon_note}",
    Kind.INVOICE_PDF_FAILED: "{who} could not render an invoice PDF{colon_note}",
    Kind.PAYMENT_CAPTURE_FAILED: "{who} could not capture the card payment{colon_note}",
    Kind.PAYMENT_VOID_FAILED: "{who} could not release the card hold{colon_note}",
    Kind.FEEDBACK_RECEIVED: "{who} gave feedback{colon_note}",
    Kind.FEEDBACK_FOLLOWED_UP: "{who} followed up the customer's feedback{colon_note}",
    Kind.ORDER_STAFF_COMMENT: "{who} commented",
    Kind.WORK_ITEM_START: "{who} started the work “{work}”",
    Kind.WORK_ITEM_FINISH: "{who} finished the work “{work}”",
    Kind.WORK_ITEM_ASSIGN: "{who} assigned work: {note}",
    Kind.SHIPMENT_OUT_FOR_DELIVERY: "{who} reported {parcel} out for delivery",
    Kind.SHIPMENT_TRACKING_NOTED: "{who} sent a tracking update for {parcel}: {note}",
    Kind.SHIPMENT_RECEIVED_BACK: "{who} received {parcel} back into stock{warehouse}",
    Kind.SHIPMENT_RETURN_DECIDED: "{who} decided what happens after the returned {parcel}: {note}",
}
HOLDS_NOTE = ("{note}", "{colon_note}", "{reasons}")


def _amount(value, currency: str) -> str:
    try:
        return money_display(Decimal(str(value)), currency or None)
    except (InvalidOperation, ValueError, TypeError):
        return ""


def _reasons(event: OrderEvent) -> str:
    """The failed checks, "delivery postal code … (customer check)"; the note when there is no list."""
    reasons = event.data.get("reasons") if isinstance(event.data, dict) else None
    if not reasons:
        return event.note.rstrip(".") or "no reason was recorded"
    readable = []
    for reason in reasons:
        name, colon, detail = str(reason).partition(": ")
        readable.append(f"{detail} ({name} check)" if colon and name.isidentifier() else str(reason))
    return "; ".join(readable)


def _fields(event: OrderEvent, who: str, context: TimelineContext) -> dict[str, str]:
    data = event.data if isinstance(event.data, dict) else {}
    parcel = context.parcels.get(event.object_id) if event.object_type == "shipment" else None
    invoice = (
        data.get("number") or data.get("invoice") or context.invoices.get(event.object_id)
        if event.object_type == "invoice"
        else data.get("invoice", "")
    )
    amount = data.get("amount")
    if amount is None and event.object_type == "payment":
        amount = context.payments.get(event.object_id)
    elif amount is None:
        amount = data.get("total")
    amount_text = _amount(amount, context.currency) if amount is not None else ""
    channel = data.get("channel", "")
    note = event.note.strip()
    # A staff member who placed the order did so for the customer.
    on_behalf = bool(event.actor_id and context.customer_name and who != context.customer_name)
    return {
        "who": who,
        "parcel": f"parcel {parcel.position}" if parcel else "a parcel",
        "warehouse": f" at {parcel.warehouse}" if parcel and parcel.warehouse else "",
        "invoice": str(invoice or "").strip() or "(no number)",
        "amount": f" of {amount_text}" if amount_text else "",
        "channel": CHANNEL_PHRASES.get(channel, ""),
        "for_customer": f" for {context.customer_name}" if on_behalf else "",
        "reasons": _reasons(event),
        "note": note.rstrip(".") or "no note",
        "colon_note": f": {note.rstrip('.')}" if note else "",
        "carrier": f" ({data['carrier']})" if data.get("carrier") else "",
        "tracking": f", tracking number {data['tracking_number']}" if data.get("tracking_number") else "",
        "work": str(data.get("work") or "a work item"),
        "payment_kind": "store credit" if data.get("method") == "store_credit" else "card",
    }


def _label(kind: str) -> str:
    try:
        return str(Kind(kind).label)
    except ValueError:
        return "an event"


def _full_stop(text: str) -> str:
    text = re.sub(r"[ \t\r\n]+", " ", text).strip()  # not str.split(): money keeps its no-break space
    return capfirst(text if text.endswith((".", "!", "?", "…")) else f"{text}.")


def event_sentence(event: OrderEvent, *, context: TimelineContext, who: str | None = None) -> str:
    """The event in one sentence, starting with who did it and ending with a full stop."""
    who = who if who is not None else event_who(event, context)
    phrase = PHRASES.get(event.kind)
    if phrase is None:  # a kind without its phrase yet: its label, never its code
        label = _label(event.kind)
        return _full_stop(f"{who} recorded: {label[:1].lower()}{label[1:]}")
    return _full_stop(phrase.format_map(_fields(event, who, context)))


# Order and shipment states by their stored value; the caller adds invoice and payment states.
STATE_LABELS = {**dict(Shipment.Status.choices), **dict(Order.Status.choices)}


def _detail_value(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "; ".join(value)
    if isinstance(value, list) and all(isinstance(item, dict) and "name" in item for item in value):
        return "; ".join(
            f"{item['name']} {item.get('result', '')}".strip() + (f": {item['detail']}" if item.get("detail") else "")
            for item in value
        )
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def event_details(event: OrderEvent, *, context: TimelineContext) -> tuple[tuple[str, str], ...]:
    """The facts behind the sentence for the expandable details: the state change and the data."""
    details = []
    if event.to_state:
        labels = {**STATE_LABELS, **context.state_labels}
        before = labels.get(event.from_state, event.from_state.replace("_", " "))
        after = labels.get(event.to_state, event.to_state.replace("_", " "))
        details.append(("state", f"{before} → {after}" if event.from_state else after))
    data = event.data if isinstance(event.data, dict) else {}
    for key, value in data.items():
        if value in ("", None, [], {}):
            continue
        details.append((key.replace("_", " "), _detail_value(value)))
    return tuple(details)


def timeline_entries(events: Iterable[OrderEvent], *, context: TimelineContext) -> list[TimelineEntry]:
    """The events as entries, in the order given."""
    entries = []
    for event in events:
        who = event_who(event, context)
        phrase = PHRASES.get(event.kind, "")
        shows_note = any(part in phrase for part in HOLDS_NOTE)
        entries.append(
            TimelineEntry(
                event=event,
                who=who,
                sentence=event_sentence(event, context=context, who=who),
                note="" if shows_note else event.note.strip(),
                details=event_details(event, context=context),
                is_comment=event.kind == Kind.ORDER_STAFF_COMMENT,
                customer_visible=event.customer_visible,
            )
        )
    return entries
