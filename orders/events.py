"""One small function per kind of event on an order's timeline; the kinds are `OrderEvent.Kind`.

State changes all go through `event_transition` (called by transition_run, the one function that
runs every transition), which picks the kind for the object and transition. Everything else that
happens to an order is a note, written by the `event_<kind>` function of its kind. No other code
creates OrderEvent rows, so the timeline holds only kinds the enum knows.
"""

from datetime import date

from orders_site.core.models import actor_label

from .models import OrderEvent

Kind = OrderEvent.Kind

# (object, transition) -> kind; one entry per django-fsm transition of the four timeline models.
TRANSITION_KINDS: dict[tuple[str, str], OrderEvent.Kind] = {
    ("order", "place"): Kind.ORDER_PLACE,
    ("order", "hold"): Kind.ORDER_HOLD,
    ("order", "backorder"): Kind.ORDER_BACKORDER,
    ("order", "verify"): Kind.ORDER_VERIFY,
    ("order", "start_fulfillment"): Kind.ORDER_START_FULFILLMENT,
    ("order", "start_partial_fulfillment"): Kind.ORDER_START_PARTIAL_FULFILLMENT,
    ("order", "ship_partially"): Kind.ORDER_SHIP_PARTIALLY,
    ("order", "ship"): Kind.ORDER_SHIP,
    ("order", "reship"): Kind.ORDER_RESHIP,
    ("order", "deliver"): Kind.ORDER_DELIVER,
    ("order", "invoice"): Kind.ORDER_INVOICE,
    ("order", "pay"): Kind.ORDER_PAY,
    ("order", "complete"): Kind.ORDER_COMPLETE,
    ("order", "cancel"): Kind.ORDER_CANCEL,
    ("shipment", "start_picking"): Kind.SHIPMENT_START_PICKING,
    ("shipment", "pack"): Kind.SHIPMENT_PACK,
    ("shipment", "dispatch"): Kind.SHIPMENT_DISPATCH,
    ("shipment", "mark_in_transit"): Kind.SHIPMENT_MARK_IN_TRANSIT,
    ("shipment", "deliver"): Kind.SHIPMENT_DELIVER,
    ("shipment", "fail_delivery"): Kind.SHIPMENT_FAIL_DELIVERY,
    ("shipment", "redispatch"): Kind.SHIPMENT_REDISPATCH,
    ("shipment", "return_to_sender"): Kind.SHIPMENT_RETURN_TO_SENDER,
    ("shipment", "cancel"): Kind.SHIPMENT_CANCEL,
    ("invoice", "issue"): Kind.INVOICE_ISSUE,
    ("invoice", "record_partial_payment"): Kind.INVOICE_RECORD_PARTIAL_PAYMENT,
    ("invoice", "mark_paid"): Kind.INVOICE_MARK_PAID,
    ("invoice", "credit_in_full"): Kind.INVOICE_CREDIT_IN_FULL,
    ("payment", "authorize"): Kind.PAYMENT_AUTHORIZE,
    ("payment", "capture"): Kind.PAYMENT_CAPTURE,
    ("payment", "fail"): Kind.PAYMENT_FAIL,
    ("payment", "void"): Kind.PAYMENT_VOID,
    ("refund", "succeed"): Kind.REFUND_SUCCEED,
    ("refund", "fail"): Kind.REFUND_FAIL,
    ("refund", "retry"): Kind.REFUND_RETRY,
    ("returnrequest", "authorise"): Kind.RETURNREQUEST_AUTHORISE,
    ("returnrequest", "refuse"): Kind.RETURNREQUEST_REFUSE,
    ("returnrequest", "receive"): Kind.RETURNREQUEST_RECEIVE,
    ("returnrequest", "close"): Kind.RETURNREQUEST_CLOSE,
    ("workitem", "start"): Kind.WORK_ITEM_START,
    ("workitem", "finish"): Kind.WORK_ITEM_FINISH,
}

# What the customer reads on the order page for the kinds they see. An event of any other kind
# stays internal, except the notes in CUSTOMER_NOTES, which show their own text.
CUSTOMER_MESSAGES: dict[OrderEvent.Kind, str] = {
    Kind.ORDER_PLACE: "Order received",
    Kind.ORDER_BACKORDER: "Waiting for stock to arrive",
    Kind.ORDER_VERIFY: "Order confirmed",
    Kind.ORDER_START_FULFILLMENT: "Being prepared in the warehouse",
    Kind.ORDER_START_PARTIAL_FULFILLMENT: "What is in stock is being prepared; the rest follows when it arrives",
    Kind.ORDER_SHIP_PARTIALLY: "Part of your order is on its way",
    Kind.ORDER_SHIP: "Your order is on its way",
    Kind.ORDER_RESHIP: "The parcel that came back to us is being sent to you again",
    Kind.ORDER_DELIVER: "Delivered",
    Kind.ORDER_INVOICE: "Invoice issued",
    Kind.ORDER_PAY: "Payment received",
    Kind.ORDER_COMPLETE: "Order complete",
    Kind.ORDER_CANCEL: "Order cancelled",
    Kind.SHIPMENT_DISPATCH: "Parcel handed to the carrier",
    Kind.SHIPMENT_REDISPATCH: "Parcel handed to the carrier",
    Kind.SHIPMENT_MARK_IN_TRANSIT: "Parcel in transit",
    Kind.SHIPMENT_DELIVER: "Parcel delivered",
    Kind.SHIPMENT_FAIL_DELIVERY: "Delivery attempt failed",
    Kind.SHIPMENT_RETURN_TO_SENDER: "Parcel returned to us",
    Kind.INVOICE_CREDIT_IN_FULL: "Invoice credited in full: nothing to pay",
    Kind.RETURNREQUEST_AUTHORISE: "Return accepted: we e-mailed you how to send it back",
    Kind.RETURNREQUEST_RECEIVE: "Your return arrived back with us",
    Kind.RETURNREQUEST_CLOSE: "Your return is credited",
}
CUSTOMER_NOTES: frozenset[OrderEvent.Kind] = frozenset(
    {
        Kind.ORDER_BACKORDER_EXPECTED,
        Kind.SHIPMENT_OUT_FOR_DELIVERY,
        Kind.CREDIT_NOTE_ISSUED,
        Kind.REFUND_SUCCEED,
        Kind.RETURN_REQUESTED,
        Kind.RETURNREQUEST_REFUSE,
        Kind.INVOICE_REMINDER_SENT,
    }
)


def customer_visible(kind: str) -> bool:
    return kind in CUSTOMER_MESSAGES or kind in CUSTOMER_NOTES


def event_customer_message(event: OrderEvent) -> str:
    """What the customer reads for this event on the order page."""
    return CUSTOMER_MESSAGES.get(event.kind, event.note)


def transition_kind(*, object_type: str, transition: str) -> OrderEvent.Kind:
    """The kind a transition writes. Raises LookupError for one the enum does not know yet (a new
    transition needs its OrderEvent.Kind member and its line in TRANSITION_KINDS)."""
    try:
        return TRANSITION_KINDS[(object_type, transition)]
    except KeyError:
        raise LookupError(
            f"No OrderEvent.Kind for the {object_type} transition “{transition}”: add one to "
            "OrderEvent.Kind and orders.events.TRANSITION_KINDS."
        ) from None


def event_transition(
    *,
    order,
    obj,
    transition: str,
    from_state: str,
    to_state: str,
    actor=None,
    system: str = "",
    note: str = "",
    data: dict | None = None,
    save: bool = True,
) -> OrderEvent:
    """A state change of the order or of one of its shipments, invoices or payments (transition_run).
    With `save=False` the row is returned unsaved, for the caller to insert with others."""
    object_type = obj._meta.model_name
    kind = transition_kind(object_type=object_type, transition=transition)
    event = OrderEvent(
        order=order,
        object_type=object_type,
        object_id=obj.pk,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_label=actor_label(actor, system),
        note=note,
        data=data or {},
        customer_visible=customer_visible(kind),
    )
    if save:
        event.save()
    return event


def _object_note(
    *, order_id: int, about: tuple[str, int], kind: OrderEvent.Kind, note: str, actor=None, system="", data=None
) -> OrderEvent:
    """A note about one row with its own timeline on the order (a parcel, a work item): `about` is
    its (object_type, pk), so events_for_object finds it."""
    return OrderEvent.objects.create(
        order_id=order_id,
        object_type=about[0],
        object_id=about[1],
        kind=kind,
        actor=actor,
        actor_label=actor_label(actor, system),
        note=note,
        data=data or {},
        customer_visible=customer_visible(kind),
    )


def _note(*, order, kind: OrderEvent.Kind, note: str, actor=None, system: str = "", data: dict | None = None):
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor,
        actor_label=actor_label(actor, system),
        note=note,
        data=data or {},
        customer_visible=customer_visible(kind),
    )


def event_order_backorder_expected(*, order, expected_date: date, note: str) -> OrderEvent:
    """Verification tells the customer when a back-ordered order's missing items should be in
    (shown to them with `note`, and the subject of their back-order e-mail)."""
    return _note(
        order=order,
        kind=Kind.ORDER_BACKORDER_EXPECTED,
        system="verification",
        note=note,
        data={"expected_date": expected_date.isoformat()},
    )


def event_order_recheck_failed(*, order, note: str, actor=None, data: dict | None = None) -> OrderEvent:
    """Staff re-checked a held order and a check still fails (the order stays on hold)."""
    return _note(order=order, kind=Kind.ORDER_RECHECK_FAILED, actor=actor, note=note, data=data)


def event_order_address_changed(*, order, note: str, actor=None, data: dict | None = None) -> OrderEvent:
    """Staff corrected the order's shipping or billing address (data: which, before, after)."""
    return _note(order=order, kind=Kind.ORDER_ADDRESS_CHANGED, actor=actor, note=note, data=data)


def event_order_edited(*, order, note: str, actor=None, data: dict | None = None) -> OrderEvent:
    """Staff edited the placed order (data: version number, reason, the diff of lines and totals)."""
    return _note(order=order, kind=Kind.ORDER_EDITED, actor=actor, note=note, data=data)


def event_stock_backorder_allocated(*, order, note: str, system: str = "", data: dict | None = None) -> OrderEvent:
    """Incoming stock went to a back-ordered order that is still short (it stays back-ordered)."""
    return _note(order=order, kind=Kind.STOCK_BACKORDER_ALLOCATED, system=system, note=note, data=data)


def event_order_backorder_rest_ready(*, order, note: str, system: str = "", data: dict | None = None) -> OrderEvent:
    """The back-ordered rest of an order that shipped its available part ahead is allocated now and
    has its parcel (data: the allocation, the new parcel numbers)."""
    return _note(order=order, kind=Kind.ORDER_BACKORDER_REST_READY, system=system, note=note, data=data)


def event_shipment_split(*, shipment, new_shipment, note: str, actor=None, data: dict | None = None) -> OrderEvent:
    """Staff moved part of a parcel that was not packed yet into a new parcel (on the original
    parcel's timeline; data: the units moved per order line)."""
    return _object_note(
        order_id=shipment.order_id,
        about=("shipment", shipment.pk),
        kind=Kind.SHIPMENT_SPLIT,
        actor=actor,
        note=note,
        data={**(data or {}), "new_shipment": new_shipment.number},
    )


def event_notification_resent(*, notification, actor=None) -> OrderEvent:
    """Staff queued an outbox e-mail of the order again."""
    return _note(
        order=notification.order,
        kind=Kind.NOTIFICATION_RESEND,
        actor=actor,
        note=f"{notification.get_kind_display()} e-mail to {notification.recipient} queued again",
        data={"notification": notification.pk, "attempts": notification.attempts},
    )


def event_credit_note_issued(*, order, actor=None, note: str, data: dict) -> OrderEvent:
    """A credit note corrected the order's invoice (invoicing.services.credit_notes); the customer
    reads the note (number, amount, reason)."""
    return _note(order=order, kind=Kind.CREDIT_NOTE_ISSUED, actor=actor, note=note, data=data)


def event_invoice_reminder_sent(*, order, invoice, note: str, data: dict) -> OrderEvent:
    """A payment reminder went out for the invoice (invoicing.services.reminders, the beat job);
    the customer reads the note (level, amount, days overdue)."""
    return _object_note(
        order_id=order.pk,
        about=("invoice", invoice.pk),
        kind=Kind.INVOICE_REMINDER_SENT,
        system="reminders",
        note=note,
        data=data,
    )


def event_invoice_reminders_held(*, order, invoice, reason: str, actor=None) -> OrderEvent:
    """Staff put the invoice's reminders on hold: the customer disputes it. Staff only."""
    return _object_note(
        order_id=order.pk,
        about=("invoice", invoice.pk),
        kind=Kind.INVOICE_REMINDERS_HELD,
        actor=actor,
        note=reason,
        data={"invoice": invoice.number},
    )


def event_invoice_reminders_resumed(*, order, invoice, reason: str, actor=None) -> OrderEvent:
    """Staff resumed the invoice's reminders (the dispute is settled). Staff only."""
    return _object_note(
        order_id=order.pk,
        about=("invoice", invoice.pk),
        kind=Kind.INVOICE_REMINDERS_RESUMED,
        actor=actor,
        note=reason or f"Reminders of invoice {invoice.number} resumed",
        data={"invoice": invoice.number},
    )


def event_refund_requested(*, refund, actor=None, note: str) -> OrderEvent:
    """A refund was started (invoicing.services.refunds); staff read how, how much and why."""
    return _object_note(
        order_id=refund.order_id,
        about=("refund", refund.pk),
        kind=Kind.REFUND_REQUESTED,
        actor=actor,
        note=note,
        data={"refund": refund.pk, "amount": str(refund.amount), "method": refund.method},
    )


def event_return_requested(*, return_request, actor=None, note: str) -> OrderEvent:
    """The customer (or staff for them) asked to send goods back (orders.services.return_requests)."""
    return _object_note(
        order_id=return_request.order_id,
        about=("returnrequest", return_request.pk),
        kind=Kind.RETURN_REQUESTED,
        actor=actor,
        note=note,
        data={"return": return_request.number},
    )


def event_invoice_pdf_failed(*, order, invoice_number: str, error: str) -> OrderEvent:
    """The invoice PDF could not be rendered after every retry (for staff: fix the cause)."""
    return _note(
        order=order,
        kind=Kind.INVOICE_PDF_FAILED,
        system="invoice PDF task",
        note=f"The PDF of invoice {invoice_number} could not be rendered: {error[:500]}",
        data={"invoice": invoice_number},
    )


def _payment_gateway_failed(*, kind: OrderEvent.Kind, payment, operation: str, error: str) -> OrderEvent:
    return _note(
        order=payment.order,
        kind=kind,
        system="payment gateway",
        note=f"The gateway could not {operation} payment {payment.gateway_reference}: {error[:500]}",
        data={"payment": payment.pk, "gateway_reference": payment.gateway_reference},
    )


def event_payment_capture_failed(*, payment, error: str) -> OrderEvent:
    """Capturing a card payment failed at the gateway on every retry."""
    return _payment_gateway_failed(kind=Kind.PAYMENT_CAPTURE_FAILED, payment=payment, operation="capture", error=error)


def event_payment_void_failed(*, payment, error: str) -> OrderEvent:
    """Releasing a voided payment's card hold failed at the gateway on every retry."""
    return _payment_gateway_failed(kind=Kind.PAYMENT_VOID_FAILED, payment=payment, operation="void", error=error)


def event_feedback_received(*, order, overall_rating: int, needs_follow_up: bool) -> OrderEvent:
    """The customer answered the feedback request."""
    return _note(
        order=order,
        kind=Kind.FEEDBACK_RECEIVED,
        system="customer",
        note=f"Rated {overall_rating}/5" + (" — follow-up needed" if needs_follow_up else ""),
        data={"overall_rating": overall_rating, "needs_follow_up": needs_follow_up},
    )


def event_feedback_followed_up(*, order, feedback_id: int, note: str, actor=None) -> OrderEvent:
    """Customer service closed the follow-up of a low rating."""
    return _note(order=order, kind=Kind.FEEDBACK_FOLLOWED_UP, actor=actor, note=note, data={"feedback": feedback_id})


def event_order_staff_comment(*, order, note: str, actor) -> OrderEvent:
    """A staff member's comment on the order, for colleagues only: never shown or sent to the
    customer (the kind is in neither CUSTOMER_MESSAGES nor CUSTOMER_NOTES)."""
    return _note(order=order, kind=Kind.ORDER_STAFF_COMMENT, actor=actor, note=note)


def event_work_item_assigned(*, work_item, assignee, actor=None) -> OrderEvent:
    """A work item (assembly, engraving...) was given to someone, or taken from them (assignee None)."""
    who = (assignee.get_full_name() or assignee.get_username()) if assignee is not None else "nobody"
    return _object_note(
        order_id=work_item.order_id,
        about=("workitem", work_item.pk),
        kind=Kind.WORK_ITEM_ASSIGN,
        actor=actor,
        note=f"{work_item.kind} assigned to {who}",
        data={"work_item": work_item.pk, "assignee": assignee.pk if assignee is not None else None},
    )


def _shipment_note(*, shipment, kind: OrderEvent.Kind, note: str, actor=None, system: str = "", data=None):
    return _object_note(
        order_id=shipment.order_id,
        about=("shipment", shipment.pk),
        kind=kind,
        note=note,
        actor=actor,
        system=system,
        data=data,
    )


def event_shipment_out_for_delivery(*, shipment, actor=None, system: str = "", data: dict) -> OrderEvent:
    """The carrier has the parcel on the van today (a note: the parcel's state stays in transit)."""
    return _shipment_note(
        shipment=shipment,
        kind=Kind.SHIPMENT_OUT_FOR_DELIVERY,
        note=f"Parcel {shipment.number} is out for delivery.",
        actor=actor,
        system=system,
        data=data,
    )


def event_shipment_tracking_noted(*, shipment, kind_label: str, actor=None, system: str = "", data: dict):
    """A carrier update that does not fit the parcel's state (e.g. "in transit" after delivery): kept
    on the timeline for staff, the state is left alone."""
    return _shipment_note(
        shipment=shipment,
        kind=Kind.SHIPMENT_TRACKING_NOTED,
        note=f"Carrier reported “{kind_label}” for parcel {shipment.number} ({shipment.get_status_display()}): "
        "state left as it was.",
        actor=actor,
        system=system,
        data=data,
    )


def event_shipment_received_back(*, shipment, actor=None, data: dict) -> OrderEvent:
    """The returned parcel's units are back on the shelf (a stock movement of kind return)."""
    return _shipment_note(
        shipment=shipment,
        kind=Kind.SHIPMENT_RECEIVED_BACK,
        note=f"Parcel {shipment.number} received back; its units are in stock again. Decide: refund or re-ship.",
        actor=actor,
        data=data,
    )


def event_shipment_return_decided(*, shipment, actor=None, decision_label: str, note: str) -> OrderEvent:
    """Customer service decided what happens after a returned parcel (refund due, or re-ship)."""
    return _shipment_note(
        shipment=shipment,
        kind=Kind.SHIPMENT_RETURN_DECIDED,
        note=f"{decision_label}: {note}" if note else decision_label,
        actor=actor,
        data={"decision": decision_label},
    )
