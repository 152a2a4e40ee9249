"""One small function per kind of event on an order's timeline."""

from orders_site.core.models import actor_label

from .models import OrderEvent

# (object type, state reached) -> what the customer reads on the order page.
CUSTOMER_MESSAGES = {
    ("order", "placed"): "Order received",
    ("order", "backordered"): "Waiting for stock to arrive",
    ("order", "verified"): "Order confirmed",
    ("order", "in_fulfillment"): "Being prepared in the warehouse",
    ("order", "partially_shipped"): "Part of your order is on its way",
    ("order", "shipped"): "Your order is on its way",
    ("order", "delivered"): "Delivered",
    ("order", "invoiced"): "Invoice issued",
    ("order", "paid"): "Payment received",
    ("order", "completed"): "Order complete",
    ("order", "cancelled"): "Order cancelled",
    ("shipment", "shipped"): "Parcel handed to the carrier",
    ("shipment", "in_transit"): "Parcel in transit",
    ("shipment", "delivered"): "Parcel delivered",
    ("shipment", "delivery_failed"): "Delivery attempt failed",
    ("shipment", "returned_to_sender"): "Parcel returned to us",
}


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
) -> OrderEvent:
    object_type = obj._meta.model_name
    return OrderEvent.objects.create(
        order=order,
        object_type=object_type,
        object_id=obj.pk,
        kind=f"{object_type}.{transition}",
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_label=actor_label(actor, system),
        note=note,
        data=data or {},
        customer_visible=(object_type, to_state) in CUSTOMER_MESSAGES,
    )


def event_note(
    *,
    order,
    kind: str,
    note: str,
    actor=None,
    system: str = "",
    data: dict | None = None,
    customer_visible: bool = False,
) -> OrderEvent:
    """Something happened to the order that is not a state change (a check, an allocation, a note)."""
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor,
        actor_label=actor_label(actor, system),
        note=note,
        data=data or {},
        customer_visible=customer_visible,
    )


def event_customer_message(event: OrderEvent) -> str:
    return CUSTOMER_MESSAGES.get((event.object_type, event.to_state), event.note)
