"""Inbound carrier webhooks: POST /hooks/carriers/<code>/, one tracking event per request.

The endpoint only checks and translates: carrier, timestamp (at most five minutes off either way),
signature (hooks.signatures), JSON payload, the parcel by its tracking number; then it calls
lifecycle.tracking.tracking_event_receive, which records the event once and moves the parcel.
Every refusal is logged, answered with an RFC 9457 problem body and changes nothing.
"""

import json
import logging
import time

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from lifecycle.tracking import tracking_event_receive
from orders.models import Carrier, TrackingEvent
from orders.selectors.tracking import shipment_by_tracking_number
from orders_site.core.exceptions import ApplicationError
from orders_site.core.problems import problem_body

from .signatures import MAX_AGE_SECONDS, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_matches

logger = logging.getLogger(__name__)

FIELDS = ("event_id", "tracking_number", "kind", "occurred_at")


def problem(*, status: int, slug: str, title: str, detail: str, carrier_code: str = "", **log) -> JsonResponse:
    """A refusal: logged, and answered as application/problem+json (type, title, status, detail)."""
    logger.warning("Carrier webhook refused (%s %s) carrier=%s: %s %s", status, slug, carrier_code, detail, log or "")
    body = problem_body(status=status, slug=slug, title=title, detail=detail)
    response = JsonResponse(body, status=status, content_type="application/problem+json")
    if status == 405:
        response["Allow"] = "POST"
    return response


@csrf_exempt
def carrier_webhook(request, code: str):
    if request.method != "POST":
        return problem(
            status=405, slug="method-not-allowed", title="Method not allowed", detail="POST only.", carrier_code=code
        )
    carrier = Carrier.objects.filter(code=code, is_active=True).first()
    if carrier is None:
        return problem(
            status=404,
            slug="unknown-carrier",
            title="Unknown carrier",
            detail=f"No carrier “{code}”.",
            carrier_code=code,
        )
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or not signature:
        return problem(
            status=400,
            slug="missing-signature",
            title="Missing signature",
            detail=f"Send {TIMESTAMP_HEADER} (Unix seconds) and {SIGNATURE_HEADER} (sha256=<hex>).",
            carrier_code=code,
        )
    if abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        return problem(
            status=401,
            slug="stale-timestamp",
            title="Stale timestamp",
            detail=f"The timestamp is more than {MAX_AGE_SECONDS} seconds from now; sign the request again.",
            carrier_code=code,
            timestamp=timestamp,
        )
    try:
        body = request.body
    except RequestDataTooBig:
        return problem(
            status=413,
            slug="too-large",
            title="Too large",
            detail="One tracking event per request, at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes.",
            carrier_code=code,
        )
    if not signature_matches(secret=carrier.webhook_secret, timestamp=timestamp, body=body, signature=signature):
        return problem(
            status=401,
            slug="bad-signature",
            title="Bad signature",
            detail="The signature does not match this carrier's secret.",
            carrier_code=code,
        )
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return problem(
            status=400, slug="malformed-json", title="Malformed JSON", detail="The body is not JSON.", carrier_code=code
        )
    problem_detail = _payload_problem(payload)
    if problem_detail:
        return problem(
            status=400, slug="invalid-payload", title="Invalid payload", detail=problem_detail, carrier_code=code
        )
    shipment = shipment_by_tracking_number(carrier=carrier, tracking_number=payload["tracking_number"])
    if shipment is None:
        return problem(
            status=422,
            slug="unknown-shipment",
            title="Unknown shipment",
            detail=f"No {carrier.name} parcel with tracking number “{payload['tracking_number']}”.",
            carrier_code=code,
        )
    try:
        outcome = tracking_event_receive(
            shipment=shipment,
            kind=payload["kind"],
            occurred_at=parse_datetime(payload["occurred_at"]),
            external_id=payload["event_id"],
            source=TrackingEvent.Source.WEBHOOK,
            payload=payload,
        )
    except ApplicationError as error:
        return problem(status=422, slug="event-refused", title="Event refused", detail=error.message, carrier_code=code)
    shipment.refresh_from_db(fields=["status"])
    return JsonResponse(
        {
            "status": "duplicate" if outcome.duplicate else "recorded",
            "shipment": shipment.number,
            "shipment_status": shipment.status,
            "changed_state": bool(outcome.transition),
        }
    )


def _payload_problem(payload) -> str:
    """What is wrong with the payload, for the carrier to read; "" when nothing is."""
    if not isinstance(payload, dict):
        return "The body must be a JSON object."
    missing = [name for name in FIELDS if not isinstance(payload.get(name), str) or not payload[name].strip()]
    if missing:
        return f"Missing or empty: {', '.join(missing)} (all strings)."
    if payload["kind"] not in TrackingEvent.Kind.values:
        return f"Unknown kind “{payload['kind']}”; one of {', '.join(TrackingEvent.Kind.values)}."
    occurred_at = parse_datetime(payload["occurred_at"])
    if occurred_at is None or occurred_at.tzinfo is None:
        return "occurred_at must be an ISO 8601 date and time with its offset, e.g. 2026-12-02T14:05:00+01:00."
    if len(payload["event_id"]) > 100:
        return "event_id is longer than 100 characters."
    return ""
