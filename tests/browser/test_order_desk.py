"""The order desk in a real browser (issue 12): customer service finds the caller, adds a line by
SKU, sees its availability and the totals the server computes as they change, and places the
order; the page's script runs under the strict Content-Security-Policy without a violation."""

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.browser.screenshots import save
from tests.builders import CUSTOMER_SERVICE, customer_build, staff_member

from .test_content_security_policy import watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_phone_order_entered_live_at_the_desk(new_page, shop, out):
    # Given a customer who calls, and a customer-service clerk signed in to the console
    caller = customer_build(full_name="Piet Smit", email="piet@example.com", phone="+31 20 777 1234")
    caller.addresses.create(
        full_name="Piet Smit", line1="Damrak 1", postal_code="1012 LG", city="Amsterdam", country="NL"
    )
    clerk = staff_member(CUSTOMER_SERVICE)
    page, problems = watched(new_page(viewport={"width": 1280, "height": 900}))
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(clerk.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")

    # When the clerk presses "Add order" on the order list and finds the caller by phone number
    page.goto("/admin/orders/order/")
    page.get_by_role("link", name="Add order").click()
    page.wait_for_url("**/admin/orders/quote/desk/")
    page.get_by_label("Find a customer").fill("+31 20 777")
    page.locator("[data-desk-customer-results]").get_by_role("button", name="Choose").click()

    # Then the caller is chosen and their address fills the invoice address
    assert "Piet Smit" in page.locator("[data-desk-chosen]").inner_text()
    assert page.locator("input[name='billing-line1']").input_value() == "Damrak 1"

    # When the clerk types a SKU and presses Add line
    page.get_by_label("SKU, barcode or name").fill("chair-1")
    page.get_by_role("button", name="Add line").click()

    # Then the line shows its availability per warehouse, and the server's totals appear
    line = page.locator("tr[data-desk-line]")
    expect(line).to_have_count(1)
    expect(page.locator("[data-total=total]")).to_contain_text("180.29")
    expect(line.locator("[data-desk-availability]")).to_contain_text("AMS 10")  # total: 149.00 + 31.29 VAT

    # When they change the quantity and choose standard delivery, the totals follow
    line.locator("input[name=line_quantity]").fill("2")
    # (the desk offers only the methods that deliver this order, each named with its fee)
    standard = page.locator("select[name=delivery_method] option", has_text="Standard delivery")
    expect(standard).to_contain_text("€")
    page.get_by_label("Delivery method").select_option(label=standard.inner_text())
    expect(page.locator("[data-total=total]")).to_contain_text("366.57")
    expect(line.locator("[data-desk-line-total]")).to_contain_text("360.58")

    # And when they choose bank transfer and place the order
    page.get_by_label("Payment method").select_option(label="Bank transfer")
    save(page, out, "order-desk", full_page=True)
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/admin/orders/order/*/change/")

    # Then the order page shows the new order, placed by the clerk for the caller, by phone
    order = Order.objects.get()
    assert f"Order {order.number} placed for Piet Smit" in page.locator(".messagelist").inner_text()
    assert (order.customer, order.channel, order.placed_by) == (caller, Order.Channel.PHONE, clerk)
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("CHAIR-1", 2)]
    assert order.status == Order.Status.VERIFIED
    problems.extend(page.evaluate("window.__cspViolations"))
    assert problems == []
