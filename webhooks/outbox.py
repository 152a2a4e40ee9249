"""The outbox: a change that other systems hear of writes its deliveries in its own transaction
(so a rolled-back change sends nothing and a committed one is never lost), and the posting task is
queued once that transaction commits. Callers hand in WebhookEvents; this finds who subscribed."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import uuid4

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from orders_site.core.tasks import task_send_on_commit

from .models import WebhookDelivery, WebhookSubscription

SEND_TASK = "webhooks.tasks.webhook_deliveries_send_task"


@dataclass(frozen=True)
class WebhookEvent:
    type: str  # an EventType value
    data: dict = field(default_factory=dict)  # JSON-able; Decimals become strings


def event_body(*, event_id: str, event_type: str, created, data: dict) -> str:
    """The posted JSON: the event's id (receivers drop one they have seen), type, time and data."""
    payload = {"id": event_id, "type": event_type, "created": created.isoformat(), "data": data}
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def webhook_events_record(events: Iterable[WebhookEvent]) -> list[WebhookDelivery]:
    """One delivery per event and active subscription that wants its type. Called inside the
    change's transaction (every caller's change is atomic), so the deliveries commit or roll back
    with it. One query when nobody subscribed (the usual case), two when someone did."""
    events = list(events)
    if not events:
        return []
    subscriptions = list(WebhookSubscription.objects.filter(is_active=True).values_list("pk", "event_types"))
    if not subscriptions:
        return []
    now = timezone.now()
    retry_until = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    deliveries = []
    for event in events:
        wanted = [pk for pk, types in subscriptions if event.type in types]
        if not wanted:
            continue
        event_id = f"evt_{uuid4().hex}"
        body = event_body(event_id=event_id, event_type=event.type, created=now, data=event.data)
        deliveries += [
            WebhookDelivery(
                subscription_id=pk,
                event_id=event_id,
                event_type=event.type,
                body=body,
                next_attempt_at=now,
                retry_until=retry_until,
            )
            for pk in wanted
        ]
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
        task_send_on_commit(SEND_TASK, [delivery.pk for delivery in deliveries])
    return deliveries
