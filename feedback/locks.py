"""Every row lock feedback takes, named. Feedback rows are locked alone (orders/locks.py states the
one lock order of the code base): the services that lock them hold no order, shipment or stock
lock, so they cannot close a circle with anyone."""

from .models import Feedback, FeedbackRequest


def feedback_request_lock(*, feedback_request_id: int) -> FeedbackRequest:
    """Lock a feedback request (alone) with its order (read, not locked): one answer per request."""
    return FeedbackRequest.objects.select_for_update(of=("self",)).select_related("order").get(pk=feedback_request_id)


def feedback_lock(*, feedback_id: int) -> Feedback:
    """Lock a customer's answer (alone) with its request and order (read, not locked)."""
    return Feedback.objects.select_for_update(of=("self",)).select_related("request__order").get(pk=feedback_id)
