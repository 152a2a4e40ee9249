"""A parcel's promised dispatch date, set when fulfilment makes it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Shipment
from orders.services.fulfillment import shipment_dispatch
from tests.admin.journeys import place
from tests.builders import parcels_of

pytestmark = pytest.mark.django_db


def test_without_a_requested_date_the_promise_is_placement_plus_the_handling_days(shelved, staff_users, settings):
    settings.DISPATCH_HANDLING_DAYS = 3
    order = place(shelved, lines=[(shelved.lamp, 7)], state="in_fulfillment", actor=staff_users["Warehouse"])

    placed_on = timezone.localdate(order.placed_at)
    assert {parcel.dispatch_by for parcel in parcels_of(order)} == {placed_on + timedelta(days=3)}


def test_a_requested_date_comes_first_less_the_delivery_methods_longest_transit(shelved, staff_users):
    wanted = timezone.localdate() + timedelta(days=14)
    order = place(shelved, state="in_fulfillment", actor=staff_users["Warehouse"], requested_delivery_date=wanted)

    (parcel,) = parcels_of(order)
    assert parcel.dispatch_by == wanted - timedelta(days=order.delivery_method.max_days)


@pytest.mark.parametrize(("days_past_promise", "late"), [(-1, False), (0, False), (1, True)])
def test_dispatch_records_whether_the_parcel_left_after_its_promised_day(shelved, staff_users, days_past_promise, late):
    order = place(shelved, state="packed", actor=staff_users["Warehouse"])
    (parcel,) = parcels_of(order)
    Shipment.objects.filter(pk=parcel.pk).update(dispatch_by=timezone.localdate() - timedelta(days=days_past_promise))
    parcel.refresh_from_db()

    shipment_dispatch(shipment=parcel, carrier="PostNL", tracking_number=f"3SLATE{days_past_promise + 1}")

    parcel.refresh_from_db()
    assert parcel.dispatched_late is late
