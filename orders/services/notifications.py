"""Customer e-mails through an outbox: a row per event, written with the change, sent by a task."""

import logging

from django.db import transaction
from django.utils import timezone

from ..models import EmailNotification, Order

logger = logging.getLogger(__name__)


def notification_queue(*, order: Order, kind: str, subject_key: str = "") -> EmailNotification | None:
    """Record that this e-mail must go out, and send it by task after commit.

    The unique row makes the same event never mail twice (a second call returns None).
    Must be called inside the transaction that made the change.
    """
    from ..tasks import notification_send

    subject_key = subject_key or f"order:{order.pk}"
    notification, created = EmailNotification.objects.get_or_create(
        order=order, kind=kind, subject_key=subject_key, defaults={"recipient": order.email}
    )
    if not created:
        return None
    notification_send.delay_on_commit(notification.pk)
    return notification


def notification_deliver(*, notification_id: int) -> bool:
    """Send one pending e-mail. Safe to call twice: a sent row is never sent again.

    Locks the outbox row while sending, so two workers cannot both send it. Returns True when
    this call sent it. Rendering errors propagate (the task retries and finally marks it failed).
    """
    from ..emails import email_build

    with transaction.atomic():
        notification = (
            EmailNotification.objects.select_for_update().select_related("order").filter(pk=notification_id).first()
        )
        if notification is None or notification.status == EmailNotification.Status.SENT:
            return False
        message = email_build(notification=notification)
        notification.attempts += 1
        message.send()
        notification.status = EmailNotification.Status.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    return True


def notification_mark_failed(*, notification_id: int, error: str) -> None:
    EmailNotification.objects.filter(pk=notification_id).exclude(status=EmailNotification.Status.SENT).update(
        status=EmailNotification.Status.FAILED, last_error=error[:2000]
    )


def notification_resend_pending(*, older_than_minutes: int = 10) -> int:
    """Queue again what a lost task or a broker outage left unsent. Returns how many."""
    from ..tasks import notification_send

    cutoff = timezone.now() - timezone.timedelta(minutes=older_than_minutes)
    ids = list(
        EmailNotification.objects.filter(status=EmailNotification.Status.PENDING, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for notification_id in ids:
        notification_send.delay(notification_id)
    return len(ids)
