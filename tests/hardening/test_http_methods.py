"""Form pages answer only the methods a browser form uses (issue 8, item 9, first part)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

FORM_PAGES = [reverse("storefront:order_lookup"), reverse("storefront:sign_up"), reverse("login")]


@pytest.mark.parametrize("url", FORM_PAGES)
@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_not_allowed(client, url, method):
    response = getattr(client, method)(url, "number=1&email=a%40example.com")

    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD", "POST"}


@pytest.mark.parametrize("url", FORM_PAGES)
def test_the_form_still_opens_and_posts(client, url):
    assert client.get(url).status_code == 200
    assert client.head(url).status_code == 200
    assert client.post(url, {}).status_code == 200, "the form again, with its errors"
