"""Item 2 of issue 8: pages keep working while Redis (cache and Celery broker) cannot be reached.

Redis is configured, as in production, but points at a port nobody listens on, or at one that
accepts connections and never answers (then every call must give up within seconds). The shop keeps
nothing there that a page cannot do without: sessions and login failures (django-axes) are in
the database, the guest look-up counter fails open, and tasks queued after commit wait in the
outbox for the beat sweep.
"""

import logging
import socket
import time
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.urls import reverse
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from orders.models import EmailNotification, Order
from orders.services.customers import customer_sign_up
from orders_site.celery import app as celery_app
from tests.builders import customer_build, delivery_method_build, order_build
from tests.concurrency.threads import run_in_thread
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, cart_product_ids, checkout_place, details_and_review_key

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _redis_at(settings, url: str):
    """Point the cache and the Celery broker at `url`, with the options production uses."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager, conf.broker_url = False, url
    _forget_broker_connections()
    try:
        yield
    finally:
        conf.task_always_eager, conf.broker_url = saved
        _forget_broker_connections()


@pytest.fixture
def redis_down(settings):
    """A Redis that refuses connections (stopped, or its machine gone and the port closed)."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    with _redis_at(settings, url):
        with pytest.raises(RedisError):
            cache.get("anything")  # really unreachable
        yield url


@pytest.fixture
def redis_hung(settings):
    """A Redis that accepts connections and never answers (hung, overloaded, or a half-open
    connection after a failover): the case that holds a page instead of failing it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        with _redis_at(settings, f"redis://127.0.0.1:{server.getsockname()[1]}/0"):
            yield


def _forget_broker_connections() -> None:
    # Celery keeps its broker connection pool once made; make the next task open one to the
    # broker configured now (what a freshly started process would do).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_guest_order_lookup_answers_and_warns_while_the_cache_is_unreachable(redis_down, catalogue, client, caplog):
    order = order_build(customer=customer_build(email="guest@example.com"), lines=[(catalogue.lamp, 1)])

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
    delivery_method_build()
    assert client.get(reverse("storefront:catalogue")).status_code == 200
    add_to_cart(client, catalogue.lamp, 2)
    key = details_and_review_key(client, GUEST_DETAILS)

    # When they place the order (the e-mail task cannot be queued)
    with django_capture_on_commit_callbacks(execute=True):
        placed = checkout_place(client, key)

    # Then the order stands, the page shows it, the cart is empty and the e-mail waits in the outbox
    order = Order.objects.get()
    assert placed.status_code == 302 and placed.url == reverse("storefront:order_detail", args=[order.number])
    assert client.get(placed.url).status_code == 200
    assert cart_product_ids(client) == []
    assert [n.status for n in EmailNotification.objects.filter(order=order)] == [EmailNotification.Status.PENDING]
    assert any("Connection refused" in record.getMessage() for record in caplog.records), "the broker was tried"


def _gives_up_within(seconds: float, call):
    """Run `call` in a thread and return its outcome; fail if it still waits after `seconds`."""
    thread, outcome = run_in_thread(call)
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    return outcome


def _redis_calls_give_up_quickly() -> None:
    cache_call = _gives_up_within(2, lambda: cache.get("anything"))
    assert isinstance(cache_call.error, RedisError)
    publish = _gives_up_within(10, lambda: celery_app.send_task("orders.tasks.notification_send", args=[0]))
    assert isinstance(publish.error, OperationalError)


def test_a_hung_redis_holds_a_cache_call_and_a_task_publish_for_seconds_only(redis_hung):
    _redis_calls_give_up_quickly()


def test_guest_order_lookup_answers_within_seconds_while_redis_hangs(redis_hung, catalogue, client):
    order = order_build(customer=customer_build(email="guest@example.com"), lines=[(catalogue.lamp, 1)])

    started = time.monotonic()
    missed = client.post(reverse("storefront:order_lookup"), {"number": "999", "email": "guest@example.com"})
    found = client.post(reverse("storefront:order_lookup"), {"number": order.number, "email": "guest@example.com"})

    assert missed.status_code == 200 and found.status_code == 302
    assert time.monotonic() - started < 5


def test_a_guest_checks_out_within_seconds_while_redis_hangs(
    redis_hung, catalogue, client, django_capture_on_commit_callbacks
):
    _redis_calls_give_up_quickly()  # else the checkout below would wait forever
    delivery_method_build()
    add_to_cart(client, catalogue.lamp, 1)
    key = details_and_review_key(client, GUEST_DETAILS)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        placed = checkout_place(client, key)

    # Well within gunicorn's 30 s timeout, so the guest sees the order page, not a gateway error
    assert time.monotonic() - started < 15
    order = Order.objects.get()
    assert placed.status_code == 302 and placed.url == reverse("storefront:order_detail", args=[order.number])
    assert [n.status for n in EmailNotification.objects.filter(order=order)] == [EmailNotification.Status.PENDING]
