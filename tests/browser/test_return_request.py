"""A customer asks to return an item from the order page, in a real browser (issue 13's
acceptance): the link on the order page, units and a reason on the return page, errors beside
the field, the request confirmed and listed on the order page."""

import pytest

from orders.models import ReturnRequest
from tests.builders import customer_signed_up, order_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long passphrase 42"


@pytest.fixture
def delivered(shop):
    customer = customer_signed_up(email="anna@example.com", password=PASSWORD)
    return order_build(lines=[(shop.chair, 2), (shop.lamp, 1)], state="completed", customer=customer.customer)


def sign_in(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill("anna@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account/")


def test_a_customer_requests_a_return_on_the_order_page(page, delivered):
    sign_in(page)
    page.goto(f"/orders/{delivered.number}/")
    page.get_by_test_id("return-items").click()
    page.wait_for_url(f"**/orders/{delivered.number}/return/")

    # Nothing chosen: told so, and nothing saved
    page.get_by_label("Why are you sending it back?").select_option("damaged")
    page.get_by_test_id("request-return").click()
    assert "Choose at least one item to send back." in page.content()
    assert not ReturnRequest.objects.exists()

    chair = delivered.lines.get(sku="CHAIR-1")
    page.get_by_label(f"{chair.name}: how many to send back").select_option("1")
    page.get_by_label("Why are you sending it back?").select_option("damaged")
    page.get_by_label("Anything we should know?").fill("One leg arrived cracked")
    page.get_by_label("Store credit in my account").check()
    page.get_by_test_id("request-return").click()
    page.wait_for_url(f"**/orders/{delivered.number}/")

    request = ReturnRequest.objects.get()
    assert (request.reason, request.comment, request.refund_to) == (
        "damaged",
        "One leg arrived cracked",
        "store_credit",
    )
    assert request.lines.get().order_line == chair
    assert f"We received your return request {request.number}" in page.locator(".messages").inner_text()
    assert request.number in page.get_by_test_id("returns").inner_text()
