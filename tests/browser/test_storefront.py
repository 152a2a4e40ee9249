"""The storefront as a shopper uses it, in a real browser (issue 3, Acceptance)."""

import re

import pytest

from orders.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADDRESS = {
    "Street and house number": "Keizersgracht 10",
    "Postal code": "1015 CJ",
    "City": "Amsterdam",
}


def add_from_catalogue(page, product_name: str) -> None:
    page.goto("/")
    page.get_by_role("button", name=f"Add to cart: {product_name}").click()
    page.wait_for_url("**/")
    assert f"Added {product_name}." in page.locator(".messages").inner_text()


def fill_address(page, *, full_name: str | None = None) -> None:
    section = page.locator("[data-new-address]")
    if full_name is not None:
        section.get_by_label("Full name").fill(full_name)
    for label, value in ADDRESS.items():
        section.get_by_label(label, exact=True).fill(value)


def order_number_on(page) -> str:
    return re.search(r"Order (\S+)", page.get_by_role("heading", level=1).inner_text()).group(1)


def test_new_visitor_signs_up_orders_two_products_and_sees_the_order(page, shop):
    page.goto("/")
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Full name").fill("Nina Nieuw")
    page.get_by_label("E-mail address").fill("nina@example.com")
    page.get_by_label("Password", exact=True).fill("a long passphrase 42")
    page.get_by_label("Password again").fill("a long passphrase 42")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/account/")
    assert "Welcome! Your account is ready." in page.content()

    add_from_catalogue(page, "Oak chair")
    add_from_catalogue(page, "Desk lamp")
    assert page.get_by_test_id("cart-count").inner_text() == "2"
    page.get_by_role("link", name="Cart").click()
    assert page.get_by_test_id("cart-line").count() == 2
    page.get_by_role("link", name="Check out").click()

    assert page.get_by_label("Full name").first.input_value() == "Nina Nieuw"
    fill_address(page)
    page.get_by_label("Standard delivery").check()
    page.get_by_label("Bank transfer").check()
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_url("**/checkout/review/")
    assert "Keizersgracht 10" in page.content()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r".*/orders/\d+/$"))

    number = order_number_on(page)
    order = Order.objects.get(number=number)
    assert order.customer.user.username == "nina@example.com"
    assert sorted(order.lines.values_list("sku", flat=True)) == ["CHAIR-1", "LAMP-1"]
    assert page.get_by_test_id("order-line").count() == 2
    assert "Order received" in page.get_by_test_id("timeline").inner_text()
    assert page.get_by_test_id("payment-reference").inner_text().replace(" ", "") == order.payment_reference
    # The order is in the history too.
    page.get_by_role("link", name="My orders").first.click()
    assert page.get_by_test_id("order-row").count() == 1


def guest_checkout(page, *, email: str = "gast@example.com") -> str:
    add_from_catalogue(page, "Woodworking book")
    page.goto("/checkout/")
    page.get_by_label("E-mail address").fill(email)
    fill_address(page, full_name="Gerda Gast")
    page.get_by_label("Bank transfer").check()
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_url("**/checkout/review/")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r".*/orders/\d+/$"))
    return order_number_on(page)


def test_guest_checks_out_and_finds_the_order_by_number_and_email(new_page, shop):
    number = guest_checkout(new_page(), email="gast@example.com")
    assert Order.objects.get(number=number).customer.user is None

    elsewhere = new_page()  # another browser: no session, no cookies
    elsewhere.goto("/")
    elsewhere.get_by_role("link", name="Find an order placed without an account").click()
    elsewhere.get_by_label("Order number").fill(number)
    elsewhere.get_by_label("E-mail address").fill("wrong@example.com")
    elsewhere.get_by_role("button", name="Find order").click()
    assert "could not find" in elsewhere.locator(".error-summary").inner_text()
    assert elsewhere.get_by_label("Order number").input_value() == number
    elsewhere.get_by_label("E-mail address").fill("Gast@Example.com")
    elsewhere.get_by_role("button", name="Find order").click()
    elsewhere.wait_for_url(f"**/orders/{number}/")
    assert order_number_on(elsewhere) == number
    assert "Woodworking book" in elsewhere.content()


def _to_review(page) -> None:
    add_from_catalogue(page, "Oak chair")
    page.goto("/checkout/")
    page.get_by_label("E-mail address").fill("quick@example.com")
    fill_address(page, full_name="Quinten Snel")
    page.get_by_label("Bank transfer").check()
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_url("**/checkout/review/")


@pytest.mark.parametrize("java_script_enabled", [True, False], ids=["with-js", "without-js"])
def test_a_double_clicked_place_order_makes_one_order(new_page, shop, java_script_enabled):
    page = new_page(java_script_enabled=java_script_enabled)
    _to_review(page)
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)

    page.get_by_role("button", name="Place order").dblclick()
    page.wait_for_url(re.compile(r".*/orders/\d+/$"))

    assert len(posts) >= 1

    assert Order.objects.count() == 1
    assert order_number_on(page) == Order.objects.get().number
    # Back to the review page and press again: still the one order, shown.
    page.go_back()
    if "/checkout/review/" in page.url and page.get_by_role("button", name="Place order").count():
        page.get_by_role("button", name="Place order").click()
        page.wait_for_url(re.compile(r".*/orders/\d+/$"))
    assert Order.objects.count() == 1


def test_the_same_checkout_sent_three_times_makes_one_order(page, shop):
    """The page's script and the browser both hold back a second click; here the form is sent
    again regardless (as a flaky connection or a proxy retry would), then submitted normally."""
    _to_review(page)
    statuses = page.evaluate(
        """async () => {
            const form = document.querySelector("form[data-submit-once]");
            const body = new URLSearchParams(new FormData(form));
            const sent = [];
            for (let i = 0; i < 2; i++) {
                const response = await fetch(form.action, {method: "POST", body, redirect: "manual"});
                sent.push(response.type);
            }
            return sent;
        }"""
    )
    assert statuses == ["opaqueredirect", "opaqueredirect"]
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r".*/orders/\d+/$"))

    assert Order.objects.count() == 1
    assert order_number_on(page) == Order.objects.get().number


def test_a_form_error_keeps_what_was_typed(page, shop):
    add_from_catalogue(page, "Desk lamp")
    page.goto("/checkout/")
    page.get_by_label("E-mail address").fill("typo@example")
    fill_address(page, full_name="Tineke Typfout")
    page.locator("[data-new-address]").get_by_label("Postal code", exact=True).fill("ABC")
    page.locator("[data-new-address]").get_by_label("Apartment, floor, etc.").fill("2nd floor")
    page.get_by_label("Instructions for delivery").fill("Ring twice, please")
    page.get_by_label("Cash on delivery").check()
    page.get_by_role("button", name="Continue to review").click()

    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "e-mail address" in summary.inner_text() and "postal code" in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    postal = page.locator("[data-new-address]").get_by_label("Postal code", exact=True)
    assert postal.get_attribute("aria-invalid") == "true"
    assert page.locator("#id_ship_postal_code_error").is_visible()
    # Everything typed is still there.
    assert page.get_by_label("E-mail address").input_value() == "typo@example"
    assert page.locator("[data-new-address]").get_by_label("Full name").input_value() == "Tineke Typfout"
    assert page.locator("[data-new-address]").get_by_label("Apartment, floor, etc.").input_value() == "2nd floor"
    assert page.get_by_label("Instructions for delivery").input_value() == "Ring twice, please"
    assert page.get_by_label("Cash on delivery").is_checked()
    assert page.get_by_test_id("cart-count").inner_text() == "1", "the cart survives"
    # The summary links to the field.
    summary.get_by_role("link", name=re.compile("postal code")).click()
    assert page.evaluate("document.activeElement.id") == "id_ship_postal_code"

    page.get_by_label("E-mail address").fill("typo@example.com")
    postal.fill("1015 CJ")
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_url("**/checkout/review/")
    assert "Ring twice, please" in page.content()
    assert not Order.objects.exists()


def test_the_shop_works_on_a_phone(new_page, shop):
    page = new_page(viewport={"width": 375, "height": 740})
    page.goto("/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "no sideways scrolling"
    add_from_catalogue(page, "Oak chair")
    page.goto("/cart/")
    assert page.get_by_role("link", name="Check out").is_visible()


def test_keyboard_users_see_where_focus_is(page, shop):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
