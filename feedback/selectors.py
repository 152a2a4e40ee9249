from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.urls import reverse

from orders.models import Order

from .models import Feedback, FeedbackRequest

SALT = "feedback-request"


def feedback_token_for(*, request_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(request_id))


def feedback_link_for_request(*, request_id: int) -> str:
    return reverse("storefront:feedback", args=[feedback_token_for(request_id=request_id)])


def feedback_request_from_token(*, token: str) -> FeedbackRequest | None:
    """The request the signed link points at, or None when the link is forged or expired."""
    max_age = settings.FEEDBACK_LINK_MAX_AGE_DAYS * 86400
    try:
        request_id = int(signing.TimestampSigner(salt=SALT).unsign(token, max_age=max_age))
    except (signing.BadSignature, ValueError):
        return None
    return (
        FeedbackRequest.objects.select_related("order", "order__customer")
        .prefetch_related("order__lines__product")
        .filter(pk=request_id)
        .first()
    )


def feedback_open_for(*, order) -> bool:
    """Customers may rate an order once it was delivered (and later, while it is paid or complete)."""
    return order.status in {Order.Status.DELIVERED, Order.Status.INVOICED, Order.Status.PAID, Order.Status.COMPLETED}


def feedback_to_follow_up(queryset: QuerySet[Feedback] | None = None) -> QuerySet[Feedback]:
    """Low ratings customer service has not called back yet (feedback_follow_up_open_idx holds
    exactly these rows, newest first)."""
    queryset = Feedback.objects.all() if queryset is None else queryset
    return queryset.filter(needs_follow_up=True, followed_up_at__isnull=True)


def feedback_to_follow_up_count() -> int:
    return feedback_to_follow_up().count()
