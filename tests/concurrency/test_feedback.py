"""The feedback form submitted twice at once (a double click on a slow connection) stores one answer."""

from unittest import mock

import pytest

from feedback.models import Feedback
from feedback.services import feedback_submit
from invoicing.tasks import invoice_pdf_render_task
from lifecycle.tasks import notification_send
from orders_site.core.exceptions import ApplicationError
from tests.builders import order_build

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_feedback_submitted_twice_at_once_is_stored_once(catalogue, customer):
    with mock.patch.object(invoice_pdf_render_task, "delay"), mock.patch.object(notification_send, "delay"):
        order = order_build(state="completed", customer=customer, lines=[(catalogue.chair, 1)])
    feedback_request = order.feedback_request

    def submit():
        return feedback_submit(feedback_request=feedback_request, overall_rating=5, product_ratings={}, comment="Great")

    outcomes = run_at_once(submit, submit)

    assert sum(o.ok for o in outcomes) == 1
    (refused,) = [o.error for o in outcomes if not o.ok]
    assert isinstance(refused, ApplicationError) and "already given" in str(refused)
    assert Feedback.objects.count() == 1
    assert order.events.filter(kind="feedback.received").count() == 1
