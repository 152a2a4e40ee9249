"""The strict Content-Security-Policy breaks nothing the shop or the staff console shows (issue 8,
item 6): a real browser reports no violation and no policy error on the pages people use."""

import pytest
from django.contrib.auth.models import User

from tests.builders import order_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in every page before its own scripts; Playwright's init scripts are not subject to the page's CSP.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def watched(page):
    """The page, and a list that collects every CSP violation and policy error it reports."""
    problems = []
    page.add_init_script(RECORD_VIOLATIONS)

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or "Permissions-Policy" in text or "Permissions policy" in text:
            problems.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return page, problems


def visit(page, problems, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    page.wait_for_load_state("load")
    problems.extend(page.evaluate("window.__cspViolations"))


def test_storefront_and_admin_pages_report_no_policy_violation(page, shop):
    # Given a shop with an order, and a manager who signs in to the staff console
    order = order_build(lines=[(shop.book, 1)])
    User.objects.create_superuser(username="boss", password="boss-pass-42", email="boss@example.com")
    page, problems = watched(page)

    # When a shopper browses and adds to the cart (shop.js runs on every page)
    visit(page, problems, "/")
    visit(page, problems, f"/products/{shop.chair.slug}/")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_load_state("load")
    assert page.get_by_test_id("cart-count").inner_text() == "1"
    visit(page, problems, "/cart/")
    visit(page, problems, "/checkout/")

    # And the manager signs in and opens an order, its list, and a page with an autocomplete field
    visit(page, problems, "/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("boss-pass-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    visit(page, problems, "/admin/orders/order/")
    visit(page, problems, f"/admin/orders/order/{order.pk}/change/")
    assert page.locator(".staff-actions").count() == 1
    assert page.locator(".staff-actions").evaluate("e => getComputedStyle(e).borderStyle") == "solid", (
        "the staff console stylesheet is applied"
    )
    visit(page, problems, f"/admin/orders/address/{order.shipping_address_id}/change/")
    page.locator(".select2-selection").first.click()  # the customer autocomplete opens
    page.wait_for_selector(".select2-results")
    problems.extend(page.evaluate("window.__cspViolations"))

    # Then the browser reported no violation of either policy
    assert problems == [], "\n".join(problems)
