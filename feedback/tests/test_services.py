"""Feedback (feedback/services.py and selectors.py): a signed link, one answer, low ratings followed up."""

import time
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.core import signing

from feedback.models import Feedback, FeedbackRequest, ProductRating
from feedback.selectors import feedback_link_for_request, feedback_request_from_token, feedback_token_for
from feedback.services import feedback_request_create, feedback_submit
from orders.models import EmailNotification
from orders_site.core.exceptions import ApplicationError
from tests.builders import order_build, product_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed_order(catalogue, customer):
    """A chair and a book, delivered and paid: the order is complete and its feedback request sent."""
    return order_build(state="completed", customer=customer, lines=[(catalogue.chair, 1), (catalogue.book, 1)])


@pytest.fixture
def feedback_request(completed_order) -> FeedbackRequest:
    return completed_order.feedback_request


def test_completing_the_order_asks_for_feedback_once(completed_order):
    feedback_request = completed_order.feedback_request

    assert feedback_request_create(order=completed_order) == feedback_request
    assert FeedbackRequest.objects.count() == 1
    (mail,) = EmailNotification.objects.filter(order=completed_order, kind="feedback_request")
    assert mail.subject_key == f"feedbackrequest:{feedback_request.pk}"


def test_the_signed_link_leads_to_the_request(feedback_request):
    link = feedback_link_for_request(request_id=feedback_request.pk)
    token = link.rstrip("/").rsplit("/", 1)[1]

    assert link.startswith("/feedback/")
    assert feedback_request_from_token(token=token) == feedback_request


@pytest.mark.parametrize(
    "forge",
    [
        lambda token, request_id: token[:-1] + ("A" if token[-1] != "A" else "B"),  # tampered signature
        lambda token, request_id: token.replace(str(request_id), str(request_id + 1), 1),  # another request
        lambda token, request_id: signing.TimestampSigner(salt="another-purpose").sign(str(request_id)),
        lambda token, request_id: signing.TimestampSigner(salt="feedback-request").sign("not-a-number"),
        lambda token, request_id: "",
    ],
    ids=["tampered", "other-request", "wrong-salt", "not-a-number", "empty"],
)
def test_a_forged_link_leads_nowhere(feedback_request, forge):
    token = feedback_token_for(request_id=feedback_request.pk)

    assert feedback_request_from_token(token=forge(token, feedback_request.pk)) is None


def test_an_expired_link_leads_nowhere(feedback_request):
    max_age = settings.FEEDBACK_LINK_MAX_AGE_DAYS * 86400
    with mock.patch("django.core.signing.time.time", return_value=time.time() - max_age - 60):
        old_token = feedback_token_for(request_id=feedback_request.pk)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - max_age + 3600):
        recent_token = feedback_token_for(request_id=feedback_request.pk)

    assert feedback_request_from_token(token=old_token) is None
    assert feedback_request_from_token(token=recent_token) == feedback_request


def test_a_happy_customer_is_stored_without_follow_up(feedback_request, catalogue):
    feedback = feedback_submit(
        feedback_request=feedback_request,
        overall_rating=5,
        product_ratings={catalogue.chair.pk: 5, catalogue.book.pk: 4},
        comment="  Lovely chair  ",
    )

    assert (feedback.overall_rating, feedback.comment, feedback.needs_follow_up) == (5, "Lovely chair", False)
    assert {r.product.sku: r.rating for r in feedback.product_ratings.all()} == {"CHAIR-1": 5, "BOOK-1": 4}
    feedback_request.refresh_from_db()
    assert feedback_request.responded_at is not None
    event = feedback_request.order.events.get(kind="feedback.received")
    assert (event.note, event.data) == ("Rated 5/5", {"overall_rating": 5, "needs_follow_up": False})


@pytest.mark.parametrize(
    ("overall", "chair", "follow_up"),
    [(2, 5, True), (1, None, True), (5, 2, True), (3, 3, False), (4, None, False)],
)
def test_a_low_rating_opens_a_follow_up_for_customer_service(feedback_request, catalogue, overall, chair, follow_up):
    ratings = {} if chair is None else {catalogue.chair.pk: chair}

    feedback = feedback_submit(feedback_request=feedback_request, overall_rating=overall, product_ratings=ratings)

    assert feedback.needs_follow_up is follow_up
    assert Feedback.objects.filter(needs_follow_up=True).count() == (1 if follow_up else 0)


def test_a_second_answer_is_refused_and_the_first_kept(feedback_request, catalogue):
    feedback_submit(feedback_request=feedback_request, overall_rating=4, product_ratings={}, comment="Fine")

    with pytest.raises(ApplicationError, match="already given"):
        feedback_submit(feedback_request=feedback_request, overall_rating=1, product_ratings={}, comment="Changed mind")

    (feedback,) = Feedback.objects.all()
    assert (feedback.overall_rating, feedback.comment) == (4, "Fine")


@pytest.mark.parametrize(
    ("overall", "product_rating"),
    [(0, None), (6, None), (-1, None), (5, 0), (5, 6), ("5", None), (4.5, None), (None, None)],
)
def test_a_rating_out_of_range_is_refused(feedback_request, catalogue, overall, product_rating):
    ratings = {} if product_rating is None else {catalogue.chair.pk: product_rating}

    with pytest.raises(ApplicationError, match="Ratings go from 1 to 5 stars"):
        feedback_submit(feedback_request=feedback_request, overall_rating=overall, product_ratings=ratings)

    assert not Feedback.objects.exists() and not ProductRating.objects.exists()
    feedback_request.refresh_from_db()
    assert feedback_request.responded_at is None, "the customer can still answer"


def test_only_products_on_the_order_can_be_rated(feedback_request, catalogue):
    not_ordered = product_build(sku="STOOL-1", price=Decimal("59.00"), tax_class=catalogue.standard)

    with pytest.raises(ApplicationError, match="Only products on this order can be rated"):
        feedback_submit(
            feedback_request=feedback_request,
            overall_rating=5,
            product_ratings={catalogue.chair.pk: 5, not_ordered.pk: 1},
        )

    assert not Feedback.objects.exists()
    feedback_request.refresh_from_db()
    assert feedback_request.responded_at is None


def test_an_order_not_yet_delivered_cannot_be_rated(catalogue, customer):
    order = order_build(customer=customer, lines=[(catalogue.chair, 1)])

    with pytest.raises(ApplicationError, match="once it has been delivered"):
        feedback_request_create(order=order)
    assert not FeedbackRequest.objects.exists()
