"""A tracking event says the order's last parcel arrived -> the order is invoiced."""

from datetime import datetime

from django.db import transaction

from orders.models import Order, Shipment
from orders.services.tracking import TrackingOutcome, tracking_event_record

from .delivery import order_delivered_invoice


@transaction.atomic
def tracking_event_receive(
    *,
    shipment: Shipment,
    kind: str,
    occurred_at: datetime | None,
    external_id: str,
    source: str,
    actor=None,
    payload: dict | None = None,
) -> TrackingOutcome:
    """Record a tracking event (orders.services.tracking.tracking_event_record: once per carrier
    event id, the parcel moved at most once, e-mails queued); when it delivered the order's last
    parcel, invoice the order as the console's "Delivered" button does (lifecycle.delivery).

    Locks: as tracking_event_record, then the invoice number counter. Raises ApplicationError,
    TransitionRefused.
    """
    outcome = tracking_event_record(
        shipment=shipment,
        kind=kind,
        occurred_at=occurred_at,
        external_id=external_id,
        source=source,
        actor=actor,
        payload=payload,
    )
    if outcome.transition == "deliver":
        order_delivered_invoice(order=Order.objects.get(pk=shipment.order_id), actor=actor)
    return outcome
