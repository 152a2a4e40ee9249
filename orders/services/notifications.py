"""Customer e-mails through an outbox: a row per event, written with the change, sent by a task."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from orders_site.core.tasks import task_send, task_send_on_commit

from ..events import event_notification_resent
from ..locks import notifications_lock
from ..models import EmailNotification, Order, Quote

# Rendering an e-mail needs invoicing and feedback, so the send lives in the lifecycle layer.
NOTIFICATION_SEND_TASK = "lifecycle.tasks.notification_send"

logger = logging.getLogger(__name__)

# The fields of EmailNotification's one_email_per_event constraint (and, for a quote's e-mail,
# of one_email_per_quote_event).
UNIQUE_FIELDS = ("order", "kind", "subject_key")
QUOTE_UNIQUE_FIELDS = ("quote", "kind", "subject_key")


def notification_queue(*, order: Order, kind: str, subject_key: str = "") -> EmailNotification | None:
    """Record that this e-mail must go out, and send it by task after commit.

    The unique row makes the same event never mail twice (a second call returns None): one
    INSERT ... ON CONFLICT DO NOTHING, which a concurrent transaction queueing the same e-mail
    waits on and then skips, with no savepoint. Must be called inside the transaction that made
    the change.
    """
    notification = EmailNotification(
        order=order, kind=kind, subject_key=subject_key or f"order:{order.pk}", recipient=order.email
    )
    if not _insert_unless_queued(notification):
        return None

    # A broker outage leaves the row pending; notification_resend_pending sends it later.
    task_send_on_commit(NOTIFICATION_SEND_TASK, notification.pk)
    return notification


def quote_notification_queue(*, quote: Quote, subject_key: str) -> EmailNotification | None:
    """Record that the quote e-mail (its PDF and signed link) must go out, and send it by task after
    commit; `subject_key` names this sending of the quote, so it mails once. The same outbox as the
    order e-mails (retries, the beat sweep, "send again"). Must be called inside the transaction
    that sent the quote. Returns None when this sending was queued already."""
    notification = EmailNotification(
        quote=quote, kind=EmailNotification.Kind.QUOTE, subject_key=subject_key, recipient=quote.email
    )
    if not _insert_unless_queued(notification, unique_fields=QUOTE_UNIQUE_FIELDS):
        return None
    task_send_on_commit(NOTIFICATION_SEND_TASK, notification.pk)
    return notification


def _insert_unless_queued(notification: EmailNotification, unique_fields=UNIQUE_FIELDS) -> bool:
    """INSERT the row unless one for its order, kind and subject is there (one_email_per_event).
    Sets its pk and returns True when it was inserted. PostgreSQL and SQLite (3.35+) both speak
    ON CONFLICT ... RETURNING; the ORM's bulk_create(ignore_conflicts=True) does not return the pk."""
    meta = EmailNotification._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(notification, add=True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({', '.join(quote(meta.get_field(name).column) for name in unique_fields)}) DO NOTHING "
            f"RETURNING {quote(meta.pk.column)}",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return False
    notification.pk = row[0]
    notification._state.adding = False
    notification._state.db = connection.alias
    return True


def notification_mark_failed(*, notification_id: int, error: str) -> None:
    EmailNotification.objects.filter(pk=notification_id).exclude(status=EmailNotification.Status.SENT).update(
        status=EmailNotification.Status.FAILED, last_error=error[:2000]
    )


def notification_resend_pending(*, older_than_seconds: int | None = None) -> int:
    """Queue again what a lost task or a broker outage left unsent that long after it was queued
    (by default RECOVERY_SWEEP_AFTER_SECONDS). Rows another worker claimed less than
    NOTIFICATION_CLAIM_SECONDS ago are left to it: it may be talking to the mail server right now.
    Returns how many."""
    if older_than_seconds is None:
        older_than_seconds = settings.RECOVERY_SWEEP_AFTER_SECONDS
    now = timezone.now()
    claim_expired = Q(claimed_at__isnull=True) | Q(
        claimed_at__lte=now - timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    )
    ids = list(
        EmailNotification.objects.filter(
            claim_expired,
            status=EmailNotification.Status.PENDING,
            created_at__lt=now - timedelta(seconds=older_than_seconds),
        ).values_list("pk", flat=True)
    )
    for notification_id in ids:
        task_send(NOTIFICATION_SEND_TASK, notification_id)
    return len(ids)


@transaction.atomic
def notification_resend(*, notification_ids: list[int], actor=None) -> int:
    """Staff ask for chosen e-mails to go out again (a lost task, a failure that is now fixed).

    Sent e-mails are skipped, so the customer never gets the same one twice; failed ones go back
    to pending. Locks: orders.locks.notifications_lock (the unsent ones, pk order). Queues one send
    task per row on commit and writes a note on each order's timeline. Returns how many were queued.
    """
    notifications = notifications_lock(notification_ids=notification_ids)
    for notification in notifications:
        if notification.status == EmailNotification.Status.FAILED:
            notification.status = EmailNotification.Status.PENDING
            notification.save(update_fields=["status"])
        task_send_on_commit(NOTIFICATION_SEND_TASK, notification.pk)
        if notification.order_id is not None:  # a quote's e-mail has no order timeline yet
            event_notification_resent(notification=notification, actor=actor)
    return len(notifications)
