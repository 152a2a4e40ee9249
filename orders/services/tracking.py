"""Tracking events, from staff or a carrier's webhook: each recorded once, each moving its parcel's
state at most once. The invoice after the last delivery follows in lifecycle.tracking."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from orders_site.core.exceptions import ApplicationError

from .. import events
from ..locks import order_lock
from ..models import EmailNotification, Shipment, TrackingEvent
from .fulfillment import shipment_deliver
from .notifications import notification_queue
from .transitions import transition_run

Kind = TrackingEvent.Kind
S = Shipment.Status

# kind -> (the transition it makes, the states it makes it from). Out for delivery is a note, not a
# state: the parcel is still in transit, and a later "delivered" or "failed attempt" follows.
MOVES: dict[str, tuple[str, frozenset[str]]] = {
    Kind.IN_TRANSIT: ("mark_in_transit", frozenset({S.SHIPPED})),
    Kind.DELIVERED: ("deliver", frozenset({S.SHIPPED, S.IN_TRANSIT})),
    Kind.FAILED_ATTEMPT: ("fail_delivery", frozenset({S.SHIPPED, S.IN_TRANSIT})),
    Kind.RETURNED: ("return_to_sender", frozenset({S.DELIVERY_FAILED})),
}
EMAILS: dict[str, str] = {
    Kind.OUT_FOR_DELIVERY: EmailNotification.Kind.OUT_FOR_DELIVERY,
    Kind.DELIVERED: EmailNotification.Kind.PARCEL_DELIVERED,
    Kind.FAILED_ATTEMPT: EmailNotification.Kind.DELIVERY_ATTEMPT_FAILED,
}
ON_THE_WAY = frozenset({S.SHIPPED, S.IN_TRANSIT})


@dataclass
class TrackingOutcome:
    """What recording did: `event` is None when the carrier sent this event before (nothing done);
    `transition` names the state change made ("" for none)."""

    event: TrackingEvent | None
    transition: str = ""

    @property
    def duplicate(self) -> bool:
        return self.event is None


@transaction.atomic
def tracking_event_record(
    *,
    shipment: Shipment,
    kind: str,
    occurred_at: datetime | None,
    external_id: str,
    source: str,
    actor=None,
    payload: dict | None = None,
) -> TrackingOutcome:
    """Record one tracking event for a dispatched parcel and act on it once.

    The same `external_id` from the parcel's carrier again does nothing (TrackingOutcome.duplicate).
    Otherwise the event is stored and, when the parcel is in a state the kind moves from, the
    parcel moves (in transit, delivered (the order too when it was the last), delivery failed,
    returned to sender) through the transition core; an event that does not fit the state is
    kept as a note for staff. Out for delivery is a note the customer sees. Queues the customer
    e-mail for out for delivery, delivered and a failed attempt (once per parcel and kind).

    Locks: orders.locks.order_lock, then the shipment (transition core), as dispatch and delivery.
    Raises ApplicationError (unknown kind, empty external id, a parcel not dispatched) before writing.
    """
    if kind not in Kind.values:
        raise ApplicationError(f"Unknown tracking event “{kind}”.", extra={"field": "kind"})
    if not external_id.strip():
        raise ApplicationError("A tracking event needs its carrier's event id.", extra={"field": "external_id"})
    if source not in TrackingEvent.Source.values:
        raise ApplicationError(f"Unknown source “{source}”.")
    order_lock(order_id=shipment.order_id)
    shipment = Shipment.objects.get(pk=shipment.pk)
    if shipment.status not in {*ON_THE_WAY, S.DELIVERED, S.DELIVERY_FAILED, S.RETURNED_TO_SENDER}:
        raise ApplicationError(f"Parcel {shipment.number} has not been dispatched ({shipment.get_status_display()}).")
    carrier = shipment.carrier_record
    seen = TrackingEvent.objects.filter(external_id=external_id.strip())
    seen = seen.filter(carrier=carrier) if carrier is not None else seen.filter(carrier=None, shipment=shipment)
    if seen.exists():
        return TrackingOutcome(event=None)

    system = f"carrier {carrier.code}" if carrier is not None and actor is None else ""
    data = {"tracking_event": external_id.strip(), "source": source, "kind": kind}
    transition, sources = MOVES.get(kind, ("", frozenset()))
    applies = shipment.status in sources if transition else shipment.status in ON_THE_WAY
    event = TrackingEvent.objects.create(
        shipment=shipment,
        carrier=carrier,
        kind=kind,
        occurred_at=occurred_at or timezone.now(),
        external_id=external_id.strip(),
        payload=payload or {},
        source=source,
        applied=applies,
    )
    if not applies:
        events.event_shipment_tracking_noted(
            shipment=shipment, kind_label=Kind(kind).label, actor=actor, system=system, data=data
        )
        return TrackingOutcome(event=event)
    if kind == Kind.OUT_FOR_DELIVERY:
        events.event_shipment_out_for_delivery(shipment=shipment, actor=actor, system=system, data=data)
    elif kind == Kind.DELIVERED:
        # Staff record it with their own permission; a carrier's word is the system's.
        shipment_deliver(shipment=shipment, actor=actor)
    else:
        note = (
            "The carrier will try again or keep the parcel for collection; we follow up."
            if kind == Kind.FAILED_ATTEMPT
            else ""
        )
        transition_run(
            model=Shipment,
            pk=shipment.pk,
            transition=transition,
            actor=actor,
            system=system,
            note=note,
            data=data,
        )
    if kind in EMAILS:
        order = shipment.order
        notification_queue(order=order, kind=EMAILS[kind], subject_key=f"shipment:{shipment.pk}")
    return TrackingOutcome(event=event, transition=transition if kind != Kind.OUT_FOR_DELIVERY else "")
