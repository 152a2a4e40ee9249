"""Reads for returned parcels: the "decide refund or re-ship" queue."""

from orders.models import Shipment


def returned_parcels_undecided_count() -> int:
    """Parcels returned to sender with no decision yet (shipment_return_undecided_idx answers it)."""
    return Shipment.objects.filter(status=Shipment.Status.RETURNED_TO_SENDER, return_decided_at__isnull=True).count()
