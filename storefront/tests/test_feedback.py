import pytest
from django.urls import reverse

from feedback.models import Feedback, FeedbackRequest
from feedback.selectors import feedback_link_for_request, feedback_token_for
from tests.builders import order_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def feedback_url(anna, shop):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1), (shop.book, 2)])
    request = FeedbackRequest.objects.create(order=order)
    return feedback_link_for_request(request_id=request.pk)


def test_signed_link_opens_the_form_without_sign_in(client, feedback_url):
    response = client.get(feedback_url)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Oak chair" in page and "Woodworking book" in page
    assert 'name="overall_rating"' in page


def test_feedback_is_stored_with_post_redirect_get(client, feedback_url, shop):
    response = client.post(
        feedback_url, {"overall_rating": "4", f"product_{shop.chair.pk}": "5", "comment": "Lovely chair"}
    )

    assert response.status_code == 302 and response.url == feedback_url
    feedback = Feedback.objects.get()
    assert feedback.overall_rating == 4 and feedback.comment == "Lovely chair"
    assert {(r.product_id, r.rating) for r in feedback.product_ratings.all()} == {(shop.chair.pk, 5)}
    thanks = client.get(feedback_url)
    assert "Thank you for your feedback" in thanks.content.decode()
    again = client.post(feedback_url, {"overall_rating": "1"})
    assert again.status_code == 200 and Feedback.objects.count() == 1


def test_missing_rating_is_shown_beside_the_field(client, feedback_url):
    response = client.post(feedback_url, {"comment": "No stars"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_overall_rating_error"' in page and '<a href="#id_overall_rating_0">' in page
    assert "No stars" in page
    assert not Feedback.objects.exists()


def test_forged_or_unknown_links_are_404(client, feedback_url):
    assert client.get(feedback_url[:-3] + "abc/").status_code == 404
    assert client.get(reverse("storefront:feedback", args=[feedback_token_for(request_id=987654)])).status_code == 404


def test_the_owner_signed_in_can_answer(anna_client, feedback_url):
    assert anna_client.get(feedback_url).status_code == 200
