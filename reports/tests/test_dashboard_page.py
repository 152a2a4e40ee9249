"""The dashboard page in the console: managers only, every figure with its definition and a link
to the orders behind it, charts as inline SVG, bad dates answered beside the field, and the same
number of queries for 3 orders as for 12."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from tests.builders import CUSTOMER_SERVICE, order_advance, order_build, staff_member

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("admin:reports_dashboard")


def test_only_managers_and_superusers_see_the_dashboard(browser_as, admin_client):
    assert browser_as("Managers").get(DASHBOARD).status_code == 200
    assert admin_client.get(DASHBOARD).status_code == 200
    assert browser_as("Warehouse").get(DASHBOARD).status_code == 403
    assert browser_as("Customer service").get(DASHBOARD).status_code == 403


def test_the_home_page_links_managers_to_the_dashboard(browser_as):
    assert DASHBOARD in browser_as("Managers").get(reverse("admin:index")).content.decode()
    assert DASHBOARD not in browser_as("Warehouse").get(reverse("admin:index")).content.decode()


def test_each_figure_says_how_it_is_computed_and_links_to_its_orders(catalogue, browser_as):
    kept = order_build(lines=[(catalogue.book, 1)], state="verified")
    gone = order_build(lines=[(catalogue.book, 2)], state="verified")
    order_advance(order=gone, state="cancelled", actor=staff_member(CUSTOMER_SERVICE))
    browser = browser_as("Managers")

    page = browser.get(DASHBOARD).content.decode()

    for testid in ("orders", "revenue", "aov", "cycle", "on-time", "perfect", "backorders", "cancellations"):
        section = page.split(f'data-testid="figure-{testid}"')[1].split("</section>")[0]
        assert 'class="definition"' in section, testid
    assert (
        page.count('<svg xmlns="http://www.w3.org/2000/svg" class="report-chart"') == 5
    )  # per day x 2, pipeline, cycle, ageing
    assert "<script" not in page.split('data-testid="dashboard"')[1]
    cancelled_link = page.split('data-testid="figure-cancellations"')[1].split('href="')[1].split('"')[0]
    listed = browser.get(cancelled_link.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert [order.number for order in listed.context["cl"].result_list] == [gone.number]
    placed_link = page.split('data-testid="figure-orders"')[1].split('href="')[1].split('"')[0]
    listed = browser.get(placed_link.replace("&amp;", "&"))
    assert {order.number for order in listed.context["cl"].result_list} == {kept.number, gone.number}


def test_a_wrong_date_range_is_answered_beside_the_field(browser_as):
    today = timezone.localdate()
    response = browser_as("Managers").get(
        DASHBOARD, {"first_day": today.isoformat(), "last_day": (today - timedelta(days=3)).isoformat()}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["last_day"] == ["The last day comes before the first."]
    response = browser_as("Managers").get(DASHBOARD, {"first_day": "yesterday", "last_day": "2026-13-45"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"first_day", "last_day"}


def test_the_dashboard_costs_the_same_queries_for_3_orders_as_for_12(catalogue, browser_as):
    browser = browser_as("Managers")
    for _ in range(3):
        order_build(lines=[(catalogue.book, 1)], state="invoiced")
    browser.get(DASHBOARD)
    with CaptureQueriesContext(connection) as three:
        browser.get(DASHBOARD)
    for n in range(9):
        order_build(lines=[(catalogue.book, 1)], state="invoiced" if n % 2 else "verified")
    with CaptureQueriesContext(connection) as twelve:
        response = browser.get(DASHBOARD)

    assert response.context["figures"].placed == 12
    assert Order.objects.count() == 12
    assert len(three) == len(twelve)
