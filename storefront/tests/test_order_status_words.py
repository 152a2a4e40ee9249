"""Customers read their order's state in plain words, with what happens next (issue 10, item 9), on
the order page (also what the guest look-up and the checkout's thank-you land on) and in My orders;
and those pages' query counts stay flat in rows."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, RiskRules
from tests.builders import address_data, order_build, product_build, stock_put
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _risk_rules_off(db):
    """No risk rule holds these orders (a test that wants one sets it); 0 turns a rule off."""
    rules = RiskRules.current()
    rules.large_order_total = rules.first_order_total = 0
    rules.velocity_max_orders = rules.duplicate_window_minutes = 0
    rules.save()


def order_page(client, order) -> str:
    response = client.get(reverse("storefront:order_detail", args=[order.number]))
    assert response.status_code == 200
    return response.content.decode()


def status_block(page: str) -> str:
    block = re.search(r'<section class="order-status[^"]*"[^>]*data-testid="order-status">(.*?)</section>', page, re.S)
    assert block, "the order page opens with its state"
    return re.sub(r"<[^>]+>", "", block.group(1))


def history_statuses(client) -> list[str]:
    page = client.get(reverse("storefront:account")).content.decode()
    return re.findall(r'<span class="status status--\w+">([^<]*)</span>', page)


def test_a_verified_order_is_being_prepared(anna_client, anna, shop):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)])

    block = status_block(order_page(anna_client, order))

    assert "We are preparing your order" in block
    assert "What happens next: We e-mail you the tracking details when it leaves our warehouse." in block
    assert history_statuses(anna_client) == ["We are preparing your order"]


def test_an_order_held_for_its_address_says_so_and_nothing_more(anna_client, anna, shop):
    order = order_build(
        state="on_hold",
        customer=anna.customer,
        lines=[(shop.chair, 1)],
        shipping_address=address_data(postal_code="ABC"),
    )

    page = order_page(anna_client, order)

    block = status_block(page)
    assert "On hold: we need to check your address" in block and "We will e-mail you about it." in block
    assert "postal code" not in page.lower() and "customer:" not in page
    assert history_statuses(anna_client) == ["On hold: we need to check your address"]


def test_an_order_held_by_a_risk_rule_never_tells_the_rule(anna_client, anna, shop):
    rules = RiskRules.current()
    rules.large_order_total, rules.first_order_total = Decimal("100.00"), 0
    rules.save()
    order = order_build(state="on_hold", customer=anna.customer, lines=[(shop.chair, 1)])

    page = order_page(anna_client, order)

    assert "On hold: we check some orders by hand before we prepare them" in status_block(page)
    assert not re.search(r"risk|large order|threshold", page, re.IGNORECASE)
    assert "confirm" not in page.lower()


def test_an_order_held_for_stock_says_part_is_out_of_stock(anna_client, anna, shop):
    scarce = product_build(sku="RARE-1", name="Rare vase", tax_class=shop.standard)  # none in stock, no back-order
    order = order_build(state="on_hold", customer=anna.customer, lines=[(scarce, 1)])

    assert "On hold: part of your order is out of stock" in status_block(order_page(anna_client, order))


def test_a_back_order_gives_the_expected_date(anna_client, anna, shop):
    order = order_build(state="backordered", customer=anna.customer, lines=[(shop.desk, 1)])
    expected = timezone.localdate() + timedelta(days=shop.desk.restock_lead_days)

    block = status_block(order_page(anna_client, order))

    assert f"Waiting for stock, expected around {expected:%-d %B %Y}" in block
    assert history_statuses(anna_client) == [f"Waiting for stock, expected around {expected:%-d %B %Y}"]


def test_shipped_orders_point_at_the_tracking_and_parcels_read_plainly(anna_client, anna, shop, staff):
    order = order_build(state="shipped", customer=anna.customer, lines=[(shop.chair, 1)], actor=staff)

    page = order_page(anna_client, order)

    block = status_block(page)
    assert "Your order is on its way" in block and "Track it with the details under Parcels." in block
    parcel = re.search(r'<li data-testid="parcel">(.*?)</li>', page, re.S).group(1)
    assert "Handed to the carrier" in parcel and "Shipped" not in parcel


def test_an_invoiced_bank_transfer_order_asks_for_payment(anna_client, anna, shop, staff):
    order = order_build(state="invoiced", customer=anna.customer, lines=[(shop.chair, 1)], actor=staff)

    page = order_page(anna_client, order)

    assert "Invoiced: awaiting your payment" in status_block(page)
    assert "payment reference" in status_block(page)
    invoice = order.invoices.get()
    assert f"Invoice {invoice.number} (PDF)</a> · Awaiting payment" in page


def test_completed_and_cancelled_orders(anna_client, anna, shop, staff):
    completed = order_build(
        state="completed", customer=anna.customer, lines=[(shop.chair, 1)], payment_method="card", actor=staff
    )
    cancelled = order_build(state="cancelled", customer=anna.customer, lines=[(shop.lamp, 1)])

    assert "Complete: delivered and paid" in status_block(order_page(anna_client, completed))
    assert "Cancelled" in status_block(order_page(anna_client, cancelled))
    assert sorted(history_statuses(anna_client)) == ["Cancelled", "Complete: delivered and paid"]


def test_the_guest_look_up_and_the_thank_you_page_show_the_state(client, shop):
    add_to_cart(client, shop.chair)
    placed = checkout(client, GUEST_DETAILS)
    order = Order.objects.get()

    thanks = client.get(placed.url).content.decode()
    assert "We are preparing your order" in status_block(thanks)

    elsewhere = type(client)()
    found = elsewhere.post(reverse("storefront:order_lookup"), {"number": order.number, "email": order.email})
    assert "We are preparing your order" in status_block(elsewhere.get(found.url).content.decode())


# --- Query counts, flat in rows -----------------------------------------------------------------


def _queries(client, url) -> int:
    """The page's queries, but for the session's (none with Redis, which caches sessions; one without)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len([query for query in queries if "django_session" not in query["sql"]])


def _many_lines(shop, count: int) -> list:
    products = []
    for n in range(count):
        product = product_build(sku=f"MANY-{n}", name=f"Many {n}", tax_class=shop.standard)
        stock_put(product=product, warehouse=shop.main if n % 2 else shop.second, quantity=5)
        products.append((product, 2))
    return products


def test_the_order_page_runs_as_many_queries_for_one_line_as_for_many(anna_client, anna, shop, staff):
    # Given a one-line order, and one with eight lines in two parcels, invoiced, with a long timeline
    one = order_build(state="invoiced", customer=anna.customer, lines=[(shop.chair, 1)], actor=staff)
    many = order_build(state="invoiced", customer=anna.customer, lines=_many_lines(shop, 8), actor=staff)
    assert many.shipments.count() == 2 and many.events.count() > one.events.count()

    # Then both pages cost the same
    url = lambda order: reverse("storefront:order_detail", args=[order.number])  # noqa: E731
    one_count, many_count = _queries(anna_client, url(one)), _queries(anna_client, url(many))
    # (the user, the order, its lines, parcels, invoices, credit notes, returns, refunds, timeline, failed
    # checks; the cart count)
    assert one_count == many_count <= 11, (one_count, many_count)


def test_a_held_order_page_costs_no_more_than_another(anna_client, anna, shop):
    verified = order_build(customer=anna.customer, lines=[(shop.chair, 1)])
    held = order_build(
        state="on_hold", customer=anna.customer, lines=[(shop.chair, 1)], shipping_address=address_data(city="")
    )

    verified_url = reverse("storefront:order_detail", args=[verified.number])
    held_url = reverse("storefront:order_detail", args=[held.number])
    assert _queries(anna_client, verified_url) == _queries(anna_client, held_url)


def test_my_orders_runs_as_many_queries_for_one_order_as_for_a_page_of_mixed_states(anna_client, anna, shop, staff):
    order_build(customer=anna.customer, lines=[(shop.chair, 1)])
    one = _queries(anna_client, reverse("storefront:account"))

    # When the page fills with held, back-ordered, shipped and cancelled orders
    order_build(
        state="on_hold", customer=anna.customer, lines=[(shop.chair, 1)], shipping_address=address_data(city="")
    )
    order_build(state="backordered", customer=anna.customer, lines=[(shop.desk, 1)])
    order_build(state="backordered", customer=anna.customer, lines=[(shop.desk, 2)])
    order_build(state="shipped", customer=anna.customer, lines=[(shop.lamp, 1)], actor=staff)
    order_build(state="cancelled", customer=anna.customer, lines=[(shop.book, 1)])
    assert len(history_statuses(anna_client)) == 6

    # Then the page costs the same (the failed checks and back-order dates in one query each)
    assert _queries(anna_client, reverse("storefront:account")) == one <= 7, one
