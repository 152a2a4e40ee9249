"""The order page in a real browser at 1280×800 (issue 10, item 3): what matters is above the fold,
the timeline reads in sentences without codes or JSON, and a staff comment lands on it."""

import re

import pytest
from django.contrib.auth.models import User

from orders.models import OrderEvent
from tests.browser.screenshots import save
from tests.builders import address_data, order_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 800}
# Text of the page outside closed <details> that holds a JSON object ("{" then a quote).
JSON_OUTSIDE_CLOSED_DETAILS = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.includes('{"')) continue;
    const details = node.parentElement.closest("details");
    const hidden = details && !details.open && !node.parentElement.closest("summary");
    if (!hidden && !node.parentElement.closest("script")) found.push(node.textContent.trim().slice(0, 80));
  }
  return found;
}"""


def signed_in(new_page):
    User.objects.create_superuser(username="boss", password="boss-pass-42", email="boss@example.com")
    page = new_page(viewport=VIEWPORT)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("boss-pass-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return page


def assert_above_the_fold(page, *test_ids):
    for test_id in test_ids:
        box = page.get_by_test_id(test_id).bounding_box()
        assert box is not None, test_id
        assert box["y"] < VIEWPORT["height"], f"{test_id} starts at {box['y']:.0f}px, below the fold"


def assert_no_code_and_no_json(page):
    text = page.locator("body").inner_text()
    assert [kind for kind in OrderEvent.Kind.values if kind in text] == []
    assert page.evaluate(JSON_OUTSIDE_CLOSED_DETAILS) == []


def test_order_pages_show_the_essentials_first_and_a_readable_timeline(new_page, shop, out):
    # Given a held order with several lines (its postal code is wrong) and a delivered, invoiced one
    held = order_build(
        lines=[(shop.chair, 2), (shop.lamp, 1), (shop.book, 3), (shop.assembly, 1)],
        state="on_hold",
        shipping_address=address_data(postal_code="12"),
    )
    invoiced = order_build(lines=[(shop.chair, 1), (shop.book, 1)], state="invoiced")
    page = signed_in(new_page)

    # When a manager opens the held order
    page.goto(f"/admin/orders/order/{held.pk}/change/")

    # Then the badges, the hold reason, the lines and the payment card are above the fold
    assert_above_the_fold(page, "status-badges", "hold-reasons", "lines", "payment")
    assert "On hold" in page.get_by_test_id("status-badges").inner_text()
    assert (
        "delivery postal code '12' does not look like one from NL" in page.get_by_test_id("hold-reasons").inner_text()
    )
    assert page.get_by_test_id("lines").locator("tbody tr").count() == 4
    # ... and the timeline tells what happened in sentences, its data folded away
    timeline = page.get_by_test_id("timeline")
    assert "System put the order on hold: delivery postal code '12'" in timeline.inner_text()
    assert timeline.locator("details[open]").count() == 0
    assert_no_code_and_no_json(page)

    # When they add a staff comment
    page.get_by_label("Staff comment").fill("Rang the customer: the postal code is 1016 GV, fixing it.")
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_load_state("load")

    # Then it is on the timeline, newest first, with its author
    first = page.get_by_test_id("timeline").locator(".timeline-entry").first
    assert first.locator(".timeline-sentence").inner_text() == "Boss commented."
    assert "Rang the customer: the postal code is 1016 GV, fixing it." in first.inner_text()
    assert re.search(r"\d{1,2} \w{3} \d{4}, \d{2}:\d{2}", first.locator(".timeline-meta").inner_text())
    assert_no_code_and_no_json(page)
    save(page, out, "order-page", full_page=True)

    # And the delivered order shows its invoice in the payment card, above the fold too
    page.goto(f"/admin/orders/order/{invoiced.pk}/change/")
    assert_above_the_fold(page, "status-badges", "lines", "payment")
    invoice = invoiced.invoices.get()
    assert invoice.number in page.get_by_test_id("payment").inner_text()
    assert "Invoiced" in page.get_by_test_id("status-badges").inner_text()
    assert_no_code_and_no_json(page)
