"""Password spraying: a few tries on many user names from one address are refused after a
per-address limit, on the shop's sign-in and the admin's (issue 8, item 8)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SPRAYER = "203.0.113.7"
NEIGHBOUR = "198.51.100.20"
SIGN_INS = {
    # where: (its URL, a user name for try i)
    "shop": (reverse("login"), lambda i: f"customer{i}@example.com"),
    "admin": (reverse("admin:login"), lambda i: f"staff{i}"),
}


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    return settings


def sign_in(client, url, username, password="Winter2026!", address=SPRAYER):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("where", SIGN_INS)
def test_one_try_on_each_of_many_names_from_one_address_is_stopped_at_the_address_limit(client, limits, where):
    url, username = SIGN_INS[where]

    # Given as many failed tries as the address limit, each on another user name (under the pair limit)
    for i in range(limits.AXES_ADDRESS_FAILURE_LIMIT - 1):
        assert sign_in(client, url, username(i)).status_code == 200, f"try {i} is checked as usual"
    last = sign_in(client, url, username(limits.AXES_ADDRESS_FAILURE_LIMIT))

    # Then that address is refused on any user name, with a page that says why (not an error)
    assert last.status_code == 429
    refused = sign_in(client, url, "somebody-new@example.com")
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Too many sign-in attempts" in page
    assert "signing in from your network is paused" in page
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("where", SIGN_INS)
def test_the_limit_holds_even_for_the_right_password(client, limits, where, shopper, admin_user):
    url, username = SIGN_INS[where]
    for i in range(limits.AXES_ADDRESS_FAILURE_LIMIT):
        sign_in(client, url, username(i))

    right = (shopper.email, shopper.password) if where == "shop" else ("admin", "password")
    response = sign_in(client, url, *right)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("where", SIGN_INS)
def test_another_address_is_not_affected(client, limits, where, shopper, admin_user):
    url, username = SIGN_INS[where]
    for i in range(limits.AXES_ADDRESS_FAILURE_LIMIT):
        sign_in(client, url, username(i))

    wrong = sign_in(client, url, "somebody-new@example.com", address=NEIGHBOUR)
    right = (shopper.email, shopper.password) if where == "shop" else ("admin", "password")
    signed_in = sign_in(client, url, *right, address=NEIGHBOUR)

    assert wrong.status_code == 200
    assert signed_in.status_code == 302
    assert "_auth_user_id" in client.session


def test_signing_in_to_an_own_account_does_not_reset_the_address_count(client, limits, shopper):
    """A sprayer with an account of their own cannot clear the address's failures by signing in."""
    url, username = SIGN_INS["shop"]
    for i in range(limits.AXES_ADDRESS_FAILURE_LIMIT - 2):
        sign_in(client, url, username(i))
    assert sign_in(client, url, shopper.email, shopper.password).status_code == 302
    client.post(reverse("logout"))

    sign_in(client, url, username(100))
    refused = sign_in(client, url, username(101))

    assert refused.status_code == 429


def test_one_account_is_still_locked_after_the_pair_limit(client, limits, shopper):
    url, _ = SIGN_INS["shop"]
    for _ in range(limits.AXES_FAILURE_LIMIT):
        sign_in(client, url, shopper.email)

    refused = sign_in(client, url, shopper.email, shopper.password)
    other_name = sign_in(client, url, "somebody-new@example.com")

    assert refused.status_code == 429
    assert "signing in to this account from here is paused" in refused.content.decode()
    assert other_name.status_code == 200, "under the address limit other names are still checked"
