"""Customer e-mails through an outbox: a row per event, written with the change, sent by a task."""

import logging

from django.db import transaction
from django.db.models import F
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

    # Robust: a broker outage must not fail the request that committed the change (nor the other
    # on-commit work); the row stays pending and notification_resend_pending sends it later.
    def send_after_commit(notification_id: int = notification.pk) -> None:
        notification_send.delay(notification_id)

    transaction.on_commit(send_after_commit, robust=True)
    return notification


def notification_deliver(*, notification_id: int) -> bool:
    """Send one pending e-mail. Safe to call twice: a sent row is never sent again.

    Locks the outbox row while sending, so two workers cannot both send it. Returns True when
    this call sent it. Rendering errors propagate (the task retries and finally marks it failed).
    """
    from ..emails import email_build

    try:
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
    except Exception as exc:
        # The failed attempt was rolled back with everything else; count it after the rollback so
        # staff see how often it was tried and why it failed.
        EmailNotification.objects.filter(pk=notification_id).exclude(status=EmailNotification.Status.SENT).update(
            attempts=F("attempts") + 1, last_error=repr(exc)[:2000]
        )
        raise
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


@transaction.atomic
def notification_resend(*, notification_ids: list[int], actor=None) -> int:
    """Staff ask for chosen e-mails to go out again (a lost task, a failure that is now fixed).

    Sent e-mails are skipped, so the customer never gets the same one twice; failed ones go back
    to pending. Locks the chosen outbox rows (in pk order). Queues one send task per row on commit
    and writes a note on each order's timeline. Returns how many were queued.
    """
    from ..events import event_note
    from ..tasks import notification_send

    notifications = list(
        EmailNotification.objects.filter(pk__in=notification_ids)
        .exclude(status=EmailNotification.Status.SENT)
        .select_related("order")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    for notification in notifications:
        if notification.status == EmailNotification.Status.FAILED:
            notification.status = EmailNotification.Status.PENDING
            notification.save(update_fields=["status"])

        # Robust, as in notification_queue: a broker outage leaves the row pending for
        # notification_resend_pending instead of failing the staff member's request.
        def send_after_commit(notification_id: int = notification.pk) -> None:
            notification_send.delay(notification_id)

        transaction.on_commit(send_after_commit, robust=True)
        event_note(
            order=notification.order,
            kind="notification.resend",
            actor=actor,
            note=f"{notification.get_kind_display()} e-mail to {notification.recipient} queued again",
            data={"notification": notification.pk, "attempts": notification.attempts},
        )
    return len(notifications)
