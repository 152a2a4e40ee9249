"""A card checkout walked in a real browser, photographing the main pages on the way.

Every run checks the pages render at desktop and phone widths; with UPDATE_SCREENSHOTS=1 the
pictures also replace the README's (docs/screenshots/*.png):
`UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshots.py`.
Images are reduced to a 256-colour palette to keep the repository small.
"""

import re
from decimal import Decimal

import pytest

from tests.browser.screenshots import save

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

EXPECTED = ["catalogue", "product", "cart", "checkout-error", "review", "order", "catalogue-phone"]
PRODUCTS = [
    # sku, name, category, price, stock, back-orderable
    ("CHAIR-OAK", "Oak dining chair", "Furniture", "149.00", 30, False),
    ("TABLE-OAK", "Oak dining table", "Furniture", "689.00", 3, True),
    ("DESK-WALNUT", "Walnut writing desk", "Furniture", "845.00", 0, True),
    ("STOOL-BIRCH", "Birch bar stool", "Furniture", "89.00", 2, False),
    ("LAMP-DESK", "Brass desk lamp", "Lighting", "39.95", 27, False),
    ("LAMP-FLOOR", "Linen floor lamp", "Lighting", "119.00", 0, False),
    ("BULB-LED", "LED bulb E27 warm white", "Lighting", "6.50", 350, False),
    ("BOOK-JOINERY", "The joinery handbook", "Books", "34.50", 22, False),
]


@pytest.fixture
def demo_shop(transactional_db):
    from django.contrib.auth.models import User
    from django.utils.text import slugify

    from inventory.models import Category, Product, TaxClass, Warehouse
    from inventory.services import stock_receive
    from orders.models import DeliveryMethod, Voucher

    standard = TaxClass.objects.create(name="Standard", rate=Decimal("0.21"))
    warehouse = Warehouse.objects.create(code="AMS", name="Amsterdam", priority=1)
    categories = {}
    for sku, name, category, price, stock, backorderable in PRODUCTS:
        if category not in categories:
            categories[category] = Category.objects.create(name=category, slug=slugify(category))
        product = Product.objects.create(
            sku=sku,
            name=name,
            slug=sku.lower(),
            category=categories[category],
            price=Decimal(price),
            tax_class=standard,
            is_backorderable=backorderable,
            restock_lead_days=14,
            description=f"{name}. Made to last, shipped from our own warehouse in Amsterdam.",
        )
        if stock:
            stock_receive(product=product, warehouse=warehouse, quantity=stock, reference="opening stock")
    for code, name, fee, low, high, pickup, order in (
        ("standard", "Standard delivery", "4.95", 1, 3, False, 1),
        ("express", "Express, next day", "9.95", 1, 1, False, 2),
        ("pickup", "Pick up in Amsterdam", "0.00", 0, 1, True, 3),
    ):
        DeliveryMethod.objects.create(
            code=code,
            name=name,
            fee=Decimal(fee),
            tax_rate=Decimal("0.21"),
            min_days=low,
            max_days=high,
            is_pickup=pickup,
            sort_order=order,
        )
    Voucher.objects.create(code="WELCOME10", percent_off=Decimal("10"))
    return User.objects.create_superuser(username="admin", password="admin", email="admin@example.com")


def test_card_checkout_in_a_browser_with_screenshots(new_page, demo_shop, out):
    from lifecycle.delivery import shipment_deliver
    from orders.models import Order
    from orders.services.customers import address_save, customer_sign_up
    from tests.builders import address_data, order_advance, parcels_of

    page = new_page(viewport={"width": 1200, "height": 820})
    page.goto("/")
    save(page, out, "catalogue")
    page.goto("/products/table-oak/")
    save(page, out, "product")

    customer_sign_up(email="anna@example.com", password="a long passphrase 42", full_name="Anna de Vries")
    from orders.models import Customer

    anna = Customer.objects.get(email="anna@example.com")
    address_save(customer=anna, data=address_data())
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill("anna@example.com")
    page.get_by_label("Password").fill("a long passphrase 42")
    page.get_by_role("button", name="Sign in").click()
    for name in ("Oak dining chair", "Brass desk lamp", "Birch bar stool"):
        page.goto("/")
        page.get_by_role("button", name=f"Add to cart: {name}").click()
    page.goto("/cart/")
    page.get_by_label("Discount code").fill("WELCOME10")
    page.get_by_role("button", name="Apply").click()
    save(page, out, "cart")

    page.goto("/checkout/")
    page.get_by_label("A new address").check()
    page.locator("[data-new-address]").get_by_label("Postal code", exact=True).fill("ABC")
    page.get_by_label("Card").check()
    page.get_by_role("button", name="Continue to review").click()
    save(page, out, "checkout-error", full_page=False)
    page.get_by_label("Prinsengracht 263", exact=False).check()
    page.get_by_role("button", name="Continue to review").click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date (MM/YY)").fill("12/30")
    page.get_by_label("Security code").fill("123")
    save(page, out, "review", full_page=True)
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r".*/orders/\d+/$"))
    order = order_advance(order=Order.objects.get(), state="shipped", actor=demo_shop)
    for parcel in parcels_of(order):
        shipment_deliver(shipment=parcel, actor=demo_shop)  # the invoice's commit captures the card
    page.reload()
    save(page, out, "order", full_page=True)

    phone = new_page(viewport={"width": 390, "height": 844})
    phone.goto("/")
    save(phone, out, "catalogue-phone")

    # Then every page rendered, and the browser's card checkout made a paid-for, completed order
    from PIL import Image

    for name in EXPECTED:
        with Image.open(out / f"{name}.png") as image:
            assert image.width >= 390 and image.height >= 600, name
    assert Order.objects.get().status == Order.Status.COMPLETED
