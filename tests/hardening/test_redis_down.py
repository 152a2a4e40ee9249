"""Item 2 of issue 8: pages keep working while Redis (cache and Celery broker) cannot be reached.

Redis is configured, as in production, but points at a port nobody listens on. The shop keeps
nothing there that a page cannot do without: sessions and login failures (django-axes) are in
the database, the guest look-up counter fails open, and tasks queued after commit wait in the
outbox for the beat sweep.
"""

import logging
import socket

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.urls import reverse
from redis.exceptions import RedisError

from orders.models import EmailNotification, Order
from orders.services.customers import customer_sign_up
from orders.tests.factories import CustomerFactory, DeliveryMethodFactory, order_place_for_test
from orders_site.celery import app as celery_app

from .guest_journey import GUEST_DETAILS, add_to_cart, cart_product_ids, details_and_review_key, place

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    """The cache and the Celery broker on a Redis that refuses connections."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
    }
    with pytest.raises(RedisError):
        cache.get("anything")  # really unreachable

    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager, conf.broker_url = False, url
    _forget_broker_connections()
    try:
        yield url
    finally:
        conf.task_always_eager, conf.broker_url = saved
        _forget_broker_connections()


def _forget_broker_connections() -> None:
    # Celery keeps its broker connection pool once made; make the next task open one to the
    # broker configured now (what a freshly started process would do).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_guest_order_lookup_answers_and_warns_while_the_cache_is_unreachable(redis_down, catalogue, client, caplog):
    order = order_place_for_test(
        customer=CustomerFactory(email="guest@example.com"), products_and_quantities=[(catalogue.lamp, 1)]
    )

    with caplog.at_level(logging.WARNING):
        missed = client.post(reverse("storefront:order_lookup"), {"number": "999", "email": "guest@example.com"})
        found = client.post(reverse("storefront:order_lookup"), {"number": order.number, "email": "guest@example.com"})

    assert missed.status_code == 200 and "could not find" in missed.content.decode()
    assert found.status_code == 302 and found.url == reverse("storefront:order_detail", args=[order.number])
    assert client.get(found.url).status_code == 200
    assert any("cache" in record.getMessage().lower() for record in caplog.records if record.levelno == logging.WARNING)


def test_storefront_sign_in_and_its_lockout_work_while_the_cache_is_unreachable(redis_down, client, settings):
    customer_sign_up(email="anna@example.com", password="a long passphrase 42", full_name="Anna de Vries")

    wrong = client.post(reverse("login"), {"username": "anna@example.com", "password": "wrong"})
    right = client.post(reverse("login"), {"username": "anna@example.com", "password": "a long passphrase 42"})

    assert wrong.status_code == 200
    assert right.status_code == 302 and "_auth_user_id" in client.session
    assert client.get(reverse("storefront:account")).status_code == 200


def test_admin_sign_in_works_while_the_cache_is_unreachable(redis_down, client):
    User.objects.create_superuser(username="boss", password="pw", email="boss@example.com")

    response = client.post(
        reverse("admin:login"), {"username": "boss", "password": "pw", "next": reverse("admin:index")}
    )

    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_guest_checks_out_while_cache_and_broker_are_unreachable(
    redis_down, catalogue, client, django_capture_on_commit_callbacks, caplog
):
    # Given a guest with a lamp in the cart, on the review page
    DeliveryMethodFactory()
    assert client.get(reverse("storefront:catalogue")).status_code == 200
    add_to_cart(client, catalogue.lamp, 2)
    key = details_and_review_key(client, GUEST_DETAILS)

    # When they place the order (the e-mail task cannot be queued)
    with django_capture_on_commit_callbacks(execute=True):
        placed = place(client, key)

    # Then the order stands, the page shows it, the cart is empty and the e-mail waits in the outbox
    order = Order.objects.get()
    assert placed.status_code == 302 and placed.url == reverse("storefront:order_detail", args=[order.number])
    assert client.get(placed.url).status_code == 200
    assert cart_product_ids(client) == []
    assert [n.status for n in EmailNotification.objects.filter(order=order)] == [EmailNotification.Status.PENDING]
    assert any("Connection refused" in record.getMessage() for record in caplog.records), "the broker was tried"
