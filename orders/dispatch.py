"""The promised dispatch date of a parcel: the day it must leave the warehouse."""

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone


def dispatch_by_for(order) -> date:
    """The customer's requested delivery date less the delivery method's longest transit time;
    without a requested date, the day of placement plus DISPATCH_HANDLING_DAYS."""
    if order.requested_delivery_date:
        return order.requested_delivery_date - timedelta(days=order.delivery_method.max_days)
    placed = timezone.localdate(order.placed_at) if order.placed_at else timezone.localdate()
    return placed + timedelta(days=settings.DISPATCH_HANDLING_DAYS)


def dispatch_overdue(dispatch_by: date | None, *, today: date | None = None) -> bool:
    return dispatch_by is not None and dispatch_by < (today or timezone.localdate())
