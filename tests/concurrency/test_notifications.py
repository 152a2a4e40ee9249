"""One e-mail per event, even when two workers pick up the same outbox row at once."""

import time
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from lifecycle.notifications import notification_deliver
from lifecycle.tasks import notification_send
from orders.models import EmailNotification
from tests.builders import order_build

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_delivering_the_same_email_send_it_once(catalogue, customer, mailoutbox):
    # Given an "order received" e-mail waiting in the outbox (its task not run yet).
    with mock.patch.object(notification_send, "delay"):
        order = order_build(customer=customer, lines=[(catalogue.book, 1)])
    notification = order.notifications.get()
    slow_smtp = EmailBackend.send_messages

    def send_slowly(backend, messages):
        time.sleep(0.3)  # the other worker arrives while this one is still talking to the mail server
        return slow_smtp(backend, messages)

    # When two workers deliver it at the same moment (a redelivered task, a resend job).
    with mock.patch.object(EmailBackend, "send_messages", send_slowly):
        outcomes = run_at_once(*[lambda: notification_deliver(notification_id=notification.pk)] * 2)

    # Then the customer gets one e-mail.
    assert [o.error for o in outcomes] == [None, None]
    assert sorted(o.value for o in outcomes) == [False, True]
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (EmailNotification.Status.SENT, 1)
