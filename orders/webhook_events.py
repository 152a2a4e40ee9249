"""Which timeline events other systems hear of (webhooks.EventType), and what each says. Called
by transition_run with the events it has just written, inside the change's transaction, so the
deliveries are part of the change (webhooks.outbox). The data is what the row in hand holds: no
query is made to describe it; a receiver that needs more reads the order from the API."""

from webhooks.models import EventType
from webhooks.outbox import WebhookEvent, webhook_events_record

from .models import OrderEvent

Kind = OrderEvent.Kind

EVENT_TYPES: dict[str, EventType] = {
    Kind.ORDER_PLACE: EventType.ORDER_PLACED,
    Kind.ORDER_VERIFY: EventType.ORDER_VERIFIED,
    Kind.ORDER_HOLD: EventType.ORDER_ON_HOLD,
    Kind.ORDER_CANCEL: EventType.ORDER_CANCELLED,
    Kind.SHIPMENT_DISPATCH: EventType.SHIPMENT_DISPATCHED,
    Kind.SHIPMENT_REDISPATCH: EventType.SHIPMENT_DISPATCHED,
    Kind.SHIPMENT_DELIVER: EventType.SHIPMENT_DELIVERED,
    Kind.INVOICE_ISSUE: EventType.INVOICE_ISSUED,
    Kind.PAYMENT_CAPTURE: EventType.PAYMENT_RECEIVED,
    Kind.REFUND_SUCCEED: EventType.REFUND_SUCCEEDED,
    Kind.RETURNREQUEST_RECEIVE: EventType.RETURN_RECEIVED,
}


def _order(order) -> dict:
    return {
        "number": order.number,
        "status": order.status,
        "channel": order.channel,
        "email": order.email,
        "currency": order.currency,
        "total": order.total,
        "placed_at": order.placed_at,
    }


def _shipment(shipment) -> dict:
    return {
        "number": shipment.number,
        "status": shipment.status,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "dispatched_at": shipment.dispatched_at,
        "delivered_at": shipment.delivered_at,
    }


def _invoice(invoice) -> dict:
    return {
        "number": invoice.number,
        "status": invoice.status,
        "total": invoice.total,
        "currency": invoice.currency,
        "due_date": invoice.due_date,
    }


def _payment(payment) -> dict:
    return {"id": payment.pk, "method": payment.method, "amount": payment.amount, "reference": payment.reference}


def _refund(refund) -> dict:
    return {"id": refund.pk, "method": refund.method, "amount": refund.amount, "reason": refund.reason}


def _return(return_request) -> dict:
    return {"number": return_request.number, "status": return_request.status, "reason": return_request.reason}


DESCRIBE = {"shipment": _shipment, "invoice": _invoice, "payment": _payment, "refund": _refund}
DESCRIBE_AS = {"returnrequest": ("return", _return)}


def _data(event: OrderEvent, obj) -> dict:
    data = {"order": _order(event.order)}
    name = event.object_type
    if name == "order":  # placement writes "placed" and "verified" together: each says its own state
        data["order"]["status"] = event.to_state
    if name in DESCRIBE:
        data[name] = DESCRIBE[name](obj)
    elif name in DESCRIBE_AS:
        key, describe = DESCRIBE_AS[name]
        data[key] = describe(obj)
    return data


def order_events_announce(events: list[OrderEvent], obj) -> None:
    """Record a webhook delivery for each of `events` (just written, all about `obj`) that other
    systems may subscribe to."""
    wanted = [event for event in events if event.kind in EVENT_TYPES]
    if wanted:
        webhook_events_record(WebhookEvent(type=EVENT_TYPES[event.kind], data=_data(event, obj)) for event in wanted)
