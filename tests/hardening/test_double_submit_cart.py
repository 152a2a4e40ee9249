"""Item 9 of issue 8: a guest's second click on "Place order" must not bring the ordered items back
into the cart.

Both clicks share one session. The second request can read the session before the first saved
its own (the cart still full, the one-time key not yet replaced), find the first click's order
already committed, and take the "already placed" path; whatever it then saves is written last.
"""

import threading
from importlib import import_module
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client

from orders.models import Order
from tests.builders import delivery_method_build
from tests.concurrency.threads import run_in_thread
from tests.storefront_forms import add_to_cart, cart_product_ids, checkout_place, details_and_review_key

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def _session_overwrite(session_key: str, data: dict) -> None:
    """Save `data` as the whole session, as a request that loaded it earlier would on its way out."""
    store = SessionStore(session_key=session_key)
    store.clear()
    store.update(data)
    store.save()


@pytest.mark.django_db
def test_a_second_click_that_read_the_session_before_the_first_saved_it_leaves_the_cart_empty(client, catalogue):
    # Given a guest on the review page with a lamp in the cart
    delivery_method_build()
    add_to_cart(client, catalogue.lamp, 1)
    key = details_and_review_key(client)
    session_key = client.session.session_key
    read_by_second_click = SessionStore(session_key=session_key).load()

    # When the first click places the order
    first = checkout_place(client, key)
    assert first.status_code == 302
    assert cart_product_ids(client) == []
    # and the second click, which read the session before the first saved it, finishes last
    _session_overwrite(session_key, read_by_second_click)
    second = checkout_place(client, key)

    # Then both land on the one order, and the cart stays empty
    assert second.status_code == 302 and second.url == first.url
    assert Order.objects.count() == 1
    assert cart_product_ids(client) == []
    assert client.get(second.url).status_code == 200, "the guest may still see the order"


@pytest.mark.django_db(transaction=True)
def test_two_clicks_in_real_threads_leave_the_cart_empty_whoever_saves_last(require_postgres, catalogue):
    # Given a guest on the review page, and a second connection of the same browser (one session)
    delivery_method_build()
    first_tab = Client()
    add_to_cart(first_tab, catalogue.lamp, 1)
    key = details_and_review_key(first_tab)
    second_tab = Client()
    second_tab.cookies[settings.SESSION_COOKIE_NAME] = first_tab.cookies[settings.SESSION_COOKIE_NAME].value

    # The unlucky interleaving, made certain: the first click commits its order and is about to
    # save its session; the second click reads the session now, and saves after the first did.
    role = threading.local()
    first_saving, second_loaded, first_saved = threading.Event(), threading.Event(), threading.Event()
    real_load, real_save = SessionStore.load, SessionStore.save

    def load(store):
        data = real_load(store)
        if getattr(role, "name", "") == "second":
            second_loaded.set()
        return data

    def save(store, must_create=False):
        name = getattr(role, "name", "")
        if name == "first":
            first_saving.set()
            second_loaded.wait(timeout=10)
        elif name == "second":
            first_saved.wait(timeout=10)
        real_save(store, must_create=must_create)
        if name == "first":
            first_saved.set()

    def click(tab, name):
        def run():
            role.name = name
            return checkout_place(tab, key)

        return run

    with mock.patch.object(SessionStore, "load", load), mock.patch.object(SessionStore, "save", save):
        # When the guest clicks twice
        first_thread, first = run_in_thread(click(first_tab, "first"))
        assert first_saving.wait(timeout=20), "the first click never got to saving its session"
        second_thread, second = run_in_thread(click(second_tab, "second"))
        first_thread.join(30)
        second_thread.join(30)

    # Then one order, both clicks shown it, and the cart is empty
    assert first.ok and second.ok, (first.error, second.error)
    assert second_loaded.is_set() and first_saved.is_set()
    assert first.value.status_code == second.value.status_code == 302
    assert first.value.url == second.value.url
    assert Order.objects.count() == 1
    assert cart_product_ids(first_tab) == []
