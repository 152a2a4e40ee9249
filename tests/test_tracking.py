"""Tracking events (issue 11, item 9): recorded once per carrier event id, each moving its parcel
at most once through the transition core, on the order's timeline, e-mailing the customer where
they would want to know; the last delivery invoices the order (lifecycle.tracking)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lifecycle.tracking import tracking_event_receive
from orders.models import EmailNotification, Order, OrderEvent, Shipment, TrackingEvent
from orders.services.fulfillment import shipment_dispatch
from orders_site.core.exceptions import ApplicationError
from tests.builders import (
    carrier_build,
    order_build,
    parcels_of,
    shipment_hand_to_carrier,
    staff_member,
)

pytestmark = pytest.mark.django_db

Kind = TrackingEvent.Kind
WEBHOOK = TrackingEvent.Source.WEBHOOK


def dispatched(catalogue, carrier=None) -> Shipment:
    order = order_build(lines=[(catalogue.book, 1)], state="packed")
    parcel = parcels_of(order)[0]
    return shipment_hand_to_carrier(shipment=parcel, carrier=carrier or carrier_build())


def say(shipment, kind, event_id, **kwargs):
    return tracking_event_receive(
        shipment=shipment,
        kind=kind,
        occurred_at=kwargs.pop("occurred_at", timezone.now()),
        external_id=event_id,
        source=kwargs.pop("source", WEBHOOK),
        payload={"event_id": event_id},
        **kwargs,
    )


def kinds(order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order).order_by("pk").values_list("kind", flat=True))


def emails(order) -> list[str]:
    return list(EmailNotification.objects.filter(order=order).order_by("pk").values_list("kind", flat=True))


# -- dispatch with a carrier record ---------------------------------------------------------------


def test_dispatch_with_a_carrier_record_builds_the_tracking_link_from_its_template(catalogue):
    parcel = dispatched(catalogue)

    assert parcel.carrier_record.code == "postnl"
    assert parcel.carrier == "PostNL"  # the name, kept as at dispatch
    assert parcel.tracking_url == f"https://track.example/postnl/{parcel.tracking_number}"


def test_a_tracking_number_the_carrier_used_already_is_refused_beside_the_field(catalogue):
    carrier = carrier_build()
    first = dispatched(catalogue, carrier)
    other = parcels_of(order_build(lines=[(catalogue.book, 1)], state="packed"))[0]

    with pytest.raises(ApplicationError) as refusal:
        shipment_dispatch(
            shipment=other, carrier=carrier, tracking_number=first.tracking_number, actor=staff_member("Warehouse")
        )

    assert refusal.value.extra == {"field": "tracking_number"}
    assert "on another parcel already" in refusal.value.message
    other.refresh_from_db()
    assert other.status == Shipment.Status.PACKED


def test_a_retired_carrier_cannot_take_parcels(catalogue):
    carrier = carrier_build(code="dhl", name="DHL", is_active=False)
    parcel = parcels_of(order_build(lines=[(catalogue.book, 1)], state="packed"))[0]

    with pytest.raises(ApplicationError, match="no longer in use"):
        shipment_dispatch(shipment=parcel, carrier=carrier, tracking_number="X1", actor=staff_member("Warehouse"))


# -- each kind moves the parcel once --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "event_kind", "email"),
    [
        (Kind.IN_TRANSIT, Shipment.Status.IN_TRANSIT, OrderEvent.Kind.SHIPMENT_MARK_IN_TRANSIT, None),
        (Kind.OUT_FOR_DELIVERY, Shipment.Status.SHIPPED, OrderEvent.Kind.SHIPMENT_OUT_FOR_DELIVERY, "out_for_delivery"),
        (
            Kind.FAILED_ATTEMPT,
            Shipment.Status.DELIVERY_FAILED,
            OrderEvent.Kind.SHIPMENT_FAIL_DELIVERY,
            "delivery_attempt_failed",
        ),
    ],
)
def test_each_kind_moves_the_parcel_once_writes_the_timeline_and_mails_where_due(
    catalogue, kind, status, event_kind, email
):
    parcel = dispatched(catalogue)
    order = parcel.order
    before_events, before_emails = kinds(order), emails(order)

    outcome = say(parcel, kind, "E1")
    again = say(parcel, kind, "E1")

    parcel.refresh_from_db()
    assert parcel.status == status
    assert kinds(order) == [*before_events, event_kind]  # one event, the repeat wrote nothing
    assert emails(order) == [*before_emails, *([email] if email else [])]
    assert not outcome.duplicate and again.duplicate
    assert TrackingEvent.objects.filter(shipment=parcel).count() == 1


def test_delivered_from_the_carrier_delivers_the_order_and_issues_its_invoice(catalogue):
    parcel = dispatched(catalogue)

    say(parcel, Kind.IN_TRANSIT, "E1")
    say(parcel, Kind.OUT_FOR_DELIVERY, "E2")
    say(parcel, Kind.DELIVERED, "E3")
    say(parcel, Kind.DELIVERED, "E3")  # the carrier retries its call: nothing more happens

    parcel.refresh_from_db()
    order = Order.objects.get(pk=parcel.order_id)
    assert parcel.status == Shipment.Status.DELIVERED and parcel.delivered_at is not None
    assert order.status == Order.Status.INVOICED
    assert order.invoices.count() == 1
    assert kinds(order).count(OrderEvent.Kind.SHIPMENT_DELIVER) == 1
    assert emails(order).count("parcel_delivered") == 1
    delivered = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.SHIPMENT_DELIVER)
    assert delivered.actor_label == "system"


def test_a_second_delivered_event_on_a_delivered_parcel_changes_nothing(catalogue):
    parcel = dispatched(catalogue)
    say(parcel, Kind.DELIVERED, "E1")
    order = parcel.order
    before_events, before_emails = kinds(order), emails(order)

    outcome = say(parcel, Kind.DELIVERED, "E2")  # a different carrier event saying the same

    parcel.refresh_from_db()
    assert parcel.status == Shipment.Status.DELIVERED
    assert outcome.transition == ""
    assert emails(order) == before_emails
    # kept for staff as a note, the state left alone
    assert kinds(order) == [*before_events, OrderEvent.Kind.SHIPMENT_TRACKING_NOTED]
    assert Order.objects.get(pk=order.pk).invoices.count() == 1


def test_returned_after_a_failed_attempt_returns_the_parcel_to_sender(catalogue):
    parcel = dispatched(catalogue)
    say(parcel, Kind.FAILED_ATTEMPT, "E1")

    say(parcel, Kind.RETURNED, "E2")

    parcel.refresh_from_db()
    assert parcel.status == Shipment.Status.RETURNED_TO_SENDER
    assert kinds(parcel.order)[-1] == OrderEvent.Kind.SHIPMENT_RETURN_TO_SENDER


def test_the_failed_attempt_email_says_what_happens_next(catalogue, mailoutbox, django_capture_on_commit_callbacks):
    parcel = dispatched(catalogue)

    with django_capture_on_commit_callbacks(execute=True):
        say(parcel, Kind.FAILED_ATTEMPT, "E1")

    (message,) = [m for m in mailoutbox if "could not deliver" in m.subject]
    assert "What happens next" in message.body
    assert parcel.tracking_url in message.body


def test_out_for_delivery_is_shown_to_the_customer(catalogue):
    parcel = dispatched(catalogue)

    say(parcel, Kind.OUT_FOR_DELIVERY, "E1")

    event = OrderEvent.objects.get(order=parcel.order, kind=OrderEvent.Kind.SHIPMENT_OUT_FOR_DELIVERY)
    assert event.customer_visible and event.object_id == parcel.pk


def test_staff_record_events_with_their_name_on_the_timeline(catalogue):
    parcel = dispatched(catalogue)
    warehouse = staff_member("Warehouse")

    say(parcel, Kind.IN_TRANSIT, "staff-1", source=TrackingEvent.Source.STAFF, actor=warehouse)

    event = OrderEvent.objects.get(order=parcel.order, kind=OrderEvent.Kind.SHIPMENT_MARK_IN_TRANSIT)
    assert event.actor == warehouse


def test_an_event_for_a_parcel_not_dispatched_is_refused_and_nothing_is_recorded(catalogue):
    parcel = parcels_of(order_build(lines=[(catalogue.book, 1)], state="packed"))[0]

    with pytest.raises(ApplicationError, match="not been dispatched"):
        say(parcel, Kind.IN_TRANSIT, "E1", occurred_at=timezone.now() - timedelta(hours=1))

    assert not TrackingEvent.objects.exists()
