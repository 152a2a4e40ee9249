"""No storefront page is wider than a phone (issue 10, item 10): at 390 px every page a customer
can open, filled with realistic, long content, fits the viewport without sideways scrolling.

The shop here has what makes pages wide in real life: long product names and SKUs, a long
e-mail address and street, customisation notes, an order with several lines in two parcels with
carriers and tracking numbers, an invoice, and bank-transfer instructions with a 32-character IBAN
and an RF reference. The order page at 390 px is also README's "order-phone" screenshot.
"""

import re
from decimal import Decimal

import pytest

from tests.browser.screenshots import save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LONG_IBAN = "LC55HEMM000100010012001200023015"  # Saint Lucia: 32 characters, a valid check sum
EMAIL = "anna.de.vries-van.der.heijden@voorbeeld-meubelmakerij.example"
PASSWORD = "a long passphrase 42"
LONG_ADDRESS = {
    "full_name": "Anna Maria Theodora de Vries-van der Heijden",
    "company": "Meubelmakerij De Vries-van der Heijden en Zonen B.V.",
    "line1": "Nieuwe Prinsengracht 263-bis, achterhuis, derde verdieping",
    "line2": "Ingang via de Reguliersdwarsstraat, bel bij Rijksmonumentenbeheer",
    "postal_code": "1016 GV",
    "city": "Amsterdam-Zuidoost",
    "region": "Noord-Holland",
    "country": "NL",
    "phone": "+31 20 123 45 67",
}


def width_of(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def too_wide(page, widths: dict, name: str, limit: int) -> None:
    """Record the page's width, and which elements stick out, for one readable failure at the end."""
    width = width_of(page)
    if width > limit:
        sticking_out = page.evaluate(
            """limit => [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > limit + 0.5)
                .slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + el.className + ' ' +
                    Math.round(el.getBoundingClientRect().right))""",
            limit,
        )
        widths[name] = (width, sticking_out)


@pytest.fixture
def long_shop(shop, settings):
    """The browser fixtures' shop with long names, a signed-up customer with a long address, and
    her orders: held, being prepared (bank transfer), shipped with tracking, invoiced, completed."""
    from inventory.models import Product
    from lifecycle.checkout import order_checkout
    from orders.models import Customer, DeliveryMethod, Order
    from orders.services.customers import address_save, customer_sign_up
    from orders.services.placement import AddressData, LineRequest
    from tests.builders import order_advance, stock_put

    settings.SHOP_IBAN = LONG_IBAN
    settings.SHOP_ACCOUNT_HOLDER = "Stichting Derdengelden Meubelmakerij De Vries-van der Heijden"
    table = Product.objects.create(
        sku="TABLE-OAK-EXTENDABLE-180-240-NATURAL-OIL",
        name="Hand-finished solid European oak extending dining table with bevelled edges, 180–240 cm",
        slug="oak-extending-table",
        price=Decimal("1895.00"),
        tax_class=shop.standard,
        description="Eikenhoutenuitschuiftafelverlengstukken included. " * 4,
    )
    stock_put(product=table, warehouse=shop.main, quantity=4)
    stock_put(product=shop.book, warehouse=shop.main, quantity=5)  # so the order splits over two warehouses
    customer_sign_up(email=EMAIL, password=PASSWORD, full_name=LONG_ADDRESS["full_name"])
    anna = Customer.objects.get(email=EMAIL)
    address_save(customer=anna, data=AddressData(**LONG_ADDRESS))
    standard = DeliveryMethod.objects.get(code="standard")

    def place(lines, *, payment_method="bank_transfer", address=None, state=None):
        address = address or AddressData(**LONG_ADDRESS)
        order = order_checkout(
            customer=anna,
            lines=[LineRequest(product_id=p.pk, quantity=q, customisation_notes=notes) for p, q, notes in lines],
            channel=Order.Channel.WEB,
            delivery_method=standard,
            payment_method=payment_method,
            billing_address=address,
            shipping_address=address,
            card_token="4242 4242 4242 4242" if payment_method == "card" else "",
        )
        return order_advance(order=order, state=state) if state else order

    from orders.models import RiskRules

    rules = RiskRules.current()
    rules.large_order_total = rules.first_order_total = rules.velocity_max_orders = 0
    rules.duplicate_window_minutes = 0
    rules.save()
    notes = "Engrave on the underside: “For Anna and Joost, 25 years, Prinsengracht 263 — with love”"
    many = [(table, 1, notes), (shop.chair, 2, ""), (shop.lamp, 2, ""), (shop.book, 3, "Gift-wrapped, no invoice")]
    orders = {
        "prepared": place(many),
        "held": place([(shop.chair, 1, "")], address=AddressData(**{**LONG_ADDRESS, "postal_code": "ABC"})),
        "shipped": place(many, state="shipped"),
        "invoiced": place(many, state="invoiced"),
        "completed": place([(shop.chair, 1, "")], payment_method="card", state="completed"),
    }
    assert orders["held"].status == Order.Status.ON_HOLD and orders["prepared"].status == Order.Status.VERIFIED
    assert orders["invoiced"].shipments.count() == 2 and orders["invoiced"].invoices.exists()
    shop.table, shop.anna, shop.orders = table, anna, orders
    return shop


def sign_in(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account/")


def test_no_storefront_page_is_wider_than_a_phone(new_page, long_shop, out):
    from feedback.selectors import feedback_link_for_request

    orders = long_shop.orders
    widths: dict = {}
    guest = new_page(viewport=PHONE)
    for name, url in (
        ("sign in", "/accounts/login/"),
        ("sign up", "/account/sign-up/"),
        ("password reset", "/accounts/password_reset/"),
        ("order look-up", "/orders/find/"),
        ("404", "/no-such-page/"),
    ):
        response = guest.goto(url)
        assert response.status == (404 if name == "404" else 200), name
        too_wide(guest, widths, name, PHONE["width"])

    phone = new_page(viewport=PHONE)
    sign_in(phone)
    too_wide(phone, widths, "account", PHONE["width"])
    pages = {
        "catalogue": "/",
        "catalogue search": "/?q=oak&sort=price",
        "product": f"/products/{long_shop.table.slug}/",
        "address book": "/account/addresses/",
        "address form": f"/account/addresses/{long_shop.anna.addresses.get().pk}/",
        "new address form": "/account/addresses/new/",
        "profile": "/account/profile/",
        "order: on hold": f"/orders/{orders['held'].number}/",
        "order: being prepared": f"/orders/{orders['prepared'].number}/",
        "order: shipped": f"/orders/{orders['shipped'].number}/",
        "order: invoiced": f"/orders/{orders['invoiced'].number}/",
        "order: completed": f"/orders/{orders['completed'].number}/",
        "cancel": f"/orders/{orders['prepared'].number}/cancel/",
        "feedback": feedback_link_for_request(request_id=orders["completed"].feedback_request.pk),
        "404 signed in": "/orders/999999/",
    }
    for name, url in pages.items():
        phone.goto(url)
        too_wide(phone, widths, name, PHONE["width"])

    # The cart with notes on a line, the checkout with its errors shown, and the review page
    phone.goto(f"/products/{long_shop.assembly.slug}/")
    phone.get_by_label(re.compile("Notes for this item")).fill(
        "Assemble the extending table on Saturday morning; ring at the Reguliersdwarsstraat entrance"
    )
    phone.get_by_role("button", name=re.compile("Add to cart")).click()
    for product in (long_shop.table, long_shop.chair):
        phone.goto(f"/products/{product.slug}/")
        phone.get_by_role("button", name=re.compile("Add to cart")).click()
    phone.goto("/cart/")
    phone.get_by_label("Discount code").fill("WELCOME10")
    phone.get_by_role("button", name="Apply").click()
    assert phone.get_by_test_id("cart-line").count() == 3
    too_wide(phone, widths, "cart", PHONE["width"])
    phone.goto("/checkout/")
    too_wide(phone, widths, "checkout", PHONE["width"])
    phone.get_by_label("A new address").check()
    phone.locator("[data-new-address]").get_by_label("Postal code", exact=True).fill("ABC")
    phone.get_by_role("button", name="Continue to review").click()
    assert phone.locator(".error-summary").count() == 1
    too_wide(phone, widths, "checkout with errors", PHONE["width"])
    phone.get_by_label(re.compile("Nieuwe Prinsengracht")).check()
    phone.get_by_label("Bank transfer").check()
    phone.get_by_role("button", name="Continue to review").click()
    phone.wait_for_url("**/checkout/review/")
    too_wide(phone, widths, "review", PHONE["width"])

    assert widths == {}, "wider than 390 px: " + "; ".join(f"{k}: {w} px {e}" for k, (w, e) in widths.items())

    # README's picture of the order page on a phone
    phone.goto(f"/orders/{orders['invoiced'].number}/")
    assert "Invoiced: awaiting your payment" in phone.get_by_test_id("order-status").inner_text()
    assert phone.get_by_test_id("iban").inner_text() == "LC55 HEMM 0001 0001 0012 0012 0002 3015"
    save(phone, out, "order-phone", full_page=True)
    assert (out / "order-phone.png").exists()


def test_the_order_page_on_a_desktop_is_two_columns_and_fits(new_page, long_shop):
    desktop = new_page(viewport=DESKTOP)
    sign_in(desktop)
    desktop.goto(f"/orders/{long_shop.orders['invoiced'].number}/")

    assert width_of(desktop) <= DESKTOP["width"]
    items = desktop.locator("#items-title").bounding_box()
    payment = desktop.locator("#payment-title").bounding_box()
    assert payment["x"] > items["x"] + 400, "the delivery and payment panels sit beside the items"
    assert desktop.get_by_test_id("order-line").count() == 4
