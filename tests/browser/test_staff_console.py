"""The staff console at 1280 x 800, as a new member of staff sees it (issue 10, items 1 and 2): the
home's work queues, and lists whose status and total columns are on the screen without scrolling
sideways, with long customer names, hold reasons and parcels from two warehouses.

With UPDATE_SCREENSHOTS=1 the home and the order list also replace README's pictures
(docs/screenshots/console-home.png, order-list.png)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.browser.screenshots import save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "console-pass-42"

LONG_NAMES = [
    ("Maximiliane Alexandra van der Westhuizen-Oppenheimer", "maximiliane.vanderwesthuizen-oppenheimer@example.com"),
    ("Jean-Baptiste Émile Durand-Lefèvre de la Tour d'Auvergne", "jean-baptiste.durand-lefevre@example.org"),
    ("Anna de Vries", "anna@example.com"),
    ("Siobhán Ní Mhaoldomhnaigh-Fitzgerald", "siobhan.nimhaoldomhnaigh@example.ie"),
    ("Bartholomew Archibald Fitzwilliam-Montgomery", "bartholomew.fitzwilliam-montgomery@example.co.uk"),
]


@pytest.fixture
def console_world(shop):
    """Orders in every state a list shows, by customers with long names; parcels from Amsterdam and
    Rotterdam; stock of products with long names in both warehouses; an overdue invoice."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from invoicing.models import Invoice
    from invoicing.services.standing import payment_standings_mark_overdue
    from orders.services.fulfillment import shipment_fail_delivery
    from tests.builders import (
        address_data,
        customer_build,
        order_build,
        parcels_of,
        product_build,
        purchase_order_sent,
        staff_member,
        stock_put,
        supplier_build,
    )

    customers = [customer_build(full_name=name, email=email) for name, email in LONG_NAMES]
    sofa = product_build(
        sku="SOFA-3-SEAT-LINEN-NATURAL",
        name="Three-seat sofa in washed linen, natural, with oak legs and feather cushions",
        price=Decimal("1249.00"),
    )
    cushion = product_build(sku="CUSHION-LINEN", name="Linen cushion", price=Decimal("25.00"), is_backorderable=True)
    stock_put(product=shop.book, warehouse=shop.main, quantity=3)
    stock_put(product=sofa, warehouse=shop.second, quantity=1)
    picker = staff_member("Warehouse")

    def place(lines, who: int, **placement):
        """An order by customer `who`, billed to their (long) name."""
        name = LONG_NAMES[who][0]
        placement.setdefault("shipping_address", address_data(full_name=name))
        return order_build(
            lines=lines, customer=customers[who], billing_address=address_data(full_name=name), **placement
        )

    place([(cushion, 2)], state="backordered", who=2)
    # more lamps than one warehouse has: a parcel from Amsterdam and one from Rotterdam
    place([(shop.lamp, 8)], state="in_fulfillment", who=3)
    place([(shop.book, 2)], state="packed", who=0)
    failed = place([(shop.book, 1)], state="shipped", who=1)
    shipment_fail_delivery(shipment=parcels_of(failed)[0], actor=picker, note="Nobody home, card left")
    place([(shop.book, 1)], payment_method="card", who=2)
    place([(shop.book, 3)], state="invoiced", who=3)
    late = place([(shop.book, 5)], state="invoiced", who=0).invoices.get()
    # nine days after it fell due (time passing: not a state a service sets)
    Invoice.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(days=9))
    payment_standings_mark_overdue()  # beat's daily sweep: the order list shows it "Overdue"
    place([(shop.book, 4)], state="completed", who=1)
    # held, the newest (at the top of the list): an implausible delivery address; a new customer's
    # first order, far above the risk rules' threshold
    place(
        [(shop.book, 1)],
        state="on_hold",
        who=0,
        shipping_address=address_data(full_name=LONG_NAMES[0][0], postal_code="12"),
    )
    place([(shop.chair, 9)], state="on_hold", who=4)
    purchase_order_sent(
        warehouse=shop.second,
        lines=[(sofa, 6), (shop.chair, 20)],
        supplier=supplier_build(name="Scandinavian Upholstery Workshops International AB"),
    )
    User.objects.create_superuser(username="boss", password=PASSWORD, email="boss@example.com")
    return shop


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def right_edge(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box["x"] + box["width"]


def assert_readable(page, url: str, columns: list[str]) -> None:
    """Each column's header and first cell end inside the window, and nothing scrolls sideways:
    neither the page nor the list's own box."""
    response = page.goto(url)
    assert response.status == 200, url
    assert page.locator("#result_list tbody tr").count() >= 1, url
    for column in columns:
        for selector in (f"#result_list th.column-{column}", f"#result_list tbody tr:first-child .field-{column}"):
            assert right_edge(page, selector) <= VIEWPORT["width"], (url, selector)
    widths = page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            list: document.querySelector('#changelist-form .results').scrollWidth,
            listBox: document.querySelector('#changelist-form .results').clientWidth,
        })"""
    )
    assert widths["page"] <= VIEWPORT["width"], (url, widths)
    assert widths["list"] <= widths["listBox"], (url, widths)


def test_the_lists_are_readable_at_1280_pixels(new_page, console_world, out):
    page = new_page(viewport=VIEWPORT)
    sign_in(page, "boss")

    # The order list: who, what state, how the money stands, how much, and why it is held
    assert_readable(
        page,
        "/admin/orders/order/",
        ["number", "placed_at", "customer_name", "status_badge", "payment", "total_display", "hold_reasons"],
    )
    rows = page.locator("#result_list tbody tr")
    texts = rows.all_inner_texts()
    assert any("Maximiliane Alexandra van der Westhuizen-Oppenheimer" in text for text in texts)
    assert any("On hold" in text and "Customer details" in text for text in texts)
    assert any("Overdue" in text for text in texts)
    assert any("Authorised" in text for text in texts)
    assert any("Paid" in text for text in texts)
    assert any("Invoiced" in text and "Unpaid" in text for text in texts)  # the stored payment standing
    assert page.locator("#result_list td.field-status_badge .badge").count() == rows.count()
    save(page, out, "order-list")

    # A held order's list too (the reasons are longest there)
    assert_readable(page, "/admin/orders/order/?status__exact=on_hold", ["status_badge", "hold_reasons"])
    # Parcels from both warehouses, their states and units
    assert_readable(page, "/admin/orders/shipment/", ["number", "warehouse", "status_badge", "units"])
    assert set(page.locator("#result_list td.field-warehouse").all_inner_texts()) >= {"Amsterdam", "Rotterdam"}
    # Stock per product and warehouse, with its state and quantities
    assert_readable(
        page, "/admin/inventory/stocklevel/", ["sku", "product_name", "warehouse", "state", "on_hand", "available"]
    )
    assert_readable(page, "/admin/invoicing/invoice/", ["number", "status_badge", "total_display", "balance_display"])
    assert_readable(page, "/admin/inventory/purchaseorder/", ["number", "supplier", "status_badge", "units"])


def test_the_navigation_sidebar_starts_collapsed_and_opens_on_request(new_page, console_world):
    page = new_page(viewport=VIEWPORT)
    sign_in(page, "boss")
    page.goto("/admin/orders/order/")

    assert page.locator("#nav-sidebar").get_attribute("aria-expanded") == "false"
    assert page.locator("#main.shifted").count() == 0
    page.locator("#toggle-nav-sidebar").click()
    assert page.locator("#nav-sidebar").get_attribute("aria-expanded") == "true"
    page.goto("/admin/orders/shipment/")  # the person's choice is kept
    assert page.locator("#main.shifted").count() == 1


def queue_count(page, key: str) -> int:
    return int(page.locator(f'[data-queue="{key}"] .work-queue-count').get_attribute("data-count"))


def test_the_home_shows_the_work_queues_and_each_opens_its_list(new_page, console_world, out):
    page = new_page(viewport=VIEWPORT)
    sign_in(page, "boss")

    # Then the manager's home lists the queues of every group, with their counts
    headings = page.locator(".work-queue-group h2").all_inner_texts()
    assert [heading.lower() for heading in headings] == ["customer service", "warehouse", "accounts"]
    assert queue_count(page, "orders.on_hold") == 2
    assert queue_count(page, "shipments.to_pick") == 2  # the split order's two parcels
    assert queue_count(page, "invoices.overdue") == 1
    assert page.locator(".app-orders").count() == 1  # the models stay reachable, below
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    save(page, out, "console-home")

    # When a queue is clicked, its list shows as many rows as the home said
    page.locator('[data-queue="shipments.to_pick"] a.work-queue-link').click()
    page.wait_for_url("**/admin/orders/shipment/?status__exact=pending")
    assert page.locator("#result_list tbody tr").count() == 2


def test_a_warehouse_picker_sees_the_warehouse_queues_only(new_page, console_world):
    from tests.builders import staff_member

    picker = staff_member("Warehouse")
    picker.set_password(PASSWORD)
    picker.save()
    page = new_page(viewport=VIEWPORT)

    sign_in(page, picker.username)

    assert [h.lower() for h in page.locator(".work-queue-group h2").all_inner_texts()] == ["warehouse"]
    assert page.locator('[data-queue="orders.on_hold"]').count() == 0
    assert queue_count(page, "shipments.to_ship") == 1
    assert queue_count(page, "shipments.delivery_failed") == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
