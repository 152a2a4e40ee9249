"""Item 9 of issue 8: behind a trusted proxy the throttles count the address the proxy saw.

The proxy appends the address it received the request from to X-Forwarded-For; what a client
wrote into the header itself stays to the left. With TRUSTED_PROXY_COUNT=1 a forged entry must
neither put the client in the proxy's bucket (shared with every other guest) nor let it pose as
somebody else.
"""

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from orders.services.customers import customer_sign_up
from orders_site.core.client_address import client_address
from tests.builders import customer_build, order_build

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
ALICE = "203.0.113.9"  # a client trying her luck
BOB = "198.51.100.7"  # a guest looking up his own order
LOOKUP = "storefront:order_lookup"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.GUEST_LOOKUP_MAX_ATTEMPTS = 2
    cache.clear()
    yield
    cache.clear()


def through_proxy(real_address: str, forged: str = "") -> Client:
    """A client behind our proxy: the proxy connects to us and appends the address it saw."""
    header = f"{forged}, {real_address}" if forged else real_address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)


@pytest.fixture
def bobs_order(catalogue):
    return order_build(customer=customer_build(email="bob@example.com"), lines=[(catalogue.lamp, 1)])


def fail_lookups(client: Client, times: int) -> None:
    for attempt in range(times):
        response = client.post(reverse(LOOKUP), {"number": f"{attempt}", "email": "guess@example.com"})
        assert response.status_code == 200


def test_clients_with_different_forged_entries_are_counted_by_their_own_addresses(bobs_order):
    # Given Alice used up her tries, with a forged entry of her own in front
    alice = through_proxy(ALICE, forged="192.0.2.1")
    fail_lookups(alice, 2)
    assert alice.post(reverse(LOOKUP), {"number": "9", "email": "x@example.com"}).status_code == 429

    # When Bob, through the same proxy and with another forged entry, looks up his order
    bob = through_proxy(BOB, forged="192.0.2.2")
    found = bob.post(reverse(LOOKUP), {"number": bobs_order.number, "email": "bob@example.com"})

    # Then he is not in Alice's bucket (nor in the proxy's)
    assert found.status_code == 302


def test_a_client_forging_many_entries_cannot_pose_as_another_nor_reset_her_count(bobs_order):
    # Given Alice forges a long chain naming Bob, and a fresh one on every try
    for attempt in range(2):
        forged = ", ".join([BOB] * 40 + [f"192.0.2.{attempt}"])
        fail_lookups(through_proxy(ALICE, forged=forged), 1)

    # When she tries again with yet another chain
    forged = ", ".join(["192.0.2.200", BOB, BOB])
    blocked = through_proxy(ALICE, forged=forged).post(reverse(LOOKUP), {"number": "7", "email": "x@example.com"})

    # Then she is held to her own address, and nobody else's count is touched: not Bob's, nor
    # that of anyone whose header has entries of its own (Bob behind his office proxy)
    assert blocked.status_code == 429
    for bob in (through_proxy(BOB), through_proxy(BOB, forged="10.1.2.3")):
        found = bob.post(reverse(LOOKUP), {"number": bobs_order.number, "email": "bob@example.com"})
        assert found.status_code == 302


def test_sign_in_failures_are_recorded_and_locked_out_by_the_address_the_proxy_saw(settings, catalogue):
    # Given an account, and Alice guessing its password behind forged entries naming Bob
    customer_sign_up(email="bob@example.com", password="a long passphrase 42", full_name="Bob Bakker")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        alice = through_proxy(ALICE, forged=f"{BOB}, 192.0.2.{attempt}")
        alice.post(reverse("login"), {"username": "bob@example.com", "password": f"guess {attempt}"})

    # Then the failures are Alice's, and she is locked out whatever she forges next
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ALICE}
    locked = through_proxy(ALICE, forged=BOB).post(
        reverse("login"), {"username": "bob@example.com", "password": "a long passphrase 42"}
    )
    assert locked.status_code == 429
    # When Bob signs in from his own address, through the same proxy
    bob = through_proxy(BOB, forged="192.0.2.77")
    signed_in = bob.post(reverse("login"), {"username": "bob@example.com", "password": "a long passphrase 42"})
    assert signed_in.status_code == 302
    assert "_auth_user_id" in bob.session


@pytest.mark.parametrize(
    ("proxies", "remote_addr", "forwarded_for", "expected"),
    [
        (0, "203.0.113.9", "192.0.2.1", "203.0.113.9"),  # no trusted proxy: the header is ignored
        (1, PROXY, "192.0.2.1, 203.0.113.9", "203.0.113.9"),
        (1, PROXY, "203.0.113.9", "203.0.113.9"),
        (2, PROXY, "192.0.2.1, 203.0.113.9, 10.0.0.1", "203.0.113.9"),  # two proxies, both appended
        (2, PROXY, "10.0.0.1", PROXY),  # shorter than the chain: not through both proxies
        (1, PROXY, "", PROXY),  # straight to gunicorn, no header
        (1, PROXY, "192.0.2.1, not-an-address", PROXY),
        (1, PROXY, "192.0.2.1, 203.0.113.9:51000", "203.0.113.9"),
        (1, PROXY, "192.0.2.1, [2001:DB8::1]:443", "2001:db8::1"),
        (1, PROXY, "192.0.2.1,2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_is_the_entry_the_last_trusted_proxy_appended(
    settings, proxies, remote_addr, forwarded_for, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_address(request) == expected
