"""Reads for tracking: a carrier's parcel by its tracking number, a parcel's tracking events."""

from django.db.models import QuerySet

from orders.models import Carrier, Shipment, TrackingEvent


def shipment_by_tracking_number(*, carrier: Carrier, tracking_number: str) -> Shipment | None:
    """The carrier's parcel with this tracking number (dispatch keeps them unique per carrier)."""
    return Shipment.objects.filter(carrier_record=carrier, tracking_number=tracking_number.strip()).first()


def tracking_events_of(*, shipment: Shipment) -> QuerySet[TrackingEvent]:
    return TrackingEvent.objects.filter(shipment=shipment).order_by("occurred_at", "pk")
