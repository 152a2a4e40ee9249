"""Managers' subscriptions: made with a fresh signing secret, changed, turned off and on (on again
clears the failure count, and events are recorded for it from then on)."""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders_site.core.exceptions import ApplicationError

from .models import EventType, WebhookSubscription


def _secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _checked_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    allowed = ("https",) if settings.WEBHOOK_REQUIRE_HTTPS else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        needed = "an https:// address" if settings.WEBHOOK_REQUIRE_HTTPS else "an http:// or https:// address"
        raise ApplicationError(f"Give {needed} the events can be posted to.", extra={"field": "url"})
    return url


def _checked_types(event_types) -> list[str]:
    chosen = sorted(set(event_types))
    unknown = [name for name in chosen if name not in EventType.values]
    if unknown:
        raise ApplicationError(f"Unknown event type: {', '.join(unknown)}.", extra={"field": "event_types"})
    if not chosen:
        raise ApplicationError("Choose at least one event to send.", extra={"field": "event_types"})
    return chosen


def webhook_subscription_create(*, name: str, url: str, event_types, created_by=None) -> WebhookSubscription:
    if not name.strip():
        raise ApplicationError("Name the receiver.", extra={"field": "name"})
    return WebhookSubscription.objects.create(
        name=name.strip(),
        url=_checked_url(url),
        event_types=_checked_types(event_types),
        secret=_secret(),
        created_by=created_by,
    )


@transaction.atomic
def webhook_subscription_update(
    *, subscription: WebhookSubscription, name: str, url: str, event_types, is_active: bool
) -> WebhookSubscription:
    """Change what is sent where. Turning a disabled subscription on clears why it was off."""
    if not name.strip():
        raise ApplicationError("Name the receiver.", extra={"field": "name"})
    row = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    row.name, row.url, row.event_types = name.strip(), _checked_url(url), _checked_types(event_types)
    if is_active and not row.is_active:
        row.failures_in_a_row, row.disabled_at, row.disabled_reason = 0, None, ""
    elif not is_active and row.is_active:
        row.disabled_at, row.disabled_reason = timezone.now(), "Turned off in the console"
    row.is_active = is_active
    row.save()
    return row


def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """A new signing secret, at once: the receiver must be given it (posts from now are signed with it)."""
    subscription.secret = _secret()
    subscription.save(update_fields=["secret"])
    return subscription
