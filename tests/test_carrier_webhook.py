"""The carrier webhook (issue 11, item 9): POST /hooks/carriers/<code>/, signed with HMAC-SHA256
over f"{timestamp}.{raw body}" with the carrier's secret. Every refusal is a 4xx with an RFC 9457
problem body, is logged, and changes nothing (checked in the database)."""

import json
import logging
import time

import pytest
from django.urls import reverse

from hooks.signatures import signature_for
from orders.models import EmailNotification, OrderEvent, Shipment, TrackingEvent
from tests.builders import carrier_build, order_build, parcels_of, shipment_hand_to_carrier

pytestmark = pytest.mark.django_db

SECRET = "s3cret"


@pytest.fixture
def parcel(catalogue):
    order = order_build(lines=[(catalogue.book, 1)], state="packed")
    return shipment_hand_to_carrier(shipment=parcels_of(order)[0], carrier=carrier_build(webhook_secret=SECRET))


def payload(parcel, **overrides) -> dict:
    return {
        "event_id": "EV-1",
        "tracking_number": parcel.tracking_number,
        "kind": "in_transit",
        "occurred_at": "2026-12-02T10:00:00+01:00",
        **overrides,
    }


def post(client, body, *, code="postnl", secret=SECRET, timestamp=None, signature=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "HTTP_X_CARRIER_TIMESTAMP": timestamp,
        "HTTP_X_CARRIER_SIGNATURE": signature or signature_for(secret=secret, timestamp=timestamp, body=raw),
    }
    return client.post(
        reverse("hooks:carrier_webhook", args=[code]), data=raw, content_type="application/json", **headers
    )


def state(parcel) -> tuple:
    """Everything a refused call must leave as it was."""
    parcel = Shipment.objects.get(pk=parcel.pk)
    return (
        parcel.status,
        TrackingEvent.objects.count(),
        OrderEvent.objects.filter(order_id=parcel.order_id).count(),
        EmailNotification.objects.filter(order_id=parcel.order_id).count(),
    )


def assert_problem(response, status: int, title: str):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail"}
    assert body["title"] == title and body["status"] == status and body["detail"]
    assert body["type"].endswith("/problems/" + title.lower().replace(" ", "-"))


def test_a_validly_signed_event_moves_the_parcel_and_answers_200(parcel, client):
    response = post(client, payload(parcel))

    assert response.status_code == 200
    assert response.json() == {
        "status": "recorded",
        "shipment": parcel.number,
        "shipment_status": "in_transit",
        "changed_state": True,
    }
    event = TrackingEvent.objects.get()
    assert (event.kind, event.source, event.external_id, event.payload["event_id"]) == (
        "in_transit",
        "webhook",
        "EV-1",
        "EV-1",
    )
    assert OrderEvent.objects.filter(order_id=parcel.order_id, kind="shipment.mark_in_transit").get().actor_label == (
        "carrier postnl"
    )


def test_a_delivered_event_for_the_last_parcel_issues_the_invoice(parcel, client):
    response = post(client, payload(parcel, kind="delivered"))

    assert response.status_code == 200
    assert Shipment.objects.get(pk=parcel.pk).order.invoices.count() == 1


def test_a_bad_signature_is_refused_with_401_logged_and_changes_nothing(parcel, client, caplog):
    before = state(parcel)

    with caplog.at_level(logging.WARNING, logger="hooks.views"):
        response = post(client, payload(parcel), secret="not-the-secret")

    assert_problem(response, 401, "Bad signature")
    assert state(parcel) == before
    assert "bad-signature" in caplog.text and "postnl" in caplog.text


def test_a_body_changed_after_signing_is_refused(parcel, client):
    timestamp = str(int(time.time()))
    signed = signature_for(secret=SECRET, timestamp=timestamp, body=json.dumps(payload(parcel)).encode())
    before = state(parcel)

    response = post(client, payload(parcel, kind="delivered"), timestamp=timestamp, signature=signed)

    assert_problem(response, 401, "Bad signature")
    assert state(parcel) == before


@pytest.mark.parametrize("age", [301, -301, 3600])
def test_a_stale_timestamp_is_refused_even_when_signed_correctly(parcel, client, age, caplog):
    before = state(parcel)

    with caplog.at_level(logging.WARNING, logger="hooks.views"):
        response = post(client, payload(parcel), timestamp=int(time.time()) - age)

    assert_problem(response, 401, "Stale timestamp")
    assert state(parcel) == before
    assert "stale-timestamp" in caplog.text


def test_a_replayed_event_answers_200_and_changes_nothing(parcel, client):
    assert post(client, payload(parcel)).status_code == 200
    before = state(parcel)

    # the same event, signed afresh (a carrier's retry): recorded once already
    response = post(client, payload(parcel))

    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert response.json()["changed_state"] is False
    assert state(parcel) == before


def test_an_unknown_shipment_is_refused_with_422_and_changes_nothing(parcel, client):
    before = state(parcel)

    response = post(client, payload(parcel, tracking_number="NOPE123"))

    assert_problem(response, 422, "Unknown shipment")
    assert "NOPE123" in response.json()["detail"]
    assert state(parcel) == before


def test_another_carriers_tracking_number_is_an_unknown_shipment(parcel, client):
    carrier_build(code="dhl", name="DHL", webhook_secret="dhl-secret")

    response = post(client, payload(parcel), code="dhl", secret="dhl-secret")

    assert_problem(response, 422, "Unknown shipment")


def test_malformed_json_is_refused_with_400_and_changes_nothing(parcel, client):
    before = state(parcel)

    response = post(client, b'{"event_id": "EV-1", "kind": ')

    assert_problem(response, 400, "Malformed JSON")
    assert state(parcel) == before


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"event_id": "EV-1", "kind": "in_transit"}, "tracking_number"),
        (
            {"event_id": "", "tracking_number": "X", "kind": "in_transit", "occurred_at": "2026-12-02T10:00:00Z"},
            "event_id",
        ),
        (
            {"event_id": "E", "tracking_number": "X", "kind": "lost", "occurred_at": "2026-12-02T10:00:00Z"},
            "Unknown kind",
        ),
        ({"event_id": "E", "tracking_number": "X", "kind": "delivered", "occurred_at": "yesterday"}, "occurred_at"),
        (
            {"event_id": "E", "tracking_number": "X", "kind": "delivered", "occurred_at": "2026-12-02T10:00:00"},
            "offset",
        ),
        (["not", "an", "object"], "JSON object"),
    ],
)
def test_missing_or_bad_fields_are_refused_with_400_saying_which(parcel, client, body, says):
    before = state(parcel)

    response = post(client, body)

    assert_problem(response, 400, "Invalid payload")
    assert says in response.json()["detail"]
    assert state(parcel) == before


def test_an_unknown_carrier_is_404(parcel, client):
    response = post(client, payload(parcel), code="nobody")

    assert_problem(response, 404, "Unknown carrier")


def test_missing_signature_headers_are_400(parcel, client):
    response = client.post(
        reverse("hooks:carrier_webhook", args=["postnl"]), data=payload(parcel), content_type="application/json"
    )

    assert_problem(response, 400, "Missing signature")
    assert TrackingEvent.objects.count() == 0


def test_only_post_is_allowed(parcel, client):
    response = client.get(reverse("hooks:carrier_webhook", args=["postnl"]))

    assert_problem(response, 405, "Method not allowed")
    assert response["Allow"] == "POST"


def test_an_event_the_parcels_state_refuses_is_422_and_changes_nothing(catalogue, client):
    carrier = carrier_build(webhook_secret=SECRET)
    packed = parcels_of(order_build(lines=[(catalogue.book, 1)], state="packed"))[0]
    # a parcel not dispatched, yet carrying the carrier's number (a label printed ahead)
    Shipment.objects.filter(pk=packed.pk).update(carrier_record=carrier, tracking_number="EARLY1")
    before = state(packed)

    response = post(client, payload(packed, tracking_number="EARLY1"))

    assert_problem(response, 422, "Event refused")
    assert state(packed) == before


def test_an_oversized_body_is_refused_with_413(parcel, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    before = state(parcel)

    response = post(client, payload(parcel, note="x" * 500))

    assert_problem(response, 413, "Too large")
    assert state(parcel) == before
