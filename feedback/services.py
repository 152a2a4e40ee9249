from django.db import transaction
from django.utils import timezone

from orders.events import event_feedback_followed_up, event_feedback_received
from orders.models import EmailNotification
from orders.services.notifications import notification_queue
from orders_site.core.exceptions import ApplicationError

from .locks import feedback_lock, feedback_request_lock
from .models import LOW_RATING, Feedback, FeedbackRequest, ProductRating
from .selectors import feedback_open_for


class FeedbackAlreadyGiven(ApplicationError):
    """The link was used before: the answer is stored, nothing more to do."""


@transaction.atomic
def feedback_request_create(*, order) -> FeedbackRequest:
    """Create the order's feedback request (once) and queue the e-mail with its signed link.

    Raises ApplicationError before the order was delivered."""
    if not feedback_open_for(order=order):
        raise ApplicationError(f"Order {order.number} can be rated once it has been delivered.")
    feedback_request, created = FeedbackRequest.objects.get_or_create(order=order)
    if created:
        notification_queue(
            order=order,
            kind=EmailNotification.Kind.FEEDBACK_REQUEST,
            subject_key=f"feedbackrequest:{feedback_request.pk}",
        )
    return feedback_request


@transaction.atomic
def feedback_submit(
    *, feedback_request: FeedbackRequest, overall_rating: int, product_ratings: dict[int, int], comment: str = ""
) -> Feedback:
    """Store the customer's answer. A rating of 2 or less opens a follow-up for customer service.

    `product_ratings` maps product id -> 1..5, only for products on the order.
    Locks: feedback.locks.feedback_request_lock. Raises FeedbackAlreadyGiven if already answered,
    ApplicationError if a rating is out of range.
    """
    feedback_request = feedback_request_lock(feedback_request_id=feedback_request.pk)
    if feedback_request.responded_at is not None:
        raise FeedbackAlreadyGiven("Thank you, this feedback was already given.")
    ratings = [overall_rating, *product_ratings.values()]
    if any(not isinstance(r, int) or not 1 <= r <= 5 for r in ratings):
        raise ApplicationError("Ratings go from 1 to 5 stars.", extra={"field": "overall_rating"})
    ordered = set(feedback_request.order.lines.values_list("product_id", flat=True))
    if not set(product_ratings) <= ordered:
        raise ApplicationError("Only products on this order can be rated.")
    low = overall_rating <= LOW_RATING or any(r <= LOW_RATING for r in product_ratings.values())
    feedback = Feedback.objects.create(
        request=feedback_request, overall_rating=overall_rating, comment=comment.strip(), needs_follow_up=low
    )
    ProductRating.objects.bulk_create(
        [
            ProductRating(feedback=feedback, product_id=product_id, rating=rating)
            for product_id, rating in product_ratings.items()
        ]
    )
    feedback_request.responded_at = timezone.now()
    feedback_request.save(update_fields=["responded_at"])
    event_feedback_received(order=feedback_request.order, overall_rating=overall_rating, needs_follow_up=low)
    return feedback


@transaction.atomic
def feedback_follow_up_mark(*, feedback: Feedback, actor, note: str = "") -> Feedback:
    """Customer service has called the customer back about a low rating: close the follow-up.

    The low-rating flag stays (reports count it); `followed_up_at` records that it was handled.
    Locks: feedback.locks.feedback_lock. Writes a note on the order's timeline.
    Raises ApplicationError when the feedback needs no follow-up or was already followed up.
    """
    feedback = feedback_lock(feedback_id=feedback.pk)
    if not feedback.needs_follow_up:
        raise ApplicationError(f"Feedback on order {feedback.request.order} needs no follow-up.")
    if feedback.followed_up_at is not None:
        raise ApplicationError(f"Feedback on order {feedback.request.order} was already followed up.")
    feedback.followed_up_at = timezone.now()
    feedback.save(update_fields=["followed_up_at"])
    event_feedback_followed_up(
        order=feedback.request.order,
        feedback_id=feedback.pk,
        actor=actor,
        note=note or f"Followed up on the {feedback.overall_rating}/5 rating",
    )
    return feedback
