"""Error pages in the shop's layout, each with a way back (issue 8, item 7). DEBUG is off in tests."""

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse

CATALOGUE = reverse("storefront:catalogue")
LOGIN = reverse("login")


def assert_in_shop_layout(response, *, status: int, heading: str):
    page = response.content.decode()
    assert response.status_code == status
    assert 'class="site-header"' in page and settings.SHOP_NAME in page, "the shop's header"
    assert 'href="/static/css/shop.css"' in page, "the shop's stylesheet"
    assert heading in page
    assert f'href="{CATALOGUE}"' in page, "a way back to the shop"
    assert "Content-Security-Policy" in response.headers
    return page


@pytest.mark.django_db
def test_a_missing_page_is_the_404_page(client):
    response = client.get("/no-such-page/")

    page = assert_in_shop_layout(response, status=404, heading="We could not find that page")
    assert f'href="{LOGIN}"' in page, "signing in finds your orders"
    assert "404.html" in [template.name for template in response.templates]


@pytest.mark.django_db
def test_a_missing_product_is_the_404_page(client):
    response = client.get(reverse("storefront:product", args=["no-such-product"]))

    assert_in_shop_layout(response, status=404, heading="We could not find that page")


@pytest.mark.django_db
def test_a_missing_page_with_too_many_query_fields_is_still_a_404(client):
    """The layout never reads the raw query string, so a flood of fields cannot turn a 404 into a 500."""
    flood = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    client.raise_request_exception = False

    response = client.get(f"/no-such-page/?{flood}")

    assert_in_shop_layout(response, status=404, heading="We could not find that page")


@pytest.mark.django_db
def test_a_form_sent_without_a_valid_csrf_token_is_the_403_csrf_page(shopper):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(LOGIN, {"username": shopper.email, "password": shopper.password})

    page = assert_in_shop_layout(response, status=403, heading="Your form could not be sent")
    assert "reload the page" in page
    assert f'href="{LOGIN}"' in page
    assert "_auth_user_id" not in browser.session


@pytest.mark.django_db
def test_a_page_the_account_may_not_see_is_the_403_page(client, staff_users):
    client.force_login(staff_users["Warehouse"])

    response = client.get(reverse("admin:auth_user_changelist"))

    page = assert_in_shop_layout(response, status=403, heading="You may not open this page")
    assert "signed in as warehouse" in page


@pytest.mark.django_db
def test_a_request_for_another_host_is_the_400_page(client):
    response = client.get(CATALOGUE, HTTP_HOST="attacker.example")

    assert_in_shop_layout(response, status=400, heading="We could not read that request")


@pytest.mark.django_db
def test_a_request_with_too_many_fields_is_the_400_page(client):
    flood = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    response = client.get(f"{CATALOGUE}?{flood}")

    assert_in_shop_layout(response, status=400, heading="We could not read that request")


def test_a_crash_with_the_database_down_is_the_500_page(client):
    """No django_db mark: every database access raises, as when PostgreSQL is down. The page
    itself needs to fail (the catalogue reads products), and the 500 page must not."""
    client.raise_request_exception = False

    response = client.get(CATALOGUE)

    page = assert_in_shop_layout(response, status=500, heading="Something went wrong on our side")
    assert "My orders" in page


def test_the_500_handler_renders_without_a_request_context_or_database():
    handler = get_resolver().resolve_error_handler(500)

    response = handler(RequestFactory().get("/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert settings.SHOP_NAME in page and f'href="{CATALOGUE}"' in page
