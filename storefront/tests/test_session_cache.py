"""Sessions read from the cache and written through to the database (orders_site/core/sessions.py).

With REDIS_URL set a shopper's session is read from Redis, so a page costs no session query, and
every change is also written to the database, so nothing is lost when Redis restarts; while Redis
cannot be reached, the database answers alone and the shop carries on.
"""

import logging
import socket

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order
from tests.storefront_forms import add_to_cart, cart_product_ids, checkout_place, details_and_review_key

pytestmark = pytest.mark.django_db

ENGINE = "orders_site.core.sessions"


def _session_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "django_session" in q["sql"]]


@pytest.fixture
def cached_sessions(settings):
    """The production setting, on a cache of this process (the reads and writes are the same as on Redis)."""
    settings.SESSION_ENGINE = ENGINE
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sessions"}}
    cache.clear()


@pytest.fixture
def sessions_on_redis_down(settings):
    """The production setting, with Redis stopped (its port closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SESSION_ENGINE = ENGINE
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }


def test_a_guests_pages_read_the_session_from_the_cache_without_a_query(cached_sessions, shop, client):
    # Given a guest who put a chair in the cart
    add_to_cart(client, shop.chair)

    # When they open the cart and the catalogue
    with CaptureQueriesContext(connection) as queries:
        lines = cart_product_ids(client)
        assert client.get(reverse("storefront:catalogue")).status_code == 200

    # Then the chair is there, and no page read or wrote django_session
    assert lines == [shop.chair.pk]
    assert _session_queries(queries) == []


def test_the_cart_survives_the_cache_losing_everything(cached_sessions, shop, client):
    # Given a guest with a chair in the cart
    add_to_cart(client, shop.chair)

    # When the cache is emptied (Redis restarted without its data)
    cache.clear()

    # Then the cart is read back from the database
    assert cart_product_ids(client) == [shop.chair.pk]


def test_a_guest_fills_the_cart_and_checks_out_while_the_session_cache_is_down(
    sessions_on_redis_down, shop, client, caplog
):
    # Given Redis is down; when a guest adds to the cart, checks out and places the order
    with caplog.at_level(logging.WARNING, logger="orders_site.core.sessions"):
        add_to_cart(client, shop.lamp, 2)
        lines = cart_product_ids(client)
        placed = checkout_place(client, details_and_review_key(client))

    # Then every page answered from the database, the order is placed and the cart emptied
    assert lines == [shop.lamp.pk]
    order = Order.objects.get()
    assert placed.status_code == 302 and placed.url == reverse("storefront:order_detail", args=[order.number])
    assert client.get(placed.url).status_code == 200
    assert cart_product_ids(client) == []
    assert any("session" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_signing_out_while_the_session_cache_is_down_ends_the_session(sessions_on_redis_down, anna_client):
    # Given a signed-in customer and Redis down
    assert anna_client.get(reverse("storefront:account")).status_code == 200

    # When they sign out
    response = anna_client.post(reverse("logout"))

    # Then the sign-out went through and the account page asks them to sign in again
    assert response.status_code == 302
    assert anna_client.get(reverse("storefront:account")).status_code == 302
