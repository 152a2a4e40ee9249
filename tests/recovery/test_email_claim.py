"""An e-mail is claimed before it goes to the mail server (issue 8, item 4b): a worker that dies after
the server accepted it, before the outbox row was marked sent, does not make the customer get it
again while the claim is fresh; after the claim window it is sent once more, with the same
Message-ID, so that mail systems can drop the duplicate."""

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from lifecycle.notifications import notification_deliver
from lifecycle.tasks import notification_send
from orders.models import EmailNotification
from orders.services.notifications import notification_resend_pending
from tests.builders import order_build

pytestmark = pytest.mark.django_db

Status = EmailNotification.Status


class WorkerKilled(BaseException):
    """Stands for the process dying: no `except Exception` in our code sees it."""


@pytest.fixture
def notification(catalogue, customer) -> EmailNotification:
    """A placed order's "order received" e-mail, waiting in the outbox (no task ran)."""
    order = order_build(customer=customer, lines=[(catalogue.book, 1)])
    return order.notifications.get()


@pytest.fixture
def killed_after_the_server_accepted(notification, mailoutbox):
    """A worker that handed the e-mail to the mail server and died before recording it."""
    accept = EmailBackend.send_messages

    def accept_then_die(backend, messages):
        accept(backend, messages)
        raise WorkerKilled

    with mock.patch.object(EmailBackend, "send_messages", accept_then_die), pytest.raises(WorkerKilled):
        notification_deliver(notification_id=notification.pk)
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    return notification


def _claim_window_passes(notification, settings) -> None:
    EmailNotification.objects.filter(pk=notification.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS + 1)
    )


def test_the_claim_is_committed_before_the_send(killed_after_the_server_accepted, mailoutbox):
    notification = killed_after_the_server_accepted

    assert notification.status == Status.PENDING
    assert notification.claimed_at is not None
    assert notification.attempts == 1
    assert mailoutbox[0].extra_headers["Message-ID"] == notification.message_id


def test_within_the_claim_window_a_redelivered_task_and_the_sweep_send_nothing(
    killed_after_the_server_accepted, mailoutbox
):
    notification = killed_after_the_server_accepted

    # When the broker hands the task to another worker, and the sweep looks for unsent e-mails
    redelivered = notification_send.delay(notification.pk).get()
    requeued = notification_resend_pending(older_than_seconds=0)

    # Then the customer still has one e-mail: the first worker may be talking to the server
    assert (redelivered, requeued) == (False, 0)
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.PENDING, 1)


def test_after_the_claim_window_it_is_sent_once_more_with_the_same_message_id(
    killed_after_the_server_accepted, mailoutbox, settings
):
    notification = killed_after_the_server_accepted
    _claim_window_passes(notification, settings)

    # When the sweep runs (twice: the second finds it sent)
    assert notification_resend_pending(older_than_seconds=0) == 1
    assert notification_resend_pending(older_than_seconds=0) == 0

    # Then it went out once more, as the same message
    assert [m.extra_headers["Message-ID"] for m in mailoutbox] == [notification.message_id] * 2
    assert mailoutbox[1].message()["Message-ID"] == notification.message_id
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.SENT, 2)
    assert notification_deliver(notification_id=notification.pk) is False
    assert len(mailoutbox) == 2


def test_a_send_the_server_refused_gives_the_claim_back_and_the_retry_is_the_same_message(
    notification, mailoutbox, settings
):
    # Given the mail server drops the connection on the first try
    accept = EmailBackend.send_messages
    tried = []

    def drop_first(backend, messages):
        tried.extend(m.extra_headers["Message-ID"] for m in messages)
        if len(tried) == 1:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return accept(backend, messages)

    with mock.patch.object(EmailBackend, "send_messages", drop_first):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            notification_deliver(notification_id=notification.pk)
        notification.refresh_from_db()
        assert notification.claimed_at is None, "a refused send holds no claim"

        # When the task retries at once (well within the claim window)
        sent = notification_deliver(notification_id=notification.pk)

    # Then it is sent, with the Message-ID of the first try
    assert sent is True
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert tried == [notification.message_id] * 2
    assert (notification.status, notification.attempts, notification.last_error) == (Status.SENT, 2, "")


def test_the_message_id_is_on_the_shops_domain(notification, mailoutbox, settings):
    settings.SHOP_BASE_URL = "https://shop.example.com"

    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.message_id.startswith("<") and notification.message_id.endswith("@shop.example.com>")
    assert mailoutbox[0].message()["Message-ID"] == notification.message_id
