"""The e-mail outbox ("send again") and the low-feedback follow-up queue."""

import pytest
from django.contrib.admin import helpers

from feedback.models import Feedback
from orders.models import EmailNotification
from orders.services.notifications import notification_mark_failed
from tests.builders import feedback_given

from .journeys import errors_in, messages_in, place, successes_in

pytestmark = pytest.mark.django_db

OUTBOX = "/admin/orders/emailnotification/"
FEEDBACK = "/admin/feedback/feedback/"


def _bulk(browser, url, action, rows):
    return browser.post(url, {"action": action, helpers.ACTION_CHECKBOX_NAME: [r.pk for r in rows]}, follow=True)


def test_send_again_queues_failed_and_pending_emails_and_skips_sent_ones(
    catalogue, staff_client, staff_users, mailoutbox, django_capture_on_commit_callbacks
):
    # Given an order whose "received" e-mail failed for good, and one that was sent
    order = place(catalogue)  # on-commit callbacks never ran: the e-mail is still pending
    received = order.notifications.get(kind=EmailNotification.Kind.ORDER_RECEIVED)
    notification_mark_failed(notification_id=received.pk, error="SMTP 451 try later")
    with django_capture_on_commit_callbacks(execute=True):
        other = place(catalogue)
    sent = other.notifications.get(kind=EmailNotification.Kind.ORDER_RECEIVED)
    assert sent.status == EmailNotification.Status.SENT
    mailoutbox.clear()

    # When customer service sends both again
    with django_capture_on_commit_callbacks(execute=True):
        response = _bulk(staff_client("Customer service"), OUTBOX, "resend_selected", [received, sent])

    # Then only the failed one goes out, once, and the timeline says who asked
    received.refresh_from_db()
    assert received.status == EmailNotification.Status.SENT
    assert [m.subject for m in mailoutbox] == [f"We received your order {order.number}"]
    assert successes_in(response) == ["Queued 1 e-mail to be sent again."]
    assert ("warning", "1 e-mail was already sent and left alone.") in messages_in(response)
    assert order.events.get(kind="notification.resend").actor == staff_users["Customer service"]
    assert not other.events.filter(kind="notification.resend").exists()


def test_outbox_shows_the_last_error_and_cannot_be_edited(catalogue, staff_client):
    order = place(catalogue)
    received = order.notifications.get()
    notification_mark_failed(notification_id=received.pk, error="SMTP 451 try later")
    browser = staff_client("Customer service")

    listing = browser.get(OUTBOX, {"status__exact": "failed"})
    page = browser.get(f"{OUTBOX}{received.pk}/change/")
    post = browser.post(f"{OUTBOX}{received.pk}/change/", {"status": "sent"})

    assert "SMTP 451 try later" in listing.text
    assert page.status_code == 200 and 'name="status"' not in page.text
    assert post.status_code == 403


def test_warehouse_cannot_see_the_outbox(staff_client):
    assert staff_client("Warehouse").get(OUTBOX).status_code == 403


@pytest.fixture
def low_feedback(catalogue):
    order = place(catalogue, state="completed")
    return feedback_given(order, rating=1, comment="Book arrived wet")


@pytest.fixture
def happy_feedback(catalogue):
    order = place(catalogue, state="completed")
    return feedback_given(order, rating=5)


def test_follow_up_queue_and_mark_followed_up(low_feedback, happy_feedback, staff_client, staff_users):
    browser = staff_client("Customer service")

    # The queue shows the low rating only
    queue = browser.get(FEEDBACK, {"follow_up": "open"})
    flagged = browser.get(FEEDBACK, {"needs_follow_up__exact": "1"})
    assert list(queue.context["cl"].result_list) == [low_feedback]
    assert list(flagged.context["cl"].result_list) == [low_feedback]
    assert "Book arrived wet" in queue.text

    # When customer service marks both followed up
    response = _bulk(browser, FEEDBACK, "mark_followed_up", [low_feedback, happy_feedback])

    # Then the low one is done, with an event by them; the other needed nothing
    low_feedback.refresh_from_db()
    happy_feedback.refresh_from_db()
    assert low_feedback.followed_up_at is not None and happy_feedback.followed_up_at is None
    assert low_feedback.needs_follow_up is True, "the low rating still counts in reports"
    assert successes_in(response) == ["Marked 1 feedback response as followed up."]
    assert errors_in(response) == [f"Feedback on order {happy_feedback.request.order} needs no follow-up."]
    event = low_feedback.request.order.events.get(kind="feedback.followed_up")
    assert event.actor == staff_users["Customer service"]
    assert list(browser.get(FEEDBACK, {"follow_up": "open"}).context["cl"].result_list) == []

    # Pressing it again is refused
    again = _bulk(browser, FEEDBACK, "mark_followed_up", [low_feedback])
    assert errors_in(again) == [f"Feedback on order {low_feedback.request.order} was already followed up."]
    assert low_feedback.request.order.events.filter(kind="feedback.followed_up").count() == 1


def test_feedback_page_shows_the_product_ratings_read_only(low_feedback, staff_client):
    page = staff_client("Customer service").get(f"{FEEDBACK}{low_feedback.pk}/change/")

    assert page.status_code == 200
    assert "Woodworking book" in page.text
    assert 'name="comment"' not in page.text


def test_warehouse_cannot_see_feedback_or_mark_it(low_feedback, staff_client):
    browser = staff_client("Warehouse")

    assert browser.get(FEEDBACK).status_code == 403
    _bulk(browser, FEEDBACK, "mark_followed_up", [low_feedback])
    assert Feedback.objects.get(pk=low_feedback.pk).followed_up_at is None
