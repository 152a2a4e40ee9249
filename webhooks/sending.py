"""Posting deliveries: signed, timed, logged; retried with exponential back-off until the
delivery's `retry_until` (a day, WEBHOOK_RETRY_HOURS), then given up, which disables the
subscription and tells the managers. A resend posts the same event (same id) again.

Signature: header `Webhook-Signature: v1=<hex HMAC-SHA256 of f"{Webhook-Timestamp}.{body}">` with
the subscription's secret; `Webhook-Timestamp` is Unix seconds, `Webhook-Id` the event's id.
"""

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from orders_site.core.exceptions import ApplicationError
from orders_site.core.hmac_signatures import hmac_sha256_hex
from orders_site.core.staff_groups import MANAGERS
from orders_site.core.tasks import task_send, task_send_on_commit

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from .outbox import SEND_TASK

ID_HEADER, EVENT_HEADER = "Webhook-Id", "Webhook-Event"
TIMESTAMP_HEADER, SIGNATURE_HEADER = "Webhook-Timestamp", "Webhook-Signature"
EXCERPT_CHARS = 500
# A claimed delivery is not taken by another worker for this long past its timeout: a worker that
# died mid-post leaves it to the sweep after that.
CLAIM_MARGIN_SECONDS = 60
SWEEP_BATCH = 500


def signature_header(*, secret: str, timestamp: str, body: bytes) -> str:
    return f"v1={hmac_sha256_hex(secret=secret, timestamp=timestamp, body=body)}"


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 30 s, 1 min, 2 min, … doubling, at most 4 hours apart."""
    seconds = settings.WEBHOOK_FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_MAX_RETRY_INTERVAL_SECONDS))


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (3xx, not delivered), never followed to another address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(*, url: str, headers: dict, body: bytes) -> PostResult:
    started = time.monotonic()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            code, raw = response.status, response.read(EXCERPT_CHARS * 4)
        error = ""
    except urllib.error.HTTPError as answer:  # a 3xx, 4xx or 5xx: the receiver answered
        code, raw, error = answer.code, answer.read(EXCERPT_CHARS * 4), ""
    except (OSError, ValueError) as failure:  # refused, timed out, unknown host, bad URL
        code, raw, error = None, b"", (str(getattr(failure, "reason", "")) or str(failure) or type(failure).__name__)
    duration = int((time.monotonic() - started) * 1000)
    excerpt = raw.decode("utf-8", "replace")[:EXCERPT_CHARS]
    return PostResult(status_code=code, duration_ms=duration, excerpt=excerpt, error=error[:300])


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take a due delivery of an active subscription for one attempt (committed, so no other worker
    posts it meanwhile), or None if it is not due, done, or being posted elsewhere."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(
                pk=delivery_id,
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + CLAIM_MARGIN_SECONDS)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Post one due delivery once and record what happened. Returns it, or None if not due."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    subscription = delivery.subscription
    body = delivery.body.encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"{settings.SHOP_NAME} webhooks",
        ID_HEADER: delivery.event_id,
        EVENT_HEADER: delivery.event_type,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature_header(secret=subscription.secret, timestamp=timestamp, body=body),
    }
    attempted_at = timezone.now()
    result = _post(url=subscription.url, headers=headers, body=body)
    _record(delivery=delivery, attempted_at=attempted_at, result=result)
    return delivery


@transaction.atomic
def _record(*, delivery: WebhookDelivery, attempted_at, result: PostResult) -> None:
    now = timezone.now()
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=attempted_at,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        response_excerpt=result.excerpt,
        error=result.error,
    )
    delivery.last_status_code = result.status_code
    delivery.last_duration_ms = result.duration_ms
    delivery.last_response = result.excerpt
    delivery.last_error = result.error
    subscriptions = WebhookSubscription.objects.filter(pk=delivery.subscription_id)
    if result.succeeded:
        delivery.status, delivery.succeeded_at, delivery.next_attempt_at = WebhookDelivery.Status.SUCCEEDED, now, None
        subscriptions.update(failures_in_a_row=0)
    else:
        subscriptions.update(failures_in_a_row=F("failures_in_a_row") + 1)
        next_at = now + retry_delay(delivery.attempts)
        if next_at <= delivery.retry_until:
            delivery.next_attempt_at = next_at
        else:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
            _disable(delivery=delivery, result=result)
    delivery.save(
        update_fields=[
            "status",
            "succeeded_at",
            "next_attempt_at",
            "last_status_code",
            "last_duration_ms",
            "last_response",
            "last_error",
        ]
    )


def _what_came_back(result: PostResult) -> str:
    return f"HTTP {result.status_code}" if result.status_code is not None else result.error or "no answer"


def _disable(*, delivery: WebhookDelivery, result: PostResult) -> None:
    """A delivery failed for a whole retry window: stop posting to this receiver and say so."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    if not subscription.is_active:
        return
    hours = settings.WEBHOOK_RETRY_HOURS
    subscription.is_active = False
    subscription.disabled_at = timezone.now()
    subscription.disabled_reason = (
        f"{delivery.event_type} {delivery.event_id} failed for {hours} hours "
        f"({delivery.attempts} attempts, last: {_what_came_back(result)})"
    )[:300]
    subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    transaction.on_commit(lambda: _mail_managers_disabled(subscription), robust=True)


def _managers_emails() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    managers = users.filter(groups__name=MANAGERS) | users.filter(is_superuser=True)
    return sorted(set(managers.values_list("email", flat=True)))


def _mail_managers_disabled(subscription: WebhookSubscription) -> None:
    recipients = _managers_emails()
    if not recipients:
        return
    link = settings.SHOP_BASE_URL.rstrip("/") + reverse(
        "admin:webhooks_webhooksubscription_change", args=[subscription.pk]
    )
    EmailMessage(
        subject=f"Webhook to {subscription.name} disabled: its receiver kept failing",
        body=(
            f"We stopped posting events to {subscription.name} ({subscription.url}).\n\n"
            f"Why: {subscription.disabled_reason}.\n\n"
            "Events from now on are not recorded for it. Once the receiver works again, turn the "
            "subscription back on and resend what it missed from its delivery log:\n"
            f"{link}"
        ),
        to=recipients,
        from_email=settings.DEFAULT_FROM_EMAIL,
    ).send()


def webhook_deliveries_due(*, now=None, limit: int = SWEEP_BATCH) -> list[int]:
    """Deliveries of active subscriptions whose next attempt is due (oldest first)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now, subscription__is_active=True
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_deliveries_queue_due() -> int:
    """The beat's sweep: queue a post for every due delivery (retries, and first posts that a
    broker outage kept from being queued). Returns how many."""
    due = webhook_deliveries_due()
    for delivery_id in due:
        task_send(SEND_TASK, [delivery_id])
    return len(due)


@transaction.atomic
def webhook_delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Post a delivery again now (the same event id and body), with a fresh retry window.
    Raises ApplicationError while its subscription is off (turn it on first)."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    if not delivery.subscription.is_active:
        raise ApplicationError(
            f"The subscription {delivery.subscription.name} is off: turn it on before resending its events."
        )
    now = timezone.now()
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = now
    delivery.retry_until = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    delivery.succeeded_at = None
    delivery.save(update_fields=["status", "next_attempt_at", "retry_until", "succeeded_at"])
    task_send_on_commit(SEND_TASK, [delivery.pk])
    return delivery
