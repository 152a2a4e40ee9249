"""The e-mail outbox (orders/services/notifications.py, lifecycle/notifications.py and its task): one row per event,
written with the change, sent by a task, never twice, re-sendable, failures recorded."""

import smtplib
from datetime import timedelta
from unittest import mock

import kombu.exceptions
import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from lifecycle.notifications import notification_deliver
from lifecycle.tasks import notification_send
from orders.models import EmailNotification, Order
from orders.services.notifications import (
    notification_mark_failed,
    notification_queue,
    notification_resend_pending,
)
from tests.builders import order_build

pytestmark = pytest.mark.django_db

Kind, Status = EmailNotification.Kind, EmailNotification.Status


@pytest.fixture
def order(catalogue, customer):
    """A placed order whose "order received" e-mail is waiting in the outbox (no task ran)."""
    return order_build(customer=customer, lines=[(catalogue.book, 1)])


def test_the_same_event_queued_twice_makes_one_row_and_one_email(
    catalogue, customer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_build(customer=customer, lines=[(catalogue.book, 1)])
        again = notification_queue(order=order, kind=Kind.ORDER_RECEIVED)

    assert again is None
    assert EmailNotification.objects.filter(order=order).count() == 1
    assert [m.subject for m in mailoutbox] == [f"We received your order {order.number}"]


def test_different_events_of_one_kind_each_get_their_email(order, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification_queue(order=order, kind=Kind.ORDER_CANCELLED, subject_key="try:1")
        notification_queue(order=order, kind=Kind.ORDER_CANCELLED, subject_key="try:2")

    assert len(mailoutbox) == 2


def test_delivering_again_after_sending_sends_nothing(order, mailoutbox):
    notification = order.notifications.get()

    first = notification_deliver(notification_id=notification.pk)
    second = notification_deliver(notification_id=notification.pk)

    assert (first, second) == (True, False)
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.SENT, 1)
    assert notification.sent_at is not None


def test_a_retried_task_sends_nothing_twice(order, mailoutbox):
    notification = order.notifications.get()

    notification_send.delay(notification.pk)
    notification_send.delay(notification.pk)

    assert len(mailoutbox) == 1


def test_a_missing_row_sends_nothing(mailoutbox):
    assert notification_deliver(notification_id=424242) is False
    assert mailoutbox == []


def test_resend_picks_up_only_old_pending_rows(catalogue, mailoutbox):
    # Given four e-mails: two lost for half an hour, one just queued, one already sent.
    orders = [order_build(lines=[(catalogue.book, 1)]) for _ in range(4)]
    lost, also_lost, fresh, sent = (o.notifications.get() for o in orders)
    notification_deliver(notification_id=sent.pk)
    half_an_hour_ago = timezone.now() - timedelta(minutes=30)
    EmailNotification.objects.filter(pk__in=[lost.pk, also_lost.pk, sent.pk]).update(created_at=half_an_hour_ago)
    mailoutbox.clear()

    # When the periodic job runs.
    requeued = notification_resend_pending(older_than_seconds=600)

    # Then only the lost ones go out; the fresh one is left to its own task.
    assert requeued == 2
    assert sorted(m.subject for m in mailoutbox) == sorted(f"We received your order {o.number}" for o in orders[:2])
    statuses = dict(EmailNotification.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: Status.SENT, also_lost.pk: Status.SENT, fresh.pk: Status.PENDING, sent.pk: Status.SENT}


def test_resend_leaves_failed_rows_to_staff(order, mailoutbox):
    notification = order.notifications.get()
    EmailNotification.objects.filter(pk=notification.pk).update(
        status=Status.FAILED, created_at=timezone.now() - timedelta(hours=1)
    )

    assert notification_resend_pending(older_than_seconds=600) == 0
    assert mailoutbox == []


@pytest.fixture
def worker_retries():
    """Run retries in-process as a worker would, instead of raising the first Retry at the caller."""
    conf = notification_send.app.conf
    propagates = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = propagates


def test_a_failing_send_is_retried_and_then_marked_failed(order, mailoutbox, worker_retries):
    notification = order.notifications.get()
    refusal = smtplib.SMTPRecipientsRefused({notification.recipient: (550, b"mailbox unavailable")})

    with mock.patch.object(EmailBackend, "send_messages", side_effect=refusal) as send:
        result = notification_send.delay(notification.pk)

    assert result.state == "FAILURE"
    assert send.call_count == notification_send.max_retries + 1
    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    assert "mailbox unavailable" in notification.last_error
    assert notification.attempts == notification_send.max_retries + 1, "staff see how often it was tried"
    assert notification.sent_at is None
    assert mailoutbox == []


def test_a_send_that_fails_once_then_works_is_sent_once(order, mailoutbox, worker_retries):
    notification = order.notifications.get()
    original = EmailBackend.send_messages
    failures = iter([smtplib.SMTPServerDisconnected("connection lost")])

    def flaky(backend, messages):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return original(backend, messages)

    with mock.patch.object(EmailBackend, "send_messages", flaky):
        notification_send.delay(notification.pk)

    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (Status.SENT, 2, "")


def test_a_failure_never_overwrites_a_sent_row(order):
    notification = order.notifications.get()
    notification_deliver(notification_id=notification.pk)

    notification_mark_failed(notification_id=notification.pk, error="late failure report")

    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == (Status.SENT, "")


def test_a_broker_outage_does_not_fail_the_checkout_and_the_email_goes_out_later(
    catalogue, customer, mailoutbox, django_capture_on_commit_callbacks
):
    # Given the broker is down while the customer places the order.
    broker_down = kombu.exceptions.OperationalError("[Errno 111] Connection refused")
    with (
        mock.patch.object(notification_send, "delay", side_effect=broker_down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = order_build(customer=customer, lines=[(catalogue.book, 1)])

    # Then the order stands and its e-mail waits in the outbox.
    assert Order.objects.get(pk=order.pk).status == Order.Status.VERIFIED
    notification = order.notifications.get()
    assert notification.status == Status.PENDING and mailoutbox == []

    # When the broker is back and the periodic job runs.
    EmailNotification.objects.update(created_at=timezone.now() - timedelta(minutes=15))
    notification_resend_pending(older_than_seconds=600)

    assert [m.subject for m in mailoutbox] == [f"We received your order {order.number}"]
