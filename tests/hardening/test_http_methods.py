"""Storefront pages answer only the methods a browser uses: form pages GET, HEAD and POST, the
others GET and HEAD; anything else is 405 with an Allow header, before the page does any work
(issue 8, item 9, first part)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

FORM_PAGES = [reverse("storefront:order_lookup"), reverse("storefront:sign_up"), reverse("login")]

# Every other storefront page, with the methods it answers. Numbers and tokens need not exist:
# the method is refused before the page looks anything up.
OTHER_PAGES = [
    (reverse("storefront:catalogue"), {"GET", "HEAD"}),
    (reverse("storefront:product", args=["any-book"]), {"GET", "HEAD"}),
    (reverse("storefront:cart"), {"GET", "HEAD"}),
    (reverse("storefront:checkout"), {"GET", "HEAD", "POST"}),
    (reverse("storefront:checkout_review"), {"GET", "HEAD"}),
    (reverse("storefront:account"), {"GET", "HEAD"}),
    (reverse("storefront:profile"), {"GET", "HEAD", "POST"}),
    (reverse("storefront:address_book"), {"GET", "HEAD"}),
    (reverse("storefront:address_new"), {"GET", "HEAD", "POST"}),
    (reverse("storefront:address_edit", args=[1]), {"GET", "HEAD", "POST"}),
    (reverse("storefront:order_detail", args=["100001"]), {"GET", "HEAD"}),
    (reverse("storefront:order_cancel", args=["100001"]), {"GET", "HEAD", "POST"}),
    (reverse("storefront:invoice_download", args=["100001", "2026-000001"]), {"GET", "HEAD"}),
    (reverse("storefront:feedback", args=["token"]), {"GET", "HEAD", "POST"}),
    (reverse("storefront:quote", args=["token"]), {"GET", "HEAD", "POST"}),
]


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


@pytest.mark.parametrize(("url", "allowed"), OTHER_PAGES)
def test_every_storefront_page_refuses_methods_a_browser_does_not_send(client, url, allowed):
    refused = {"put", "delete", "patch", "post"} - {method.lower() for method in allowed}

    for method in sorted(refused):
        response = getattr(client, method)(url, "x=1", content_type="application/x-www-form-urlencoded")

        assert response.status_code == 405, f"{method.upper()} {url}"
        assert set(response["Allow"].split(", ")) == allowed
